"""Asking: a question in, the approved response (or an honest no) out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.content.currency import Currency
from bot.matching import NO_MATCH, SUGGESTIONS, Index, Match, MatchSettings
from bot.matching.preference import preferred
from bot.service.approvals import Approvals
from bot.service.live import LiveKnowledge
from bot.slack import render
from bot.slack.asked import TEMPLATE_ID, Asked, AskedCache, Reply


class AskCommand:
    """Mixin for FactsBot: turns a lookup into the reply a press officer reads."""

    live: LiveKnowledge
    approvals: Approvals
    now: Callable[[], dt.datetime]
    asked: AskedCache

    def ask(self, question: str, request_id: str
            ) -> tuple[Match, dict, Reply | render.Message]:
        """The lookup, the buttons' context and the reply (within Slack's limits).

        Built once per question for the index, approvals and day being served
        (`asked.AskedCache`), then only the request id changes; all four are
        read once here, so a reload or midnight in between cannot mix them. The
        day is UTC's (review labels) and each plan's own (what is served).
        """
        index, currency, now = self.live.current, self.approvals.current, self.now()
        today = now.date()
        generation = (index, currency, (today, index.serving_day(now)))
        asked = self.asked.get(generation, question)
        if asked is None:
            match = self.search(question, index, currency, now)
            context = self.context_value(match, TEMPLATE_ID, index.settings)
            asked = Asked.of(match, context, render.within_limits(
                self.match_message(match, context, index, currency, today)))
            if not asked.reusable:  # a button's value was cut: this one is built for its id
                context = self.context_value(match, request_id, index.settings)
                return match, context, render.within_limits(
                    self.match_message(match, context, index, currency, today))
            self.asked.put(generation, question, asked)
        context, reply = asked.reply_for(request_id)
        return asked.match, context, reply

    def search(self, query: str, index: Index, currency: Currency, now: dt.datetime) -> Match:
        """The lookup at the instant `now`, with current plans preferred over overdue
        ones on the same topic (review dates counted in UTC days), and the same approved
        words in several plans shown once, from the newest."""
        match = index.search(query, now, limit=self.RESULTS_SHOWN)
        today = now.date()
        return preferred(match, lambda e: currency.status(e, today).overdue, index.settings)

    #: The best response and up to four others that fit (render.OTHERS_SHOWN).
    RESULTS_SHOWN = 1 + render.OTHERS_SHOWN

    @staticmethod
    def match_message(match: Match, context: dict, index: Index, currency: Currency,
                      today: dt.date) -> render.Message:
        """The reply; `context` is `context_value`'s (built once: the buttons and the
        replies remembered for them carry the same)."""
        entries = [r.entry for r in match.results]
        contacts = index.snapshot.contacts_for(entries)
        labels = {e.id: label for e in entries if (label := currency.status(e, today).label())}
        return render.match_message(match, contacts, context, index.settings.answer_min_score,
                                    labels)

    @staticmethod
    def context_value(match: Match, request_id: str, settings: MatchSettings) -> dict:
        """What the buttons carry, so that 'Show this' can redraw without a new lookup.

        `n` marks results offered as "nearest, not a match", and `c` those offered
        as the closest when there is no exact answer: the caveat stays on
        whatever is shown from them.
        """
        context = {"r": request_id, "q": match.query[:300],
                   "o": [[r.entry.id, r.score] for r in match.results]}
        if match.status == NO_MATCH:
            context["n"] = 1
        elif not match.is_topic(settings.answer_min_score) and match.status == SUGGESTIONS:
            context["c"] = 1
        return context
