"""What is overdue for re-approval, or due soon, and whose it is to re-approve.

Pure over a snapshot, the approvals on record and a day: the CLI prints it
(`facts-bot review stale`) and the reminders say the same thing in Slack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.content import Snapshot
from bot.content.currency import SOON_DAYS, Currency


@dataclass(frozen=True)
class StaleItem:
    target: str  # a plan id, or an entry id with a review date of its own
    title: str
    plan_id: str
    due: dt.date
    since: dt.date
    owner: str  # the plan's owner (Slack id) if named, else its press contact

    def overdue_on(self, today: dt.date) -> bool:
        return today > self.due


def stale_items(snapshot: Snapshot, currency: Currency, today: dt.date,
                soon_days: int = SOON_DAYS) -> list[StaleItem]:
    """Plans, and entries dated on their own, overdue or due within `soon_days`; soonest first."""
    horizon = today + dt.timedelta(days=soon_days)
    found: list[StaleItem] = []
    for document in snapshot.documents.values():
        owner = document.owner or f"{document.contact.name}, {document.contact.phone}"
        status = currency.plan_status(snapshot, document.id, today)
        if status.due is not None and status.due <= horizon:
            found.append(StaleItem(document.id, document.title, document.id, status.due,
                                   status.since, owner))
        for entry in snapshot.entries:
            if entry.document.id != document.id or entry.review_by is None:
                continue
            own = currency.status(entry, today)
            if own.due is not None and own.due <= horizon and own.due != status.due:
                found.append(StaleItem(entry.id, entry.title, document.id, own.due, own.since,
                                       owner))
    return sorted(found, key=lambda item: (item.due, item.target))


def stale_text(items: list[StaleItem], today: dt.date, soon_days: int = SOON_DAYS) -> str:
    if not items:
        return f"Nothing is overdue or due for review within {soon_days} days of {today}."
    lines = [f"Due for re-approval as of {today} (overdue, or due within {soon_days} days):"]
    for item in items:
        state = (f"OVERDUE since {item.due}" if item.overdue_on(today)
                 else f"due {item.due} (in {(item.due - today).days} days)")
        lines.append(f"  {item.target}: {state}; last approved {item.since}; owner {item.owner}"
                     f"\n      {item.title}")
    lines.append("Re-approve in Slack with /facts approve <id> (admins).")
    return "\n".join(lines)
