"""Finding the approved response a person asks for: text analysis and the index.

`analysis` turns text into comparable terms (folding, stems, synonyms);
`index` ranks entries and decides how sure the answer is, in the terms of
`outcome`; `check` compares a draft with approved lines. Nothing here knows
about Slack, HTTP or the database.
"""

from bot.matching.index import Index, entry_fields
from bot.matching.outcome import (
    ANSWER,
    NO_MATCH,
    NOT_A_MATCH,
    SUGGESTIONS,
    Match,
    MatchSettings,
    Result,
)

__all__ = [
    "ANSWER", "NO_MATCH", "NOT_A_MATCH", "SUGGESTIONS", "Index", "Match", "MatchSettings",
    "Result", "entry_fields",
]
