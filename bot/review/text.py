"""The review as text: the terminal report, the gaps list and Slack's `/facts stats`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot.matching import ANSWER, NO_MATCH, SUGGESTIONS
from bot.review.gaps import GAP_OUTCOME_WORDS, Gap
from bot.review.summary import OUTCOME_LABELS, OUTCOME_WORDS, OUTCOMES, DayCount, Summary


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
                titles: Mapping[str, str] | None = None,
                channel_names: Mapping[str, str] | None = None) -> str:
    """The review for the terminal: plain text, widest section 100 columns.

    `channel_names` (id -> "#name", from Slack) names the channels; ids without one
    are shown as they are.
    """
    titles = titles or {}
    sections = [
        _text_header(summary),
        _text_outcomes(summary),
        _text_days(summary),
        _text_queries(summary),
        _text_entries(summary, titles),
        _text_feedback(summary, titles),
        _text_channels(summary, channel_names or {}),
        _text_checks(summary),
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
                     f"{summary.low_confidence_score:.0f} (low confidence: worth a check)")
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


def channel_label(channel: str, names: Mapping[str, str]) -> str:
    """How a report names a channel: its name when known, else its id."""
    return names.get(channel, channel) if channel else "(none)"


def _text_channels(summary: Summary, names: Mapping[str, str]) -> str:
    if not summary.channels:
        return ""
    total = sum(n for _, n in summary.channels) or 1
    labels = [_one_line(channel_label(channel, names), 40) for channel, _ in summary.channels]
    width = max(14, *map(len, labels))
    lines = ["Use per channel"]
    lines += [f"  {label:<{width}} {n:>10,}  {_bar(n, total, 20)}"
              for label, (_, n) in zip(labels, summary.channels, strict=True)]
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


def _text_checks(summary: Summary) -> str:
    if not summary.checks:
        return ""
    return (f"Draft checks: {summary.checks:,}, of which {summary.checks_off_message:,} "
            "found changed or unapproved sentences")


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


# ---------------------------------------------------------------- Slack


def stats_mrkdwn(summary: Summary, gaps: Sequence[Gap], limit: int = 5,
                 channel_names: Mapping[str, str] | None = None) -> str:
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
    if summary.channels:
        names = channel_names or {}
        lines.append("Channels: " + ", ".join(
            f"{_slack_escape(channel_label(channel, names))} ({n:,})"
            for channel, n in summary.channels[:limit]))
    if summary.checks:
        lines.append(f"Draft checks: {summary.checks:,} "
                     f"({summary.checks_off_message:,} found changed or unapproved sentences)")
    if summary.top_queries:
        lines.append("*Most asked*")
        lines += [f"{n}. {_slack_escape(_one_line(q.text, 60))} ({q.count:,})"
                  for n, q in enumerate(summary.top_queries[:limit], start=1)]
    lines.append("*Top gaps* (no fitting approved response)")
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
