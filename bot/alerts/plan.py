"""Event-day alerts: which to post, where, when and what they say, from the knowledge.

Pure functions over a Snapshot: no Slack, no database, no clock. The sender
(bot/alert_sender.py) claims and posts what `alerts_due` returns; the CLI prints
`preview_text`. Keeping the plan a plain list means a reload is just a new plan.

Which days alert, per plan (a `document` with an `alerts` section):
- every day an `event` entry's schedule covers (kind "event_day");
- the day before each run of consecutive event days (kind "heads_up": tomorrow's
  events, today's actions), so the day before the first event day gets a heads-up.
Dated media actions are listed on the alert of the day they fall on; a day with
actions but no alert of its own (not an event day, not a heads-up) is not posted.
What the plan gives no date for (`schedule.undated`) is never "today's": it is
listed under its own heading on every alert of the window it is expected in,
and an undated event makes no event day. A date we resolved against the plan's
own words (a weekday that does not match) says so beside the item.

Approved text is shown exactly as the knowledge has it; the only words of ours
are labels and headings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.content import AlertSettings, Document, Entry, Snapshot, zones
from bot.content.currency import Currency
from bot.content.dates import date_caveat
from bot.content.links import plain_words
from bot.slack.render import (
    BLOCK_LIMIT,
    SECTION_LIMIT,
    UNDATED_HEADING,
    approved_mrkdwn,
    escape,
    split_text,
)
from bot.store.base import AlertStatus

HEADS_UP = "heads_up"
EVENT_DAY = "event_day"
KIND_LABELS = {HEADS_UP: "Heads-up", EVENT_DAY: "Event day"}

HEADER_LIMIT = 150  # Slack: characters in a header block
TEXT_LIMIT = 39_000  # Slack truncates a message's text after 40,000 characters
FACTS_REMINDER = ("Need approved wording? Type /facts and your question to get the "
                  "approved response, word for word.")

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ScheduledItem:
    """An event or a planned action on the alert's day, as the knowledge schedules it."""

    entry_id: str
    title: str
    time: dt.time | None = None
    owner: str | None = None
    spokespeople: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    date_note: str | None = None  # where our date departs from the plan's words
    is_event: bool = False


@dataclass(frozen=True)
class KeyMessage:
    """A sound bite of the plan; `text` is its display text, verbatim."""

    entry_id: str
    title: str
    text: str
    review: str | None = None  # "Not re-approved since ...", when overdue that day


@dataclass(frozen=True)
class Alert:
    """One post to one channel on one local day. `key` is unique per plan, day and kind."""

    key: str
    document_id: str
    plan_title: str
    kind: str  # HEADS_UP | EVENT_DAY
    local_date: dt.date
    timezone: str
    local_time: dt.time
    due_at: dt.datetime  # UTC
    channel: str
    events: tuple[ScheduledItem, ...]  # today's; for a heads-up, tomorrow's
    actions: tuple[ScheduledItem, ...]  # today's
    key_messages: tuple[KeyMessage, ...]
    contact: str
    undated: tuple[ScheduledItem, ...] = ()  # the plan gives no date; expected around now

    @property
    def events_date(self) -> dt.date:
        return self.local_date + _ONE_DAY if self.kind == HEADS_UP else self.local_date

    def message(self, late: bool = False) -> tuple[list[dict[str, Any]], str]:
        return alert_message(self, late=late)


# ---------------------------------------------------------------- the plan


def alert_key(document_id: str, day: dt.date, kind: str) -> str:
    return f"{document_id}:{day.isoformat()}:{kind.replace('_', '-')}"


