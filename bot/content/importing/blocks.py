"""A plan document as a list of blocks: the common ground of every format.

Each reader (plain text, Markdown, Word) turns its format into the same
`Block`s: the words as written, where they are, and what the format itself
says about them (a heading level, bold, a list marker and its depth). The
structure recogniser and the verbatim check then work on blocks alone, so a
new format needs only a reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.content.records import record

# "- x", "* x", "• x", "o x", "1. x", "(2) x", "3) x", "▪ x", "– x"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•◦▪▫‣●○■□–—o]|\(?\d{1,2}[.)])[ \t]+"
                     r"(?P<text>\S.*)$")
# "a) x", "(b) x", "c. x": lettered items, only when indented under another item
_NESTED_LETTER = re.compile(r"^(?P<indent>[ \t]+)(?P<marker>\(?[a-z][.)])[ \t]+(?P<text>\S.*)$")
# Markdown's own marks, as patterns for re.match: compiled (and then cached by re) only
# when a Markdown document is read. The verbatim check reads a plan's source at every
# load, most often plain text, and compiling these cost every `facts-bot ask` 0.4 ms.
_MD_HEADING = r"^\s{0,3}(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*#*\s*$"
_MD_BOLD = r"^\s*(\*\*|__)(?P<text>[^*_].*?)\1\s*:?\s*$"
_MD_RULE = r"^\s{0,3}([-*_])(\s*\1){2,}\s*$"
_MD_COMMENT = r"<!--.*?(?:-->|\Z)"  # unclosed: hidden to the end, as a renderer hides it
_WRAP_MAX = 100  # a file whose lines are mostly this short is hard-wrapped


# A plan's note to its own staff, not words to say: "Note to spokesperson: ...",
# "INTERNAL ONLY - ...", "(Internal) ...", "Not for release: ...", or a line wholly in brackets or
# parentheses ("[Internal: ...]", "(Do not use until ...)"). Only a label followed by
# its colon or dash counts: "Note that ..." and "Do not drive ..." are lines to say.
_NOTE = (
    r"(?i)^[\[(]?\s*(?:(?:internal|staff|drafting|editor['’]?s?|spokes(?:person|people)['’]?s?)"
    r"\s+)?(?:notes?|internal(?:\s+(?:only|use(?:\s+only)?))?|for internal use(?:\s+only)?|"
    r"not for (?:release|publication|quoting|attribution|distribution)|background only|"
    r"off the record)(?:\s+(?:to|for)\s+[^:\-–—]{1,40}?)?\s*[:\-–—\])]|"
    r"^\[[^\[\]]+\][.!]?$|^\([^()]+\)[.!]?$")  # for re.match: compiled only when used, as _MD_*


def is_internal_note(text: str) -> bool:
    """A line the plan addresses to its own staff: the importer drafts it as no entry,
    and the verbatim check does not count it as a supporting point left out."""
    return bool(re.match(_NOTE, text.strip()))


class SourceError(Exception):
    """The source document cannot be read; the message says why, in one line."""


@record
class Block:
    """One paragraph, list item or heading of a source document.

    `text` is verbatim apart from the marks the format uses for structure
    (a bullet, `#`, `**` around a whole line). `continues` says the block is
    a hard-wrapped continuation of the paragraph before it. A Word list item's
    `marker` is "•" whatever Word shows; `numbered` says Word numbers it.
    """

    text: str
    line: int
    indent: int = 0
    marker: str = ""
    heading: int = 0
    bold: bool = False
    continues: bool = False
    numbered: bool = False  # a list the format itself numbers (Word), shown "1.", "2.", ...
    titled: bool = False  # the format marks it as the document's title (Word's Title style)
    aside: str = ""  # why it holds no approved words, when it holds none (a table's "Owner")

    @property
    def listed(self) -> bool:
        return bool(self.marker)


def text_blocks(lines: list[str], markdown: bool = False) -> list[Block]:
    """Blocks of plain text (or Markdown): one per line, wrapped lines marked as such."""
    wrapped = _wrap_width(lines)
    blocks: list[Block] = []
    previous: Block | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.replace("\t", "    ").rstrip()
        if markdown:
            line = re.sub(r"^\s{0,3}>\s?", "", line)  # a quoted block reads as its words
            if re.match(_MD_RULE, line):
                line = ""
        if not line.strip():
            previous = None
            continue
        block = _block(line, number, markdown)
        if previous is not None and _continues(previous, block, wrapped):
            block = Block(block.text, number, previous.indent, "", 0, False, True)
        blocks.append(block)
        previous = block
    return blocks


def without_comments(markdown: str) -> str:
    """Markdown with its HTML comments blanked: no reader of the plan sees them, so a
    line commented out is not approved, nor a note in a comment part of its line.
    Each comment keeps its line breaks, so every line keeps its number."""
    if "<!--" not in markdown:
        return markdown
    return re.sub(_MD_COMMENT, lambda comment: "\n" * comment[0].count("\n"), markdown,
                  flags=re.DOTALL)


def _block(line: str, number: int, markdown: bool) -> Block:
    if markdown:
        heading = re.match(_MD_HEADING, line)
        if heading:
            return Block(_unbold(heading["text"]), number, heading=len(heading["hashes"]))
        bold = re.match(_MD_BOLD, line)
        if bold and not _MARKER.match(line):
            return Block(bold["text"].strip(), number, bold=True)
    listed = _MARKER.match(line) or _NESTED_LETTER.match(line)
    if listed:
        indent = len(listed["indent"])
        text = listed["text"].strip()
        bold = bool(markdown and re.match(_MD_BOLD, text))
        if bold:
            text = re.match(_MD_BOLD, text)["text"].strip()
        return Block(text, number, indent, listed["marker"], bold=bold)
    indent = len(line) - len(line.lstrip())
    return Block(line.strip(), number, indent)


def _unbold(text: str) -> str:
    bold = re.match(_MD_BOLD, text)
    return bold["text"].strip() if bold else text


def _continues(previous: Block, block: Block, wrapped: int) -> bool:
    """A line that carries on the paragraph (or list item) above it."""
    if block.listed or block.heading or block.bold or previous.heading or previous.bold:
        return False
    if previous.text.endswith(("?", ":")) or _starts_label(block.text):
        return False
    if _shouted(previous.text) or re.match(r"[A-Z][\w ]{0,20}:\s", block.text):
        return False  # an upper-case title line; a "Label: value" line
    if previous.listed:
        return block.indent > previous.indent
    full = len(previous.text) + previous.indent >= wrapped * 0.6
    ended = previous.text.endswith((".", "!", ";", "”", '"')) and block.text[:1].isupper()
    return bool(wrapped) and full and not ended and block.indent == previous.indent


def _shouted(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _starts_label(text: str) -> bool:
    return bool(re.match(r"(?i)(q|a|question|answer|response)\s*[:.]\s", text + " "))


def _wrap_width(lines: Iterable[str]) -> int:
    """The width a hard-wrapped file is wrapped at; 0 when its paragraphs are single lines."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if len(lengths) < 5:
        return 0
    width = lengths[int(len(lengths) * 0.9)]
    return width if width <= _WRAP_MAX else 0


def paragraphs(blocks: list[Block]) -> list[Block]:
    """Blocks with hard-wrapped continuations joined into their paragraph (by a space)."""
    joined: list[Block] = []
    for block in blocks:
        if block.continues and joined:
            first = joined[-1]
            joined[-1] = Block(f"{first.text} {block.text}", first.line, first.indent,
                               first.marker, first.heading, first.bold)
        else:
            joined.append(block)
    return joined
