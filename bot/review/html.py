"""The review as one HTML page for the communications team.

One self-contained file: inline CSS and inline SVG charts, no scripts, no fonts or images
fetched from anywhere, so it opens offline, can be mailed as an attachment and prints.
Written for readers who are not engineers: plain headings, each outcome explained in
words, numbers with their share. Every piece of user text (queries, channel ids, entry
titles) goes through `_e` (HTML escaping), because queries are typed by anyone in Slack.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence

from bot.matching import ANSWER, NO_MATCH, SUGGESTIONS
from bot.review.gaps import GAP_OUTCOME_WORDS, Gap
from bot.review.summary import OUTCOME_LABELS, OUTCOMES, DayCount, Summary
from bot.review.text import outcome_line, percent, period

COLOURS = {ANSWER: "#1f5fa8", SUGGESTIONS: "#e69f00", NO_MATCH: "#c0392b"}
OUTCOME_MEANING = {
    ANSWER: "one approved response clearly fitted and was given, word for word",
    SUGGESTIONS: "several approved responses were close; the person was offered them to choose",
    NO_MATCH: "nothing approved fitted; the person was pointed to the press contact",
}

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d232a;
background:#f4f6f8;margin:0;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 6px;
border-bottom:2px solid #e3e7eb;padding-bottom:4px}
.lead{color:#4a5560;margin:0 0 20px}.note{color:#5b6570;font-size:14px;margin:4px 0 12px}
.tiles{display:flex;gap:14px;flex-wrap:wrap}
.tile{flex:1 1 140px;border:1px solid #dde2e7;border-radius:8px;padding:12px 16px}
.tile b{display:block;font-size:30px}.tile span{color:#4a5560;font-size:14px}
table{border-collapse:collapse;width:100%;font-size:15px}
th{text-align:left;color:#4a5560;font-weight:600;border-bottom:1px solid #cfd6dc;padding:6px}
td{border-bottom:1px solid #eceff2;padding:6px;vertical-align:top}
th.n,td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.also{color:#5b6570;font-size:13px}.id{font-family:Menlo,Consolas,monospace;font-size:13px;
color:#4a5560}.legend span{display:inline-block;margin-right:18px;font-size:14px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:6px;border-radius:2px}
svg text{font-family:inherit}
@media print{body{background:#fff}main{padding:0}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(summary: Summary, gaps: Sequence[Gap], generated: dt.datetime,
                titles: Mapping[str, str] | None = None,
                channel_names: Mapping[str, str] | None = None) -> str:
    """The whole report as one HTML document (a str to write to a file)."""
    titles = titles or {}
    body = "\n".join([
        f"<h1>What people asked facts-bot</h1><p class=lead>{_e(period(summary))}. "
        f"Prepared {generated:%Y-%m-%d %H:%M} UTC from the query log.</p>",
        _tiles(summary),
        _outcomes(summary),
        _days(summary.per_day),
        _gaps(gaps),
        _asked(summary),
        _entries(summary, titles),
        _feedback(summary, titles),
        _channels(summary, channel_names or {}),
        _checks(summary),
        _reading_notes(summary),
    ])
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>facts-bot review: {_e(period(summary))}</title><style>{_CSS}</style>"
            f"</head><body><main>\n{body}\n</main></body></html>\n")


def _tiles(summary: Summary) -> str:
    answered = summary.outcomes.get(ANSWER, 0)
    tiles = [
        (f"{summary.lookups:,}", "questions asked"),
        (f"{summary.people:,}", "people asking"),
        (percent(answered, summary.lookups), "got an approved answer"),
        (percent(summary.outcomes.get(NO_MATCH, 0), summary.lookups), "got no approved answer"),
        (f"{summary.not_helpful:,}", "answers marked not helpful"),
    ]
    cells = "".join(f"<div class=tile><b>{_e(v)}</b><span>{_e(label)}</span></div>"
                    for v, label in tiles)
    return f"<div class=tiles>{cells}</div>"


def _outcomes(summary: Summary) -> str:
    total = summary.lookups
    x, parts = 0.0, []
    for outcome in OUTCOMES:
        n = summary.outcomes.get(outcome, 0)
        width = 1000 * n / total if total else 0
        label = f"{OUTCOME_LABELS[outcome]}: {n:,} ({percent(n, total)})"
        parts.append(f"<rect x='{x:.1f}' y='0' width='{width:.1f}' height='36' "
                     f"fill='{COLOURS[outcome]}'><title>{_e(label)}</title></rect>")
        if width > 60:
            parts.append(f"<text x='{x + 8:.1f}' y='24' fill='#fff' font-size='16' "
                         f"font-weight='600'>{percent(n, total)}</text>")
        x += width
    bar = (f"<svg viewBox='0 0 1000 36' width='100%' role='img' aria-label='Outcome shares'>"
           f"{''.join(parts)}</svg>")
    rows = "".join(
        f"<tr><td><i style='background:{COLOURS[o]};display:inline-block;width:12px;"
        f"height:12px;margin-right:8px'></i>{_e(OUTCOME_LABELS[o])}</td>"
        f"<td class=n>{summary.outcomes.get(o, 0):,}</td>"
        f"<td class=n>{percent(summary.outcomes.get(o, 0), total)}</td>"
        f"<td>{_e(OUTCOME_MEANING[o])}</td></tr>" for o in OUTCOMES)
    low = ""
    if summary.low_confidence_answers:
        low = (f"<p class=note>{summary.low_confidence_answers:,} of the answers only just "
               f"qualified (score below {summary.low_confidence_score:.0f} of 100); the team may "
               "want to check them.</p>")
    other = sum(summary.other_uses.values())
    uses = "use" if other == 1 else "uses"
    others = (f"<p class=note>Not counted here: {other:,} {uses} of /facts that asked no "
              "question (help, commands).</p>" if other else "")
    return (f"<h2>How questions were answered</h2>{bar}<table><tr><th>Outcome</th>"
            f"<th class=n>Questions</th><th class=n>Share</th><th>What it means</th></tr>"
            f"{rows}</table>{low}{others}")


def _legend() -> str:
    return "<p class=legend>" + "".join(
        f"<span><i style='background:{COLOURS[o]}'></i>{_e(OUTCOME_LABELS[o])}</span>"
        for o in OUTCOMES) + "</p>"


def _days(days: Sequence[DayCount]) -> str:
    heading = "<h2>Questions per day</h2>"
    if not days:
        return heading + "<p>No questions in this period.</p>"
    width, height, left, bottom = 1000, 260, 48, 28
    plot_w, plot_h = width - left - 8, height - bottom - 10
    tick = _nice_step(max(d.total for d in days) / 4)
    top = tick * max(1, -(-max(d.total for d in days) // tick))
    step = plot_w / len(days)
    parts = _y_axis(top, tick, left, plot_w, plot_h)
    for number, day in enumerate(days):
        parts.append(_day_bar(day, left + number * step, step, plot_h, top))
    for number in _label_positions(len(days)):
        x = left + (number + 0.5) * step
        parts.append(f"<text x='{x:.1f}' y='{plot_h + 30}' font-size='12' fill='#4a5560' "
                     f"text-anchor='middle'>{days[number].day:%b %d}</text>")
    svg = (f"<svg viewBox='0 0 {width} {height}' width='100%' role='img' "
           f"aria-label='Questions per day, by outcome'>{''.join(parts)}</svg>")
    note = "<p class=note>Days are UTC calendar days. Point at a bar for its numbers.</p>"
    return heading + _legend() + svg + note


def _day_bar(day: DayCount, x: float, step: float, plot_h: float, top: int) -> str:
    gap = min(2.0, step * 0.2)
    y, rects = 10 + plot_h, []
    for outcome in OUTCOMES:
        h = plot_h * day.outcomes.get(outcome, 0) / top
        y -= h
        if h > 0:
            rects.append(f"<rect x='{x + gap / 2:.2f}' y='{y:.2f}' width='{step - gap:.2f}' "
                         f"height='{h:.2f}' fill='{COLOURS[outcome]}'/>")
    tip = f"{day.day:%A %Y-%m-%d}: {day.total:,} questions ({outcome_line(day.outcomes)})"
    return f"<g><title>{_e(tip)}</title>{''.join(rects)}</g>"


def _y_axis(top: int, tick: int, left: float, plot_w: float, plot_h: float) -> list[str]:
    parts = []
    for value in range(0, top + 1, tick):
        y = 10 + plot_h * (1 - value / top)
        parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' "
                     f"stroke='#e3e7eb'/>")
        parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' font-size='12' fill='#4a5560' "
                     f"text-anchor='end'>{value:,}</text>")
    return parts


def _nice_step(rough: float) -> int:
    """A whole, round gridline step near `rough`: 1, 2 or 5 times a power of ten."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= rough:
                return factor * magnitude
        magnitude *= 10


