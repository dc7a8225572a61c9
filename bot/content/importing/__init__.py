"""Turning a media plan document (.docx, .md, .txt) into a plan folder.

`blocks` and `word` read each format into the same blocks; `structure`
recognises headings, lists and Q&A in them; `drafting` makes entries of each
kind; `writer` writes the folder `facts-bot validate` reads. The verbatim
check (`bot.content.source_check`) reads sources through the same readers.

The package itself imports nothing, so the verbatim check reads sources
without loading the drafting machinery; `plan` drafts a whole plan.
"""
