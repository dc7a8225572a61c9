"""Finding the approved response a person asks for: text analysis and the index.

`analysis` turns text into comparable terms (folding, stems, synonyms);
`index` ranks entries and decides how sure the answer is. Nothing here knows
about Slack, HTTP or the database.
"""

from bot.matching.index import (
    ANSWER,
    NO_MATCH,
    NOT_A_MATCH,
    SUGGESTIONS,
    Index,
    Match,
    MatchSettings,
    Result,
    entry_fields,
)

__all__ = [
    "ANSWER", "NO_MATCH", "NOT_A_MATCH", "SUGGESTIONS", "Index", "Match", "MatchSettings",
    "Result", "entry_fields",
]
