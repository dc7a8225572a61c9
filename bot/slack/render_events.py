"""`/facts events`: today's and upcoming scheduled items, each plan on its own calendar.

Items the plan gives no date for are listed under their own heading, never as
today's; a date that departs from the plan's words says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.content import Entry, Snapshot
from bot.content.dates import date_caveat
from bot.slack.render import UNDATED_HEADING, Message, escape, fit, sections


def _schedule_line(entry: Entry) -> str:
    schedule = entry.schedule
    assert schedule is not None
    when = schedule.date.isoformat() + (f" to {schedule.end}" if schedule.end else "")
    said = (f"no date in the plan, expected {when}" if schedule.undated
            else f"“{escape(schedule.as_written)}” = {when}")
    parts = [f"• *{escape(entry.title)}* ({escape(entry.kind_label)}): {said}"]
    caveat = date_caveat(schedule)
    if caveat:
        parts.append(f"_{escape(caveat)}_")
    if schedule.owner:
        parts.append(f"owner {escape(schedule.owner)}")
    if schedule.spokespeople:
        parts.append("spokespeople " + ", ".join(escape(p) for p in schedule.spokespeople))
    if schedule.cities:
        parts.append("in " + ", ".join(escape(c) for c in schedule.cities))
    return " · ".join(parts)


def events_message(snapshot: Snapshot, now: dt.datetime, alert_problems: Sequence[str] = ()
                   ) -> Message:
    """Today's and upcoming scheduled items, each plan on its own local calendar."""
    today: list[Entry] = []
    undated: list[Entry] = []  # no date in the plan: never listed as today's
    upcoming: list[Entry] = []
    past: list[Entry] = []
    for entry in snapshot.entries:
        if entry.schedule is None:
            continue
        local_day = entry.day_of(now)  # the plan's own day
        if entry.schedule.covers(local_day):
            (undated if entry.schedule.undated else today).append(entry)
        elif entry.schedule.date > local_day:
            upcoming.append(entry)
        else:
            past.append(entry)
    lines = ["*Today*"] + ([_schedule_line(e) for e in today] or ["_Nothing scheduled today._"])
    if undated:
        lines += [f"*{UNDATED_HEADING}*"] + [_schedule_line(e) for e in undated]
    upcoming.sort(key=lambda e: e.schedule.date)
    lines += ["*Coming up*"] + ([_schedule_line(e) for e in upcoming[:15]]
                                or ["_Nothing scheduled._"])
    if not today and not upcoming and past:
        latest = max(past, key=lambda e: e.schedule.last_day)
        lines.append(f"_The most recent scheduled item ended {latest.schedule.last_day}: "
                     f"{escape(latest.title)}._")
    if alert_problems:
        lines += ["*Alert problems (admins)*"] + [f"• {escape(p)}" for p in alert_problems]
    return Message(fit(sections(["\n".join(lines)])), "Events today and coming up")


# ------------------------------------------------------------ the last check before sending
