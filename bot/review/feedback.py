"""Feedback counts once per person per reply: their last click.

Every click stays in the audit trail (who changed their mind, and when), but a
person who clicks *Helpful* twice, or *Helpful* then *Not helpful*, on the same
reply has given one opinion, not two: the review counts only their last.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.store.base import AuditRecord

FEEDBACK = "feedback"


def feedback_key(record: AuditRecord) -> tuple[str, str, str]:
    """Who gave it, on which reply (the request it answered), about which response."""
    detail = record.detail
    return (record.user_id, str(detail.get("query_request_id") or record.request_id or ""),
            str(detail.get("entry_id") or ""))


def counted(audits: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
    """The rows as they come, but each person's feedback on a reply only once: the last,
    given after the other rows (only feedback rows are held back, so it still streams)."""
    last: dict[tuple[str, str, str], AuditRecord] = {}
    for record in audits:
        if record.kind != FEEDBACK:
            yield record
            continue
        key = feedback_key(record)
        last.pop(key, None)  # re-inserted: the order of last clicks is kept
        last[key] = record
    yield from last.values()
