"""Whether approved content is current: due for review, re-approved, or overdue.

A plan (or one entry) names the day it must be looked at again, `review_by`.
Re-approvals happen at run time (`/facts approve`, recorded in the database
and read by every copy), so the dates in the YAML are only the starting
point: `Currency` folds the approvals in. Past its due day content is still
served, but always labelled, so nobody reads a 2009 line as today's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from bot.content.model import Entry, Problem, Snapshot
from bot.content.records import field, record

DEFAULT_INTERVAL_DAYS = 90
SOON_DAYS = 14


@record
class Approval:
    """`target` (a plan id or an entry id) re-approved on `on` by `by`, current until `until`."""

    target: str
    on: dt.date
    until: dt.date
    by: str = ""


@record
class ReviewStatus:
    due: dt.date | None
    overdue: bool
    since: dt.date  # when these words were last approved (the plan's date if never since)

    def as_json(self) -> dict:
        return {"due": self.due.isoformat() if self.due else None, "overdue": self.overdue}

    def label(self) -> str | None:
        """The words every place showing overdue content adds; None while current."""
        if not self.overdue:
            return None
        return f"Not re-approved since {self.since.isoformat()}: check it is still current"


@record
class Currency:
    """The approvals in force, latest per target; immutable, replaced whole when one is added."""

    approvals: Mapping[str, Approval] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, approvals: Iterable[Approval]) -> Currency:
        latest: dict[str, Approval] = {}
        for approval in approvals:
            known = latest.get(approval.target)
            if known is None or (approval.until, approval.on) >= (known.until, known.on):
                latest[approval.target] = approval
        return cls(MappingProxyType(latest))

    def with_approval(self, approval: Approval) -> Currency:
        return Currency.of([*self.approvals.values(), approval])

    def status(self, entry: Entry, today: dt.date) -> ReviewStatus:
        document = entry.document
        due = entry.review_by or document.review_by
        since = document.date
        for target in (document.id, entry.id):
            approval = self.approvals.get(target)
            if approval is not None and (due is None or approval.until >= due):
                due, since = approval.until, max(since, approval.on)
        return ReviewStatus(due, due is not None and today > due, since)

    def plan_status(self, snapshot: Snapshot, plan_id: str, today: dt.date) -> ReviewStatus:
        """The plan as a whole: its own dates and approvals, ignoring entry overrides."""
        document = snapshot.documents[plan_id]
        due, since = document.review_by, document.date
        approval = self.approvals.get(plan_id)
        if approval is not None and (due is None or approval.until >= due):
            due, since = approval.until, max(since, approval.on)
        return ReviewStatus(due, due is not None and today > due, since)


def warn_unreviewed(snapshot_documents: Iterable, problems: list[Problem]) -> None:
    """A plan with neither review_by nor expires would be served, unlabelled, forever."""
    for document in snapshot_documents:
        if document.review_by is None and document.expires is None:
            problems.append(Problem("warning", document.path, 0, "document.review_by",
                                    f"{document.id} has neither review_by nor expires: it "
                                    "would be served as current forever"))
