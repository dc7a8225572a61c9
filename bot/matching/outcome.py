"""What a lookup says: the outcome, the results, and the thresholds that decide it.

Kept apart from the index so that everything that shows a lookup (Slack,
the command line, the review) reads these few names without the machinery
that produces them.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content import Entry
from bot.content.records import field, record

ANSWER = "answer"
SUGGESTIONS = "suggestions"
NO_MATCH = "no_match"
#: How results offered under NO_MATCH are labelled wherever they are shown.
NOT_A_MATCH = "not a match"


@record
class MatchSettings:
    """Thresholds of the outcome. Defaults were set on our own phrasings (see README).

    answer_min_score: the best score must reach this for a confident answer.
    answer_min_margin: ...and lead the runner-up by this many points.
    suggest_min_score: below this nothing is relevant enough to suggest (no_match).
    typo_min_similarity: how alike (0-100) an unknown word must be to a known one
        to be read as a typo of it.
    typo_min_length: shorter words are never "corrected" (too many near neighbours).
    """

    answer_min_score: float = 80.0
    answer_min_margin: float = 10.0
    suggest_min_score: float = 40.0
    typo_min_similarity: float = 80.0
    typo_min_length: int = 5


# How much a word in each field says about what the entry answers. Titles,
# alternate questions and keywords are written to describe the entry; the
# approved text also talks about other things on the way.


@record
class Result:
    entry: Entry
    score: float


@record
class Match:
    query: str
    status: str
    results: tuple[Result, ...]
    corrections: Mapping[str, str] = field(default_factory=dict)
    # Entry id -> older plans' entries with the same approved words, not listed again
    # (preference.newest_copies): the reply shows the words once, from the newest plan.
    copies: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    # Set when copies were folded: whether several responses fit as listed before, so
    # folding never changes how the reply is framed (is_topic).
    several_fit: bool | None = None

    @property
    def top(self) -> Result | None:
        return self.results[0] if self.results else None

    def is_topic(self, answer_min_score: float) -> bool:
        """Several responses fit about equally ("racial profiling"): none is *the* answer,
        but each is a right one, so the best is shown in full and the others offered.

        Where repeats were folded (`several_fit`), as it was before: the reply must
        neither turn into "no exact answer" nor into a surer one because of it.
        """
        if self.several_fit is not None:
            return self.status == SUGGESTIONS and self.several_fit
        fitting = [r for r in self.results if r.score >= answer_min_score]
        return self.status == SUGGESTIONS and len(fitting) >= 2 and fitting == list(
            self.results[:len(fitting)])
