"""A bounded spool on disk for log rows the database could not take.

When the database is unreachable the answer still goes out; its row waits
here (one JSON object per line, flushed to disk) and is written when the
database answers again. The bound keeps a long outage from filling the disk:
past it, rows are dropped and counted, loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
from pathlib import Path

from bot.store import AuditRecord, LogStore, QueryRecord

log = logging.getLogger("facts_bot")

DEFAULT_MAX_ROWS = 100_000
RETRY_SECONDS = 5.0


def _encode(record: QueryRecord | AuditRecord) -> str:
    fields = dataclasses.asdict(record)
    fields["ts"] = record.ts.isoformat()
    kind = "query" if isinstance(record, QueryRecord) else "audit"
    return json.dumps({"type": kind, "record": fields}, ensure_ascii=False)


def _decode(line: str) -> QueryRecord | AuditRecord:
    data = json.loads(line)
    fields = data["record"]
    fields["ts"] = dt.datetime.fromisoformat(fields["ts"])
    if data["type"] == "query":
        fields["shown_ids"] = tuple(fields["shown_ids"])
        return QueryRecord(**fields)
    return AuditRecord(**fields)


class Spool:
    def __init__(self, path: Path, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self.path = path
        self.max_rows = max_rows
        self.dropped = 0
        self._lock = asyncio.Lock()
        self.rows = sum(1 for _ in path.open(encoding="utf-8")) if path.exists() else 0

    def add(self, record: QueryRecord | AuditRecord) -> bool:
        """Keep a row for later; False (and counted) when the spool is full.

        Raises OSError when the disk will not take it (full, read-only); a line
        half written is cut off again, so the spool never holds a broken row.
        """
        if self.rows >= self.max_rows:
            self.dropped += 1
            return False
        size = self.path.stat().st_size if self.path.exists() else 0
        try:
            with self.path.open("a", encoding="utf-8") as spool:
                spool.write(_encode(record) + "\n")
                spool.flush()
                os.fsync(spool.fileno())
        except OSError:
            with contextlib.suppress(OSError):
                os.truncate(self.path, size)
            raise
        self.rows += 1
        return True

    async def drain(self, store: LogStore) -> int:
        """Write spooled rows to the store; what fails stays for the next try."""
        async with self._lock:
            if not self.rows:
                return 0
            lines = self.path.read_text(encoding="utf-8").splitlines()
            written = 0
            for line in lines:
                try:
                    record = _decode(line)
                except (ValueError, KeyError, TypeError):  # a line cut off by a crash
                    log.error("log spool: skipped a line that cannot be read (%d chars)",
                              len(line))
                    written += 1
                    continue
                try:
                    if isinstance(record, QueryRecord):
                        await store.record_query(record)
                    else:
                        await store.record_audit(record)
                except Exception:
                    break
                written += 1
            rest = lines[written:]
            self.path.write_text("".join(line + "\n" for line in rest), encoding="utf-8")
            self.rows = len(rest)
            if written:
                log.info("log spool: wrote %d row(s) to the database, %d left", written,
                         self.rows)
            return written

    async def run(self, store: LogStore, stop: asyncio.Event) -> None:
        """Retry every few seconds until stopped, then once more."""
        while not stop.is_set():
            await self.drain(store)
            try:
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
            except TimeoutError:
                continue
        await self.drain(store)
