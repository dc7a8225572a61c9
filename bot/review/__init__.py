"""What the communications team reads: the summary of the log, gaps, reports, privacy.

`summary` counts the log in one pass, `gaps` finds questions with no approved
answer, `text` and `html` render them, `privacy` pseudonymises and purges.
"""