def alert_plan(snapshot: Snapshot | None, channel_override: str | None = None,
               currency: Currency | None = None) -> list[Alert]:
    """Every alert of every plan that has alert settings, earliest first.

    `channel_override` (FACTS_ALERT_CHANNEL) replaces each plan's channel. A plan
    with no channel at all has no alerts; `plan_problems` says so.
    """
    if snapshot is None:
        return []
    alerts: list[Alert] = []
    for document in snapshot.documents.values():
        channel = channel_override or (document.alerts.channel if document.alerts else None)
        if document.alerts is None or not channel:
            continue
        entries = [e for e in snapshot.entries if e.document.id == document.id]
        for day, kind in sorted(alert_days(entries).items()):
            alerts.append(_build_alert(document, document.alerts, entries, day, kind, channel,
                                       currency or Currency()))
    return sorted(alerts, key=lambda a: (a.due_at, a.key))


def plan_problems(snapshot: Snapshot | None, channel_override: str | None = None) -> list[str]:
    """Plans that want alerts but cannot have them, in words for an operator."""
    if snapshot is None or channel_override:
        return []
    return [f"{d.id}: document.alerts has no channel and FACTS_ALERT_CHANNEL is not set; "
            "no alerts will be posted for this plan"
            for d in snapshot.documents.values() if d.alerts and not d.alerts.channel]


def alert_days(entries: Iterable[Entry]) -> dict[dt.date, str]:
    """The days of one plan that get an alert, and the kind of each."""
    event_days = {day for e in entries if e.kind == "event" for day in _days_served(e)}
    days = dict.fromkeys(event_days, EVENT_DAY)
    for day in event_days:
        if day - _ONE_DAY not in event_days:
            days[day - _ONE_DAY] = HEADS_UP
    return days


def alerts_due(plan: Sequence[Alert], now: dt.datetime) -> list[Alert]:
    """Alerts whose time has come and whose day is still today where they are posted.

    An alert missed for a whole day is never due again: yesterday's picture is stale.
    """
    return [a for a in plan if a.due_at <= now and local_date(a, now) == a.local_date]


def alerts_on(plan: Sequence[Alert], day: dt.date) -> list[Alert]:
    return [a for a in plan if a.local_date == day]


def alerts_today(plan: Sequence[Alert], now: dt.datetime) -> list[Alert]:
    """Alerts for today, each plan's today being the date in its own time zone."""
    return [a for a in plan if a.local_date == local_date(a, now)]


def upcoming_alerts(plan: Sequence[Alert], now: dt.datetime, days: int = 7) -> list[Alert]:
    """Today's alerts (posted or not) and those of the next `days` days, for `/facts events`."""
    return [a for a in plan
            if 0 <= (a.local_date - local_date(a, now)).days <= days]


def next_due(plan: Sequence[Alert], after: dt.datetime) -> dt.datetime | None:
    return min((a.due_at for a in plan if a.due_at > after), default=None)


def local_date(alert: Alert, now: dt.datetime) -> dt.date:
    return zones.local_date(now, alert.timezone)


def _days_served(entry: Entry) -> list[dt.date]:
    schedule = entry.schedule
    if schedule is None or schedule.undated:
        return []
    span = (schedule.last_day - schedule.date).days + 1
    days = (schedule.date + dt.timedelta(days=n) for n in range(span))
    return [day for day in days if entry.servable_on(day)]


def _build_alert(document: Document, settings: AlertSettings, entries: list[Entry],
                 day: dt.date, kind: str, channel: str, currency: Currency) -> Alert:
    # combine() with a ZoneInfo gives the offset in force that day, so DST is right.
    due = dt.datetime.combine(day, settings.time, ZoneInfo(settings.timezone))
    events_date = day + _ONE_DAY if kind == HEADS_UP else day
    return Alert(
        key=alert_key(document.id, day, kind),
        document_id=document.id,
        plan_title=document.title,
        kind=kind,
        local_date=day,
        timezone=settings.timezone,
        local_time=settings.time,
        due_at=due.astimezone(dt.UTC),
        channel=channel,
        events=_scheduled(entries, "event", events_date),
        actions=_scheduled(entries, "media_action", day),
        undated=_undated(entries, {day, events_date}),
        # Words posted "word for word" must be approved when the post goes out, on the
        # plan's own day (Entry.day_of): its alerts may be posted in another time zone.
        key_messages=tuple(KeyMessage(e.id, e.title, e.display_text,
                                      currency.status(e, day).label()) for e in entries
                           if e.kind == "sound_bite" and e.servable_on(due)),
        contact=f"{document.contact.name}, {document.contact.phone}",
    )


