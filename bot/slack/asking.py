"""Asking: a question in, the approved response (or an honest no) out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from bot.content import Entry
from bot.matching import NO_MATCH, SUGGESTIONS, Match
from bot.matching.preference import prefer_current
from bot.service.approvals import Approvals
from bot.service.live import LiveKnowledge
from bot.slack import render


class AskCommand:
    """Mixin for FactsBot: turns a lookup into the reply a press officer reads."""

    live: LiveKnowledge
    review_labels: Callable[[Iterable[Entry]], dict[str, str]]
    approvals: Approvals
    today: Callable[[], dt.date]

    def search(self, query: str) -> Match:
        """The lookup, with current plans preferred over overdue ones on the same topic."""
        index = self.live.current
        match = index.search(query, self.today(), limit=self.RESULTS_SHOWN)
        status = self.approvals.current.status
        return prefer_current(match, lambda e: status(e, self.today()).overdue, index.settings)

    #: The best response and up to four others that fit (render.OTHERS_SHOWN).
    RESULTS_SHOWN = 1 + render.OTHERS_SHOWN

    def match_message(self, match: Match, context: dict) -> render.Message:
        """The reply; `context` is `context_value`'s (built once: the buttons and the
        replies remembered for them carry the same)."""
        snapshot = self.live.snapshot
        contacts = snapshot.contacts_for(r.entry for r in match.results)
        return render.match_message(match, contacts, context,
                                    self.live.current.settings.answer_min_score,
                                    self.review_labels(r.entry for r in match.results))

    def context_value(self, match: Match, request_id: str) -> dict:
        """What the buttons carry, so that 'Show this' can redraw without a new lookup.

        `n` marks results offered as "nearest, not a match", and `c` those offered
        as the closest when there is no exact answer: the caveat stays on
        whatever is shown from them.
        """
        context = {"r": request_id, "q": match.query[:300],
                   "o": [[r.entry.id, r.score] for r in match.results]}
        if match.status == NO_MATCH:
            context["n"] = 1
        elif not match.is_topic(self.live.current.settings.answer_min_score) and (
                match.status == SUGGESTIONS):
            context["c"] = 1
        return context
