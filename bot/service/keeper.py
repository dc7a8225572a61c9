"""Where a log row goes when the database will not take it, so that answers never wait on it.

The database first; when it fails, the spool on disk; when the disk is full
too, a bounded buffer in memory. Only rows past that bound are dropped, and
they are counted. Rows waiting anywhere are written back by `run` as soon as
the database (or the spool) takes them again. `write` never raises: a press
officer's answer must go out whatever the log does.

The operator hears once per change of state (one line when rows start going to
the spool, to memory, or being dropped, and one when all is written again),
not once per row; `/readyz` and `/metrics` show the numbers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from bot.service.metrics import Metrics
from bot.service.spool import Spool
from bot.store import AuditRecord, LogStore, QueryRecord

log = logging.getLogger("facts_bot")

DEFAULT_MEMORY_ROWS = 10_000
RETRY_SECONDS = 5.0

Record = QueryRecord | AuditRecord

OK, SPOOLING, IN_MEMORY, DROPPING = "ok", "spooling", "in memory", "dropping"


class LogKeeper:
    """Writes log rows to the store, else the spool, else memory; writes them back later."""

    def __init__(self, store: LogStore, spool: Spool | None, metrics: Metrics,
                 max_memory_rows: int = DEFAULT_MEMORY_ROWS) -> None:
        self.store, self.spool, self.metrics = store, spool, metrics
        self.max_memory_rows = max_memory_rows
        self.memory: deque[Record] = deque()
        self.dropped = 0
        self.state = OK
        self._lock = asyncio.Lock()  # one write-back at a time
        metrics.gauge("facts_log_rows_in_memory", "Log rows held in memory: neither the "
                      "database nor the spool could take them.", lambda: len(self.memory))
        metrics.gauge("facts_log_rows_dropped_total", "Log rows lost: database, spool and "
                      "memory buffer were all full.", lambda: self.dropped)
        metrics.gauge("facts_log_rows_spooled", "Log rows waiting in the spool on disk.",
                      lambda: self.spool.rows if self.spool else 0)

    async def write(self, record: Record) -> None:
        """Keep `record` somewhere; never raises."""
        if self.memory:  # older rows are waiting in memory: queue behind them, in order
            self._keep(record, "older rows are waiting in memory")
            return
        started = time.perf_counter()
        try:
            await (self.store.record_query(record) if isinstance(record, QueryRecord)
                   else self.store.record_audit(record))
        except Exception as failed:  # the database did not take it
            self.metrics.log_write_errors.inc()
            self._keep(record, f"{type(failed).__name__}: {failed}"[:200])
            return
        self.metrics.log_commit_ms.observe((time.perf_counter() - started) * 1000)
        if self.state != OK and not self.waiting():
            self._enter(OK, "")

    def _keep(self, record: Record, reason: str) -> None:
        if not self.memory and self.spool is not None:
            try:
                if self.spool.add(record):
                    self._enter(SPOOLING, f"database: {reason}")
                    return
                reason = "the spool is full"
            except OSError as failed:
                reason = f"spool: {failed.strerror or failed}"
        if len(self.memory) < self.max_memory_rows:
            self.memory.append(record)
            self._enter(IN_MEMORY, reason)
            return
        self.dropped += 1
        self._enter(DROPPING, f"{self.max_memory_rows} rows already in memory")

    def waiting(self) -> int:
        return len(self.memory) + (self.spool.rows if self.spool else 0)

    def _enter(self, state: str, why: str) -> None:
        """One line per change of state, not one per row."""
        if state == self.state:
            return
        previous, self.state = self.state, state
        if state == OK:
            log.info("query log: every row is written to the database again (was %s)",
                     previous)
        elif state == SPOOLING:
            log.error("query log: the database is not taking rows (%s); they wait in the "
                      "spool %s", why, self.spool.path if self.spool else "")
        elif state == IN_MEMORY:
            log.error("query log: neither the database nor the spool takes rows (%s); "
                      "holding up to %d in memory", why, self.max_memory_rows)
        else:
            log.error("query log: ROWS ARE BEING DROPPED (%s); see "
                      "facts_log_rows_dropped_total", why)

    async def write_back(self) -> int:
        """Rows from memory to the database (else the spool), oldest first, then the spool."""
        async with self._lock:
            written = 0
            while self.memory:
                record = self.memory[0]
                try:
                    await (self.store.record_query(record) if isinstance(record, QueryRecord)
                           else self.store.record_audit(record))
                except Exception:
                    try:
                        if self.spool is None or not self.spool.add(record):
                            break
                    except OSError:
                        break
                self.memory.popleft()
                written += 1
            if self.spool is not None and not self.memory:
                await self.spool.drain(self.store)
            if self.state != OK and not self.waiting():
                self._enter(OK, "")
            return written

    def problems(self) -> list[str]:
        """What /readyz lists as degraded."""
        found = []
        if self.spool is not None and self.spool.rows:
            found.append(f"log: {self.spool.rows} row(s) waiting in the spool")
        if self.memory:
            found.append(f"log: {len(self.memory)} row(s) held in memory (the database and "
                         "the spool are not taking rows)")
        if self.dropped:
            found.append(f"log: {self.dropped} row(s) dropped (memory buffer full)")
        return found

    async def run(self, stop: asyncio.Event, retry_seconds: float = RETRY_SECONDS) -> None:
        """Write back every few seconds until stopped, then once more."""
        while not stop.is_set():
            try:
                await self.write_back()
            except Exception:
                log.exception("query log: write-back failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), retry_seconds)
            except TimeoutError:
                continue
        try:
            await self.write_back()
        except Exception:
            log.exception("query log: last write-back failed")