def _scheduled(entries: list[Entry], kind: str, day: dt.date) -> tuple[ScheduledItem, ...]:
    found = [(e, e.schedule) for e in entries if e.kind == kind and e.schedule is not None
             and not e.schedule.undated and e.schedule.covers(day) and e.servable_on(day)]
    found.sort(key=lambda pair: pair[1].time or dt.time.min)  # stable: knowledge order
    return tuple(ScheduledItem(e.id, e.title, s.time, s.owner, s.spokespeople, s.cities,
                               date_caveat(s), is_event=kind == "event")
                 for e, s in found)


def _undated(entries: list[Entry], days: set[dt.date]) -> tuple[ScheduledItem, ...]:
    """Events and actions with no date in the plan whose expected window holds one of `days`."""
    found = [(e, e.schedule) for e in entries if e.kind in ("event", "media_action")
             and e.schedule is not None and e.schedule.undated
             and any(e.schedule.covers(day) and e.servable_on(day) for day in days)]
    return tuple(ScheduledItem(e.id, e.title, s.time, s.owner, s.spokespeople, s.cities,
                               _undated_words(s.as_written), is_event=e.kind == "event")
                 for e, s in found)


def _undated_words(as_written: str) -> str | None:
    """Any words the plan has for when an undated item happens, e.g. "next week"."""
    return f"none in the plan, which says “{as_written.strip()}”" if as_written else None


# ---------------------------------------------------------------- what it says


@dataclass(frozen=True)
class _Item:
    title: str
    lines: tuple[str, ...] = ()
    bullet: bool = True


@dataclass(frozen=True)
class _Part:
    heading: str
    items: tuple[_Item, ...]
    empty: str = ""


