"""The review of the query log: what people asked, how it went, and what to write next.

The communications team reads this to see which questions come up, which got no approved
answer and which answers were judged unhelpful. The log can hold a year of queries, so
the summary is built in one streaming pass: every row updates counters keyed by a
normalised query (`gaps.query_key`), by day, by entry and by channel, and no row is kept.
Memory grows with the number of distinct queries, days, entries and channels, not rows.

Renderings live beside the numbers they show: `render_text` for the terminal,
`stats_mrkdwn` for Slack; `bot.review_html` renders the HTML page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.matching import ANSWER, NO_MATCH, SUGGESTIONS
from bot.review.gaps import (
    GAP_OUTCOME_WORDS,
    LOW_CONFIDENCE_SCORE,
    Gap,
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
    for record in queries:
        tally.add_query(record)
    for audit in audits:
        tally.add_audit(audit)
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
        if is_gap(status, record.top_score, self.low_score):
            _tally(self.gaps, key, ts).add(text, ts, status)

    def add_audit(self, record: AuditRecord) -> None:
        self.audit_counts[record.kind] = self.audit_counts.get(record.kind, 0) + 1
        if record.kind != "feedback":
            return
        detail = record.detail
        helpful = detail.get("helpful") is True
        self.feedback[helpful] += 1
        if not helpful:
            query = str(detail.get("query") or "")
            item = (str(detail.get("entry_id") or ""), self.key(query))
            seen = self.unhelpful.setdefault(item, [0, query])
            seen[0] += 1

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
        )


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


def period(summary: Summary) -> str:
    """The window in words, e.g. "2026-11-18 to 2026-11-24 (UTC)"."""
    start = summary.since or summary.first_seen
    end = summary.until - dt.timedelta(microseconds=1) if summary.until else summary.last_seen
    if start is None or end is None:
        return "no queries logged"
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC)"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def outcome_line(outcomes: Mapping[str, int], names: Mapping[str, str] = OUTCOME_WORDS) -> str:
    """E.g. "3 answered, 1 no match"; outcomes that did not happen are left out."""
    order = [*OUTCOMES, *sorted(o for o in outcomes if o not in OUTCOMES)]
    return ", ".join(f"{outcomes[o]:,} {names.get(o, o)}" for o in order if outcomes.get(o))


# ---------------------------------------------------------------- terminal


def render_text(summary: Summary, gaps: Sequence[Gap],
                titles: Mapping[str, str] | None = None) -> str:
    """The review for the terminal: plain text, widest section 100 columns."""
    titles = titles or {}
    sections = [
        _text_header(summary),
        _text_outcomes(summary),
        _text_days(summary),
        _text_queries(summary),
        _text_entries(summary, titles),
        _text_feedback(summary, titles),
        _text_channels(summary),
        render_gaps_text(gaps),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _text_header(summary: Summary) -> str:
    other = sum(summary.other_uses.values())
    lines = [f"Query log review: {period(summary)}",
             f"{summary.lookups:,} lookups by {summary.people:,} people"]
    if other:
        lines[-1] += f" (and {other:,} help or other /facts uses, not counted below)"
    return "\n".join(lines)


def _bar(part: int, whole: int, width: int = 30) -> str:
    return "#" * round(width * part / whole) if whole else ""


def _text_outcomes(summary: Summary) -> str:
    if not summary.lookups:
        return ""
    lines = ["Outcomes"]
    for outcome in OUTCOMES:
        n = summary.outcomes.get(outcome, 0)
        lines.append(f"  {OUTCOME_LABELS[outcome]:<20} {percent(n, summary.lookups):>4} "
                     f"{n:>10,}  {_bar(n, summary.lookups)}")
    if summary.low_confidence_answers:
        lines.append(f"  of the answers, {summary.low_confidence_answers:,} scored below "
                     f"{summary.low_confidence_score:.0f} (low confidence; listed with the gaps)")
    return "\n".join(lines)


def _text_days(summary: Summary) -> str:
    if not summary.per_day:
        return ""
    rows, heading = summary.per_day, "Queries per day"
    if len(rows) > 31:
        rows, heading = _weeks(rows), "Queries per week (week starting; --html shows each day)"
    most = max(r.total for r in rows) or 1
    lines = [heading, f"  {'':<10} {'total':>8} {'answer':>8} {'suggest':>8} {'none':>8}"]
    for row in rows:
        o = row.outcomes
        lines.append(f"  {row.day:%Y-%m-%d} {row.total:>8,} {o[ANSWER]:>8,} "
                     f"{o[SUGGESTIONS]:>8,} {o[NO_MATCH]:>8,}  {_bar(row.total, most, 20)}")
    return "\n".join(lines)


def _weeks(days: Sequence[DayCount]) -> list[DayCount]:
    weeks: dict[dt.date, dict[str, int]] = {}
    for row in days:
        start = row.day - dt.timedelta(days=row.day.weekday())
        week = weeks.setdefault(start, dict.fromkeys(OUTCOMES, 0))
        for outcome in OUTCOMES:
            week[outcome] += row.outcomes.get(outcome, 0)
    return [DayCount(day, counts) for day, counts in sorted(weeks.items())]


def _text_queries(summary: Summary) -> str:
    if not summary.top_queries:
        return ""
    lines = ["Most asked"]
    for number, asked in enumerate(summary.top_queries, start=1):
        lines.append(f"  {number:>2}. {asked.count:>8,}  {_one_line(asked.text)}  "
                     f"[{outcome_line(asked.outcomes)}]")
    return "\n".join(lines)


def _text_entries(summary: Summary, titles: Mapping[str, str]) -> str:
    if not summary.top_entries:
        return ""
    lines = ["Most served approved answers"]
    for number, (entry_id, n) in enumerate(summary.top_entries, start=1):
        title = titles.get(entry_id)
        lines.append(f"  {number:>2}. {n:>8,}  {entry_id}" + (f"  ({title})" if title else ""))
    return "\n".join(lines)


def _text_feedback(summary: Summary, titles: Mapping[str, str]) -> str:
    if not (summary.helpful or summary.not_helpful):
        return ""
    lines = [f"Feedback: {summary.helpful:,} helpful, {summary.not_helpful:,} not helpful"]
    for item in summary.unhelpful:
        title = titles.get(item.entry_id)
        answer = item.entry_id + (f" ({title})" if title else "")
        lines.append(f"  {item.count:>4,} x not helpful: {answer} for "
                     f"\"{_one_line(item.query)}\"")
    return "\n".join(lines)


def _text_channels(summary: Summary) -> str:
    if not summary.channels:
        return ""
    total = sum(n for _, n in summary.channels) or 1
    lines = ["Use per channel"]
    lines += [f"  {channel or '(none)':<14} {n:>10,}  {_bar(n, total, 20)}"
              for channel, n in summary.channels]
    return "\n".join(lines)


def render_gaps_text(gaps: Sequence[Gap]) -> str:
    """The gaps alone, for `facts-bot review gaps`."""
    if not gaps:
        return "Gaps: none. Every lookup had a confident approved answer."
    lines = ["Gaps: questions without a confident approved answer "
             "(facts-bot review gaps --yaml starts entries for them)"]
    for number, gap in enumerate(gaps, start=1):
        lines.append(f"  {number:>2}. {gap.count:,} x \"{_one_line(gap.text)}\"  "
                     f"({gap.first_seen:%Y-%m-%d} to {gap.last_seen:%Y-%m-%d}; "
                     f"{outcome_line(gap.outcomes, GAP_OUTCOME_WORDS)})")
        others = [f'"{_one_line(text)}"' for text, _ in gap.phrasings[1:]]
        if others:
            lines.append(f"        also asked as: {', '.join(others)}")
        if gap.closest:
            lines.append(f"        closest entry: {gap.closest.entry_id} "
                         f"({gap.closest.title}), score {gap.closest.score:.0f}")
    return "\n".join(lines)


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


# ---------------------------------------------------------------- Slack


def stats_mrkdwn(summary: Summary, gaps: Sequence[Gap], limit: int = 5) -> str:
    """`/facts stats` for admins: the summary and the top `limit` gaps as Slack mrkdwn."""
    lines = [f"*Query log: {period(summary)}*"]
    if not summary.lookups:
        lines.append("No lookups in this period.")
        return "\n".join(lines)
    lines.append(f"{summary.lookups:,} lookups by {summary.people:,} people")
    lines.append("  ".join(
        f"{OUTCOME_LABELS[o]}: *{percent(summary.outcomes.get(o, 0), summary.lookups)}* "
        f"({summary.outcomes.get(o, 0):,})" for o in OUTCOMES))
    if summary.helpful or summary.not_helpful:
        lines.append(f"Feedback: {summary.helpful:,} helpful, {summary.not_helpful:,} not helpful")
    if summary.top_queries:
        lines.append("*Most asked*")
        lines += [f"{n}. {_slack_escape(_one_line(q.text, 60))} ({q.count:,})"
                  for n, q in enumerate(summary.top_queries[:limit], start=1)]
    lines.append("*Top gaps* (no confident approved answer)")
    if not gaps:
        lines.append("None.")
    for number, gap in enumerate(gaps[:limit], start=1):
        closest = (f"; closest: `{_slack_escape(gap.closest.entry_id)}` "
                   f"({gap.closest.score:.0f})" if gap.closest else "")
        lines.append(f"{number}. \u201c{_slack_escape(_one_line(gap.text, 60))}\u201d "
                     f"\u00d7{gap.count:,}, last {gap.last_seen:%Y-%m-%d}{closest}")
    return "\n".join(lines)


def _slack_escape(text: str) -> str:
    """Slack's three control characters; anything else in user text is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
