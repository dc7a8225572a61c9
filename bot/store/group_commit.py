"""Group commit, shared by the stores: one writer, many rows per transaction.

A caller's row is queued with a future; the writer takes everything queued
(up to `max_batch` rows), hands it to the backend to write in one transaction,
then wakes every caller of that batch, with the error if it failed.
So many concurrent queries share one commit, and each caller still returns
only once its own row is durable.

The rows an event loop submits during one of its turns are handed to the
writer together, at the end of that turn: one wake-up of the writer thread
per turn, not one per row. Each wake-up made the writer contend with the
event loop for the GIL (two or three context switches a row under load).

`TurnBatcher` is that part, shared; `GroupCommitWriter` writes from a thread (PostgreSQL,
and SQLite outside `serve`), `writer_process.ProcessWriter` from a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

logger = logging.getLogger(__name__)

RowsByTable = dict[str, list[tuple[Any, ...]]]


@dataclass(slots=True)
class _Pending:
    """A row waiting for the writer, and who to wake when it is committed."""

    table: str
    row: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


_STOP: Final = object()  # queue sentinel: everything before it is written, then the writer exits


# Callers woken per turn of the event loop. Each woken caller goes on to send
# its reply; waking a whole batch of 50 at once made one 60 ms turn, and the
# acks of requests arriving meanwhile waited behind it.
WAKE_PER_TURN = 8


def _settle(futures: list[asyncio.Future[None]], exc: BaseException | None) -> None:
    """Runs on the callers' event loop: wake the waiters of one batch, a few per turn."""
    for fut in futures[:WAKE_PER_TURN]:
        if fut.done():  # the caller was cancelled; the row was still written (or not)
            continue
        if exc is None:
            fut.set_result(None)
        else:
            fut.set_exception(exc)
    if len(futures) > WAKE_PER_TURN:
        asyncio.get_running_loop().call_soon(_settle, futures[WAKE_PER_TURN:], exc)


