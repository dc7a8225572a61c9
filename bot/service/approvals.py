"""Re-approvals, shared by every copy of the bot through the database.

`/facts approve` on one copy writes an audit row of kind `approve`; every copy
reads those rows when it starts and on each replica-sync tick, exactly as it
follows reloads, so all copies label the same content as current. The rows
are the record of who re-approved what, and when.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.content.currency import DEFAULT_INTERVAL_DAYS, Approval, Currency
from bot.store import AuditRecord, LogStore

log = logging.getLogger("facts_bot")

APPROVE = "approve"


def approval_detail(approval: Approval, entries: int) -> dict:
    return {"target": approval.target, "on": approval.on.isoformat(),
            "until": approval.until.isoformat(), "by": approval.by, "entries": entries}


def approval_from(record: AuditRecord) -> Approval | None:
    """The approval an audit row records; None for a row that is not a valid one."""
    detail = record.detail
    try:
        return Approval(target=str(detail["target"]), on=dt.date.fromisoformat(detail["on"]),
                        until=dt.date.fromisoformat(detail["until"]),
                        by=str(detail.get("by", "")))
    except (KeyError, TypeError, ValueError):
        log.warning("ignoring a malformed approval row: %r", detail)
        return None


def read_currency(store: LogStore) -> Currency:
    """Every approval on record (a synchronous read: call it off the event loop)."""
    rows = store.audit_rows(kind=APPROVE)
    return Currency.of(a for a in map(approval_from, rows) if a is not None)


class Approvals:
    """The approvals this copy serves with: read from the store, added to by `/facts approve`."""

    def __init__(self, store: LogStore, interval_days: int = DEFAULT_INTERVAL_DAYS) -> None:
        self.store = store
        self.interval = dt.timedelta(days=interval_days)
        self.current = Currency()

    async def refresh(self) -> bool:
        """Re-read the store; True when something changed."""
        fresh = await asyncio.to_thread(read_currency, self.store)
        local = {a for a in self.current.approvals.values()}
        merged = Currency.of([*fresh.approvals.values(), *local])
        changed = merged != self.current
        if changed:  # the same object otherwise: replies kept for it stay valid (slack/asked.py)
            self.current = merged
        return changed

    def approve(self, target: str, today: dt.date, by: str) -> Approval:
        """Re-approve `target` from `today` for another interval (recording it is the caller's)."""
        approval = Approval(target, today, today + self.interval, by)
        self.current = self.current.with_approval(approval)
        return approval
