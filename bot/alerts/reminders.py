"""Review reminders: a plan's owner hears a week before its review date, and on the day.

Like event-day alerts, a reminder is an item with a unique key, a due instant
and a channel, so the same scheduler and sender post it exactly once across
restarts and copies (the store's claims). The key carries the review date,
so a re-approval (a new date) earns new reminders and the old ones lapse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.content import Document, Snapshot
from bot.content.currency import Currency, ReviewStatus

WEEK_BEFORE = "week-before"
ON_THE_DAY = "on-the-day"
DEFAULT_TIME = dt.time(9, 0)


@dataclass(frozen=True)
class Reminder:
    key: str
    document_id: str
    plan_title: str
    kind: str  # WEEK_BEFORE | ON_THE_DAY
    review_by: dt.date
    since: dt.date
    entries: int
    local_date: dt.date
    timezone: str
    due_at: dt.datetime  # UTC
    channel: str  # the owner's Slack user id (a direct message), else the alert channel

    def message(self, late: bool = False) -> tuple[list[dict[str, Any]], str]:
        """Block Kit blocks and the notification text (the plan's own title, escaped)."""
        from bot.slack.render import escape

        title = escape(self.plan_title)
        if self.kind == ON_THE_DAY:
            head = f"Review due today: *{title}* must be re-approved by {self.review_by}."
        else:
            head = (f"Review due in 7 days: *{title}* must be re-approved by "
                    f"{self.review_by}.")
        body = (f"{head}\nIts {self.entries} approved responses were last approved on "
                f"{self.since}. After {self.review_by} they are still served, labelled "
                "“Not re-approved since …”.\nCheck they are still current, then "
                f"`/facts approve {escape(self.document_id)}` (admins), or retire the plan "
                "with `expires` in its document.yaml.")
        text = f"Review due {self.review_by}: {self.plan_title}"
        return [{"type": "section", "text": {"type": "mrkdwn", "text": body}}], escape(text)


def reminder_plan(snapshot: Snapshot | None, currency: Currency,
                  channel_override: str | None = None) -> list[Reminder]:
    """The week-before and on-the-day reminders of every plan with a review date and a channel."""
    if snapshot is None:
        return []
    reminders = []
    for document in snapshot.documents.values():
        status = currency.plan_status(snapshot, document.id, status_day(document))
        channel = document.owner or channel_override or (
            document.alerts.channel if document.alerts else None)
        if status.due is None or not channel:
            continue
        count = sum(e.document.id == document.id for e in snapshot.entries)
        for kind, day in ((WEEK_BEFORE, status.due - dt.timedelta(days=7)),
                          (ON_THE_DAY, status.due)):
            reminders.append(_reminder(document, status, kind, day, channel, count))
    return sorted(reminders, key=lambda r: (r.due_at, r.key))


def status_day(document: Document) -> dt.date:
    return document.date  # the due date does not depend on the day it is asked on


def _reminder(document: Document, status: ReviewStatus, kind: str, day: dt.date,
              channel: str, entries: int) -> Reminder:
    assert status.due is not None
    zone = document.alerts.timezone if document.alerts else document.timezone
    at = document.alerts.time if document.alerts else DEFAULT_TIME
    due = dt.datetime.combine(day, at, ZoneInfo(zone)).astimezone(dt.UTC)
    return Reminder(key=f"review:{document.id}:{status.due.isoformat()}:{kind}",
                    document_id=document.id, plan_title=document.title, kind=kind,
                    review_by=status.due, since=status.since, entries=entries, local_date=day,
                    timezone=zone, due_at=due, channel=channel)