class TurnBatcher:
    """What every log writer shares: rows gathered per turn of the event loop, counters.

    `submit` returns once the row is committed; the rows each event loop submits during
    one of its turns go to `_deliver` together, at the end of that turn. A subclass
    delivers them to whatever writes them (a thread, a process) and settles their futures
    with `_record` and `_wake`. `commits`, `rows_written` and `failed_batches` let tests
    and benchmarks see group commit working.
    """

    def __init__(self, *, label: str, max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self.label = label
        self.commits = 0
        self.rows_written = 0
        self.failed_batches = 0
        self.failing = False
        self.closed = False
        self._max_batch = max_batch
        self._state_lock = threading.Lock()  # makes "check closed + enqueue" atomic
        # Rows submitted during the current turn of each event loop, not yet delivered.
        self._this_turn: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}

    def check_open(self) -> None:
        if self.closed:
            raise RuntimeError(f"log store {self.label} is closed")

    async def submit(self, table: str, row: tuple[Any, ...]) -> None:
        """Returns once the row is committed; raises what the batch's commit raised."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        with self._state_lock:
            self.check_open()
            rows = self._this_turn.get(loop)
            if rows is None:
                rows = self._this_turn[loop] = []
                loop.call_soon(self._hand_over, loop)
            rows.append(_Pending(table, row, loop, fut))
        # If the caller is cancelled here the row is still written; it just isn't told.
        await fut

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        """End of a turn: the rows it submitted are delivered together."""
        with self._state_lock:
            rows = self._this_turn.pop(loop, None)
            if rows:  # else close() has delivered them already
                self._deliver(rows)

    def _close_turns(self) -> bool:
        """Mark closed and deliver every turn's rows; True the first time. Hold no lock."""
        with self._state_lock:
            first_close = not self.closed
            if first_close:
                self.closed = True
                for rows in self._this_turn.values():  # submitted this turn: before the end
                    self._deliver(rows)
                self._this_turn.clear()
        return first_close

    def _deliver(self, rows: list[_Pending]) -> None:
        """Pass one turn's rows on to be written. Called under `_state_lock`."""
        raise NotImplementedError

    async def close(self) -> bool:
        """Write everything delivered, then stop; True the first time it is called."""
        raise NotImplementedError

    def _record(self, rows: int, error: BaseException | None) -> None:
        """Count one batch's outcome; log once per change between failing and writing."""
        if error is not None:
            self.failed_batches += 1
            if not self.failing:  # once per outage, not once per batch: a full disk
                logger.error("log store writer: writes are failing: %s", error)
            self.failing = True
            return
        self.commits += 1
        self.rows_written += rows
        if self.failing:
            logger.info("log store writer: writes succeed again")
        self.failing = False

    @staticmethod
    def _wake(batch: list[_Pending], error: BaseException | None) -> None:
        """One callback per event loop, not one per row; direct on the caller's own loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for pending in batch:
            by_loop.setdefault(pending.loop, []).append(pending.future)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, futures in by_loop.items():
            if loop is running:
                _settle(futures, error)
                continue
            # RuntimeError: that loop is closed, so nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, futures, error)


class GroupCommitWriter(TurnBatcher):
    """The writer thread of one store.

    `write(rows_by_table)` must write all the rows in one transaction or raise
    (after rolling back); `on_exit` runs on the writer thread as it ends, to
    close its connection.
    """

    def __init__(self, write: Callable[[RowsByTable], None], on_exit: Callable[[], None], *,
                 label: str, max_batch: int) -> None:
        super().__init__(label=label, max_batch=max_batch)
        self._write = write
        self._on_exit = on_exit
        self._queue: queue.SimpleQueue[list[_Pending] | object] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run,
            name=f"logstore-writer:{label}",
            daemon=True,  # if close() is never called, unacknowledged rows are all we lose
        )
        self._thread.start()

    def _deliver(self, rows: list[_Pending]) -> None:
        self._queue.put(rows)

    async def close(self) -> bool:
        """Write everything queued, stop the thread; True the first time it is called."""
        first_close = self._close_turns()
        if first_close:
            self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        return first_close

    def _run(self) -> None:
        """Writer thread: take what is queued, write it in one transaction, wake callers."""
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch: list[_Pending] = list(first)  # type: ignore[call-overload]
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True  # close() guarantees nothing follows the sentinel
                        break
                    batch += item  # type: ignore[operator]
                for start in range(0, len(batch), self._max_batch):  # a turn's rows may be more
                    try:
                        self._write_batch(batch[start:start + self._max_batch])
                    except Exception:  # a bug in our own bookkeeping; keep serving later batches
                        logger.exception("log store writer: unexpected error")
        finally:
            self._on_exit()

    def _write_batch(self, batch: list[_Pending]) -> None:
        error: BaseException | None = None
        try:
            self._write(rows_by_table(batch))
        except Exception as exc:  # every waiter of this batch gets the error, none hangs
            error = exc
        self._record(len(batch), error)
        self._wake(batch, error)


def rows_by_table(batch: list[_Pending]) -> RowsByTable:
    """A batch's rows, table by table, each table's in submission order."""
    rows: RowsByTable = {}
    for pending in batch:
        rows.setdefault(pending.table, []).append(pending.row)
    return rows


class GroupCommitStore:
    """What both stores share around their writer and their admin connection.

    A subclass sets `_writer`, `_admin` (the connection for claims and purges),
    `_admin_lock`, and provides `_admin_tx()`, a transaction on `_admin`.
    """

    _writer: TurnBatcher
    _admin: Any
    _admin_lock: threading.Lock
    _admin_tx: Callable[[], contextlib.AbstractContextManager[Any]]

    @property
    def commits(self) -> int:
        """Write transactions the writer thread has committed."""
        return self._writer.commits

    @property
    def rows_written(self) -> int:
        """Rows the writer thread has committed."""
        return self._writer.rows_written

    @property
    def failed_batches(self) -> int:
        """Batches the writer thread rolled back (their callers got the exception)."""
        return self._writer.failed_batches

    @property
    def closed(self) -> bool:
        return self._writer.closed

    def _check_open(self) -> None:
        self._writer.check_open()

    async def close(self) -> None:
        if await self._writer.close():
            with self._admin_lock:
                self._admin.close()

    def _purge_in_chunks(self, delete_sql: str, cutoff: Any, chunk: int) -> int:
        """Delete old rows of both tables, `chunk` rows per transaction, so that a big
        purge never holds locks (SQLite: the write lock) long enough to stall logging.
        `delete_sql` has `{table}` and two placeholders: the cutoff and the chunk size."""
        total = 0
        for table in ("queries", "audit"):
            while True:
                with self._admin_tx() as conn:
                    deleted = conn.execute(delete_sql.format(table=table),
                                           (cutoff, chunk)).rowcount
                total += deleted
                if deleted < chunk:
                    break
        return total