def _long_date(day: dt.date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


def _headline(alert: Alert) -> str:
    if alert.kind == HEADS_UP:
        return f"Heads-up: events tomorrow, {_long_date(alert.events_date)}"
    return f"Event day: {_long_date(alert.local_date)}"


def _late_note(alert: Alert) -> str:
    due = alert.due_at.astimezone(ZoneInfo(alert.timezone))
    return f"Posted late: this alert was due at {due:%H:%M %Z}."


def _item(thing: ScheduledItem, owner_label: str | None = None) -> _Item:
    owner_label = owner_label or ("By" if thing.is_event else "Owner")
    lines = []
    if thing.date_note:
        lines.append(f"Date: {thing.date_note}")
    if thing.time:
        lines.append(f"Time: {thing.time:%H:%M}")
    if thing.cities:
        lines.append("Where: " + "; ".join(thing.cities))
    if thing.owner:
        lines.append(f"{owner_label}: {thing.owner}")
    if thing.spokespeople:
        lines.append("Spokespeople: " + ", ".join(thing.spokespeople))
    return _Item(thing.title, tuple(lines))


def _parts(alert: Alert) -> list[_Part]:
    when = "tomorrow" if alert.kind == HEADS_UP else "today"
    parts = [
        _Part(f"Events {when}", tuple(_item(e, "By") for e in alert.events), "No events."),
        _Part("Our planned actions today", tuple(_item(a, "Owner") for a in alert.actions),
              "No planned actions today."),
    ]
    if alert.undated:
        parts.append(_Part(UNDATED_HEADING, tuple(_item(u) for u in alert.undated)))
    if alert.key_messages:
        parts.append(_Part("Key messages (approved sound bites, word for word)",
                           tuple(_Item(m.title, (m.text, *([f"⚠ {m.review}"] if m.review
                                                           else [])), bullet=False)
                                 for m in alert.key_messages)))
    return parts


def _footer(alert: Alert) -> list[str]:
    return [FACTS_REMINDER, f"Press contact: {alert.contact}"]


def _render_item(item: _Item, mrkdwn: bool) -> str:
    text = approved_mrkdwn if mrkdwn else plain_words  # Markdown links: their words
    title = f"*{escape(item.title)}*" if mrkdwn else item.title
    head = f"• {title}" if item.bullet else title
    indent = "    " if item.bullet else ""
    return "\n".join([head, *(indent + text(line) for line in item.lines)])


def alert_message(alert: Alert, late: bool = False) -> tuple[list[dict[str, Any]], str]:
    """Block Kit blocks and the plain-text fallback for one alert."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _headline(alert)[:HEADER_LIMIT]}},
        _context([alert.plan_title, *([_late_note(alert)] if late else [])]),
    ]
    for part in _parts(alert):
        pieces = [f"*{escape(part.heading)}*"]
        pieces += [_render_item(i, mrkdwn=True) for i in part.items] or [escape(part.empty)]
        blocks.append({"type": "divider"})
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                   for chunk in pack(pieces)]
    blocks.append({"type": "divider"})
    blocks.append(_context(_footer(alert)))
    return _cap_blocks(blocks), _cap_text(escape(_plain(alert, late)))


def _context(lines: list[str]) -> dict[str, Any]:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": escape(line)[:SECTION_LIMIT]}
                         for line in lines]}


def _cap_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(blocks) <= BLOCK_LIMIT:
        return blocks
    rest = _context(["Message shortened to fit Slack; ask /facts for the rest."])
    return [*blocks[:BLOCK_LIMIT - 1], rest]


def _cap_text(text: str) -> str:
    if len(text) <= TEXT_LIMIT:
        return text
    cut = text.rfind("\n", 0, TEXT_LIMIT)
    return text[:cut if cut > 0 else TEXT_LIMIT] + "\n…"


def _plain(alert: Alert, late: bool) -> str:
    lines = [_headline(alert), alert.plan_title]
    if late:
        lines.append(_late_note(alert))
    for part in _parts(alert):
        lines += ["", part.heading]
        for item in part.items:
            if not item.bullet:
                lines.append("")  # key messages are paragraphs, not a list
            lines.append(_render_item(item, mrkdwn=False))
        if not part.items:
            lines.append(part.empty)
    return "\n".join([*lines, "", *_footer(alert)])


def pack(pieces: Sequence[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Join pieces into as few texts of at most `limit` characters as will hold them."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        for part in split_text(piece, limit):
            joined = f"{current}\n\n{part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = part
    return [*chunks, current] if current else chunks


def preview_text(alerts: Sequence[Alert], day: dt.date | None = None) -> str:
    """What would be posted, for a person at a terminal (no Slack escaping)."""
    if not alerts:
        return f"Nothing to post on {day.isoformat()}." if day else "Nothing to post."
    shown = []
    for alert in alerts:
        local_due = alert.due_at.astimezone(ZoneInfo(alert.timezone))
        shown.append(
            f"{KIND_LABELS[alert.kind]} alert {alert.key}\n"
            f"To {alert.channel} at {local_due:%H:%M %Z} {alert.timezone} "
            f"({alert.due_at:%Y-%m-%d %H:%M} UTC)\n\n" + _plain(alert, late=False)
        )
    return "\n\n".join(shown)


def describe_status(status: AlertStatus) -> str:
    """One line for admins in `/facts events`: where an alert stands and why."""
    when = status.finished_at or status.claimed_at
    line = (f"{status.key}: {status.state}, {status.attempts} attempt(s), "
            f"last {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC")
    return f"{line}: {status.detail}" if status.detail else line
