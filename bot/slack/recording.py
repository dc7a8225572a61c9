"""The query log and audit trail, written before any answer leaves.

A press office must be able to see every question and every click; a row
that cannot be written to the database waits in the spool (or, with the disk
full, in memory: `service/keeper.py`), and the answer still goes out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.matching import Result
from bot.service.clock import Clock
from bot.service.keeper import LogKeeper
from bot.service.live import LiveKnowledge
from bot.service.metrics import Metrics
from bot.service.spool import Spool
from bot.slack.requests import Who
from bot.store import AuditRecord, LogStore, QueryRecord

log = logging.getLogger("facts_bot")

#: How much of what was typed the log keeps (the matcher reads less: matching/limits.py).
LOGGED_TEXT_CHARS = 10_000


class Recording:
    """Mixin for FactsBot: writes query and audit rows through the privacy filter."""

    live: LiveKnowledge
    store: LogStore
    clock: Clock
    metrics: Metrics
    privacy: Callable[[Any], Any]
    spool: Spool | None
    keeper: LogKeeper

    async def log_query(self, who: Who, request_id: str, text: str, status: str,
                        results: tuple[Result, ...], started: float) -> None:
        top = results[0] if results else None
        record = QueryRecord(
            ts=self.clock.now(), request_id=request_id, user_id=who.user_id,
            user_name=who.user_name, channel_id=who.channel_id, team_id=who.team_id,
            text=text, status=status, top_id=top.entry.id if top else None,
            top_score=top.score if top else None,
            shown_ids=tuple(r.entry.id for r in results),
            content_version=self.live.snapshot.version,
            latency_ms=(time.perf_counter() - started) * 1000, source="slack")
        await self._write(self.store.record_query, self.privacy(record))
        log.info("query %s (top %s, score %s) in %.1f ms", status, record.top_id,
                 record.top_score, record.latency_ms,
                 extra={"event": "query", "status": status, "top_id": record.top_id,
                        "top_score": record.top_score, "latency_ms": round(record.latency_ms, 2),
                        "content_version": record.content_version})

    async def log_audit(self, kind: str, who: Who, request_id: str, detail: dict,
                        version: str | None = None) -> None:
        record = AuditRecord(
            ts=self.clock.now(), kind=kind, user_id=who.user_id, user_name=who.user_name,
            channel_id=who.channel_id, team_id=who.team_id, request_id=request_id,
            detail=detail, content_version=version or self.live.snapshot.version)
        await self._write(self.store.record_audit, self.privacy(record))
        fields = {"event": kind, "content_version": record.content_version}
        if "entry_id" in detail:
            fields["entry_id"] = detail["entry_id"]
        log.info("%s recorded", kind, extra=fields)

    async def _write(self, write: Callable[[Any], Awaitable[None]], record: Any) -> None:
        """Through the keeper: the database, else the spool, else memory; never raises,
        so the answer goes out whatever the log does. (`write` names the table.)"""
        await self.keeper.write(record)
