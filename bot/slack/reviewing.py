"""Keeping content current in Slack: review labels on what is shown, `/facts approve`.

Every place an overdue entry is shown says so; an admin re-approves a plan
(or one entry) for another interval, which is audit-logged and, through the
database, followed by every copy of the bot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable

from bot.content import Entry
from bot.service.approvals import APPROVE, Approvals, approval_detail
from bot.service.clock import Clock
from bot.service.live import LiveKnowledge
from bot.slack import render
from bot.slack.requests import Who


class ReviewCommands:
    """Mixin for FactsBot: review labels and the admins' `/facts approve`."""

    live: LiveKnowledge
    clock: Clock
    approvals: Approvals
    today: Callable[[], dt.date]
    log_audit: Callable[..., Awaitable[None]]  # Recording's
    after_reload: Callable[[], None]

    def review_label(self, entry: Entry) -> str | None:
        return self.approvals.current.status(entry, self.today()).label()

    def review_labels(self, entries: Iterable[Entry]) -> dict[str, str]:
        status, today = self.approvals.current.status, self.today()
        labels = {entry.id: status(entry, today).label() for entry in entries}
        return {entry_id: label for entry_id, label in labels.items() if label}

    def plan_labels(self) -> dict[str, str]:
        snapshot, today = self.live.snapshot, self.today()
        labels = {plan_id: self.approvals.current.plan_status(snapshot, plan_id, today).label()
                  for plan_id in snapshot.documents}
        return {plan_id: label for plan_id, label in labels.items() if label}

    async def approve(self, argument: str, who: Who, request_id: str) -> render.Message:
        target = argument.strip()
        snapshot = self.live.snapshot
        if not target:
            return render.text_message("Usage: `/facts approve &lt;plan id or entry id&gt;` "
                                       "re-approves it for another "
                                       f"{self.approvals.interval.days} days.")
        if target in snapshot.documents:
            covered = [e for e in snapshot.entries if e.document.id == target]
            what = f"Plan `{render.escape(target)}` ({len(covered)} entries)"
        elif target in snapshot.by_id:
            covered = [snapshot.by_id[target]]
            what = f"Entry `{render.escape(target)}`"
        else:
            return render.text_message(f"No plan or entry has the id `{render.escape(target)}`. "
                                       "Plans: " + ", ".join(f"`{render.escape(d)}`"
                                                             for d in snapshot.documents))
        approval = self.approvals.approve(target, self.today(), who.user_id)
        await self.log_audit(APPROVE, who, request_id, approval_detail(approval, len(covered)))
        self.after_reload()  # the reminders move to the new date
        return render.text_message(
            f":white_check_mark: {what} re-approved on {approval.on.isoformat()}; current "
            f"until {approval.until.isoformat()}. Every copy of the bot follows within seconds.")
