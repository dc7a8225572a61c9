"""The review of the query log: what people asked, how it went, and what to write next.

The communications team reads this to see which questions come up, which got no approved
answer and which answers were judged unhelpful. The log can hold a year of queries, so
the summary is built in one streaming pass: every row updates counters keyed by a
normalised query (`gaps.query_key`), by day, by entry and by channel, and no row is kept.
Memory grows with the number of distinct queries, days, entries and channels, not rows.

`bot.review.text` renders a summary for the terminal and Slack, `bot.review.html`
as a page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.matching import ANSWER, NO_MATCH, SUGGESTIONS
from bot.review.feedback import counted
from bot.review.gaps import (
    LOW_CONFIDENCE_SCORE,
    QueryTally,
    is_gap,
    query_key,
)
from bot.store.base import AuditRecord, LogStore, QueryRecord

#: The outcomes of a lookup, in the order they are shown. Other statuses (help, command)
#: are uses of /facts that asked nothing, so they are counted apart.
OUTCOMES = (ANSWER, SUGGESTIONS, NO_MATCH)
OUTCOME_LABELS = {
    ANSWER: "Approved answer",
    SUGGESTIONS: "Suggestions only",
    NO_MATCH: "No approved answer",
}
#: Outcomes in running text ("9 answered, 3 no match").
OUTCOME_WORDS = {ANSWER: "answered", SUGGESTIONS: "suggestions", NO_MATCH: "no match"}
#: The normalisation cache is cleared past this size, so a log of all-different queries
#: cannot grow it without bound; clearing only costs recomputation.
_KEY_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    outcomes: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class AskedQuery:
    """One of the most asked queries, named by its most frequent wording."""

    text: str
    count: int
    outcomes: Mapping[str, int]


@dataclass(frozen=True)
class Unhelpful:
    """Answers someone marked "not helpful": which entry, for which question, how often."""

    entry_id: str
    query: str
    count: int


@dataclass(frozen=True)
class Summary:
    since: dt.datetime | None
    until: dt.datetime | None
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    lookups: int
    outcomes: Mapping[str, int]
    low_confidence_answers: int
    other_uses: Mapping[str, int]
    people: int
    per_day: tuple[DayCount, ...]
    top_queries: tuple[AskedQuery, ...]
    top_entries: tuple[tuple[str, int], ...]
    channels: tuple[tuple[str, int], ...]
    helpful: int
    not_helpful: int
    unhelpful: tuple[Unhelpful, ...]
    audit_counts: Mapping[str, int]
    gap_queries: Mapping[str, QueryTally] = field(repr=False)
    low_confidence_score: float = LOW_CONFIDENCE_SCORE
    #: Drafts checked against the approved lines, and how many of them were not on
    #: message (at least one changed or unapproved sentence).
    checks: int = 0
    checks_off_message: int = 0

    def share(self, outcome: str) -> float:
        """The fraction (0-1) of lookups with this outcome."""
        return self.outcomes.get(outcome, 0) / self.lookups if self.lookups else 0.0


def summarize_store(store: LogStore, since: dt.datetime | None = None,
                    until: dt.datetime | None = None, top: int = 10,
                    low_confidence_score: float = LOW_CONFIDENCE_SCORE) -> Summary:
    """The summary of every query and audit row in [since, until)."""
    return summarize(store.query_rows(since, until), store.audit_rows(since, until),
                     since=since, until=until, top=top,
                     low_confidence_score=low_confidence_score)


def summarize(queries: Iterable[QueryRecord], audits: Iterable[AuditRecord], *,
              since: dt.datetime | None = None, until: dt.datetime | None = None,
              top: int = 10, low_confidence_score: float = LOW_CONFIDENCE_SCORE) -> Summary:
    """One pass over the rows; plain iterables, so any backend (or a list) will do."""
    tally = _Tally(low_confidence_score)
    for audit in counted(audits):  # first: which suggestions people took decides what is a gap
        tally.add_audit(audit)
    for record in queries:
        tally.add_query(record)
    return tally.summary(since, until, top)


class _Tally:
    """The running counters of one summary. Private: only `summarize` drives it."""

    def __init__(self, low_confidence_score: float) -> None:
        self.low_score = low_confidence_score
        self.keys: dict[str, str] = {}
        self.days: dict[dt.date, dict[str, int]] = {}
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.other: dict[str, int] = {}
        self.low_confidence = 0
        self.users: set[str] = set()
        self.channels: dict[str, int] = {}
        self.entries: dict[str, int] = {}
        self.queries: dict[str, QueryTally] = {}
        self.gaps: dict[str, QueryTally] = {}
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.feedback = {True: 0, False: 0}
        self.unhelpful: dict[tuple[str, str], list] = {}
        self.audit_counts: dict[str, int] = {}
        self.taken: set[str] = set()  # request ids whose offered responses were used
        self.checks = {True: 0, False: 0}

    def key(self, text: str) -> str:
        key = self.keys.get(text)
        if key is None:
            if len(self.keys) >= _KEY_CACHE_LIMIT:
                self.keys.clear()
            key = self.keys[text] = query_key(text)
        return key

    def add_query(self, record: QueryRecord) -> None:
        ts, status = record.ts, record.status
        channel = record.channel_id
        self.channels[channel] = self.channels.get(channel, 0) + 1
        if status not in self.outcomes:
            self.other[status] = self.other.get(status, 0) + 1
            return
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts
        self.outcomes[status] += 1
        day = self.days.get(ts.date())
        if day is None:
            day = self.days[ts.date()] = dict.fromkeys(OUTCOMES, 0)
        day[status] += 1
        self.users.add(record.user_id)
        key, text = self.key(record.text), record.text
        _tally(self.queries, key, ts).add(text, ts, status)
        if status == ANSWER:
            self.entries[record.top_id or ""] = self.entries.get(record.top_id or "", 0) + 1
            if record.top_score is not None and record.top_score < self.low_score:
                self.low_confidence += 1
        if is_gap(status, record.top_score, taken=record.request_id in self.taken):
            _tally(self.gaps, key, ts).add(text, ts, status)

    def add_audit(self, record: AuditRecord) -> None:
        self.audit_counts[record.kind] = self.audit_counts.get(record.kind, 0) + 1
        if record.kind == "check":
            self.add_check(record.detail)
            return
        detail = record.detail
        helpful = detail.get("helpful") is True
        if record.kind in ("show", "share") or (record.kind == "feedback" and helpful):
            self.taken.add(str(detail.get("query_request_id") or record.request_id))
        if record.kind != "feedback":
            return
        self.feedback[helpful] += 1
        if not helpful:
            query = str(detail.get("query") or "")
            item = (str(detail.get("entry_id") or ""), self.key(query))
            seen = self.unhelpful.setdefault(item, [0, query])
            seen[0] += 1

    def add_check(self, detail: Mapping) -> None:
        """A draft check: off message if any sentence was changed or unapproved."""
        found = _count(detail.get("changed")) + _count(detail.get("unapproved"))
        self.checks[found > 0] += 1

    def summary(self, since: dt.datetime | None, until: dt.datetime | None,
                top: int) -> Summary:
        return Summary(
            since=since,
            until=until,
            first_seen=self.first,
            last_seen=self.last,
            lookups=sum(self.outcomes.values()),
            outcomes=dict(self.outcomes),
            low_confidence_answers=self.low_confidence,
            other_uses=dict(self.other),
            people=len(self.users),
            per_day=_days(self.days),
            top_queries=tuple(_asked(self.queries, top)),
            top_entries=tuple(_largest(self.entries, top)),
            channels=tuple(_largest(self.channels, top)),
            helpful=self.feedback[True],
            not_helpful=self.feedback[False],
            unhelpful=tuple(Unhelpful(entry_id, query, count) for (entry_id, _), (count, query)
                            in _largest(self.unhelpful, top, key=lambda kv: kv[1][0])),
            audit_counts=dict(self.audit_counts),
            gap_queries=self.gaps,
            low_confidence_score=self.low_score,
            checks=self.checks[True] + self.checks[False],
            checks_off_message=self.checks[True],
        )


def _count(value: object) -> int:
    """A count from an audit row's detail; rows from elsewhere may hold anything."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _tally(tallies: dict[str, QueryTally], key: str, ts: dt.datetime) -> QueryTally:
    found = tallies.get(key)
    if found is None:
        found = tallies[key] = QueryTally.start(ts)
    return found