def _label_positions(count: int, most: int = 10) -> range:
    return range(0, count, max(1, -(-count // most)))


def _bars(rows: Sequence[tuple[str, int]], total: int | None = None) -> str:
    """Rows of label, number and a proportional bar: the longest bar is the largest row."""
    if not rows:
        return "<p>None in this period.</p>"
    most = max(n for _, n in rows) or 1
    lines = []
    for label, n in rows:
        share = f" ({percent(n, total)})" if total else ""
        bar = (f"<svg width='260' height='14' role='presentation'><rect width='"
               f"{260 * n / most:.1f}' height='14' rx='2' fill='#1f5fa8'/></svg>")
        lines.append(f"<tr><td>{label}</td><td class=n>{n:,}{share}</td><td>{bar}</td></tr>")
    return "<table>" + "".join(lines) + "</table>"


def _gaps(gaps: Sequence[Gap]) -> str:
    heading = ("<h2>Questions without a confident approved answer</h2><p class=note>"
               "Similar wordings are grouped. These are where new approved language may be "
               "needed; <span class=id>facts-bot review gaps --yaml</span> starts entries for "
               "them (the approved text itself is always written by the team).</p>")
    if not gaps:
        return heading + "<p>None: every question had a confident approved answer.</p>"
    rows = []
    for number, gap in enumerate(gaps, start=1):
        also = "".join(f"<div class=also>also: {_e(text)} ({n:,})</div>"
                       for text, n in gap.phrasings[1:])
        closest = "none"
        if gap.closest:
            closest = (f"{_e(gap.closest.title)}<div class=id>{_e(gap.closest.entry_id)}, "
                       f"match {gap.closest.score:.0f} of 100</div>")
        rows.append(f"<tr><td class=n>{number}</td><td>{_e(gap.text)}{also}</td>"
                    f"<td class=n>{gap.count:,}</td><td class=n>{gap.first_seen:%Y-%m-%d}<br>"
                    f"{gap.last_seen:%Y-%m-%d}</td>"
                    f"<td>{_e(outcome_line(gap.outcomes, GAP_OUTCOME_WORDS))}</td>"
                    f"<td>{closest}</td></tr>")
    return (heading + "<table><tr><th class=n>#</th><th>Asked as</th><th class=n>Times</th>"
            "<th class=n>First / last</th><th>Outcomes</th><th>Closest approved entry</th>"
            "</tr>" + "".join(rows) + "</table>")


def _asked(summary: Summary) -> str:
    rows = [(f"{_e(q.text)}<div class=also>{_e(outcome_line(q.outcomes))}</div>", q.count)
            for q in summary.top_queries]
    return ("<h2>Most asked questions</h2><p class=note>Wordings that differ only in case, "
            "punctuation, word order or small words are counted together.</p>"
            + _bars(rows, summary.lookups))


def _entries(summary: Summary, titles: Mapping[str, str]) -> str:
    rows = [(_entry_label(entry_id, titles), n) for entry_id, n in summary.top_entries]
    answered = summary.outcomes.get(ANSWER, 0)
    return ("<h2>Approved responses given most</h2><p class=note>How often each approved "
            "response was the answer.</p>" + _bars(rows, answered))


def _entry_label(entry_id: str, titles: Mapping[str, str]) -> str:
    title = titles.get(entry_id)
    if title is None:
        return f"<span class=id>{_e(entry_id or '(unknown)')}</span>"
    return f"{_e(title)}<div class=id>{_e(entry_id)}</div>"


def _feedback(summary: Summary, titles: Mapping[str, str]) -> str:
    heading = (f"<h2>Feedback</h2><p>{summary.helpful:,} answers marked helpful, "
               f"{summary.not_helpful:,} marked not helpful.</p>")
    if not summary.unhelpful:
        return heading
    rows = "".join(f"<tr><td>{_e(item.query)}</td><td>{_entry_label(item.entry_id, titles)}"
                   f"</td><td class=n>{item.count:,}</td></tr>" for item in summary.unhelpful)
    return (heading + "<table><tr><th>Question</th><th>Answer given, judged not helpful</th>"
            f"<th class=n>Times</th></tr>{rows}</table>")


def _channels(summary: Summary, names: Mapping[str, str]) -> str:
    rows = [(_e(names[channel]) if names.get(channel, channel) != channel
             else f"<span class=id>{_e(channel or '(direct)')}</span>", n)
            for channel, n in summary.channels]
    return "<h2>Use per channel</h2>" + _bars(rows)


def _checks(summary: Summary) -> str:
    on_message = summary.checks - summary.checks_off_message
    return (f"<h2>Drafts checked against approved lines</h2><p>{summary.checks:,} drafts "
            f"checked: {on_message:,} on message, {summary.checks_off_message:,} found changed "
            "or unapproved sentences.</p>")


def _reading_notes(summary: Summary) -> str:
    return ("<h2>About this report</h2><p class=note>Every /facts question is logged with "
            "what the bot did. The bot only ever gives approved language, word for word; it "
            "never writes new answers. \"Confident\" means the best approved response scored "
            f"at least {summary.low_confidence_score:.0f} of 100 and clearly beat the others."
            "</p>")