def _days(days: Mapping[dt.date, Mapping[str, int]]) -> tuple[DayCount, ...]:
    """Every day from the first to the last, quiet days included, so a chart shows them."""
    if not days:
        return ()
    day, last = min(days), max(days)
    filled = []
    while day <= last:
        filled.append(DayCount(day, dict(days.get(day) or dict.fromkeys(OUTCOMES, 0))))
        day += dt.timedelta(days=1)
    return tuple(filled)


def _largest(counts: Mapping, top: int, key: Callable[[tuple], int] | None = None) -> list:
    """The `top` largest items, ties by name so the report is stable from run to run."""
    count = key or (lambda kv: kv[1])
    return sorted(counts.items(), key=lambda kv: (-count(kv), kv[0]))[:top]


def _asked(tallies: Mapping[str, QueryTally], top: int) -> list[AskedQuery]:
    best = _largest(tallies, top, key=lambda kv: kv[1].count)
    return [AskedQuery(_top_phrasing(t.phrasings), t.count, dict(t.outcomes)) for _, t in best]


def _top_phrasing(phrasings: Mapping[str, int]) -> str:
    """The wording asked most often; on a tie, the one asked first."""
    return max(phrasings, key=phrasings.__getitem__) if phrasings else ""


# ---------------------------------------------------------------- wording shared by renderings
