"""SQLite backend for the query log, with group commit.

Durability: WAL journal + `synchronous=FULL`. In WAL mode `NORMAL` only syncs at
checkpoints, so a power cut can lose the last commits even though `record_query` already
returned; that would break the promise "logged before the answer is sent". `FULL` syncs
the WAL on every commit, and group commit makes that cheap: one writer thread owns the
write connection, drains everything queued (up to `max_batch` rows), writes it in one
transaction and pays one fsync for the lot, then wakes every waiting caller.

Timestamps are stored as fixed-width ISO-8601 UTC text with microseconds
(`2026-05-09T07:35:25.123456+00:00`): it sorts lexicographically in time order, is
readable in the `sqlite3` shell by the comms team, parses back with
`datetime.fromisoformat`, and casts straight to `timestamptz` if the data moves to
PostgreSQL. `shown_ids` and audit `detail` are JSON text.

Concurrency: several processes may share the file. Every connection sets `busy_timeout`;
every write transaction starts with `BEGIN IMMEDIATE` so lock waits happen up front where
the busy handler applies. Each read (`query_rows`, `audit_rows`) uses its own short-lived
connection, so a slow export never blocks the writer and sees one consistent snapshot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar

from bot.store.base import as_utc
from bot.store.group_commit import GroupCommitWriter, RowsByTable, TurnBatcher
from bot.store.sql import Dialect, Migrations, migrations, statements, storable_text
from bot.store.sql_store import FETCH_CHUNK, SqlLogStore
from bot.store.sqlite_file import (
    MAX_ROWS_PER_INSERT,
    BatchWriter,
    chunk_sizes,
    connect,
    enable_wal,
    multi_row_insert,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


def ts_text(ts: datetime) -> str:
    """The stored form of a timestamp: fixed-width ISO-8601 UTC, so text order = time order."""
    return as_utc(ts).isoformat(timespec="microseconds")


def parse_ts(text: str) -> datetime:
    """Inverse of `ts_text`."""
    return datetime.fromisoformat(text)


def _bind_ts(ts: datetime, what: str) -> str:
    # `what` is not passed on: SQLite has always reported a naive timestamp as `ts`.
    return ts_text(ts)




DIALECT: Final = Dialect(
    placeholder="?",
    # The rowid; SQLite's own spelling of an auto-assigned key.
    id_column="INTEGER PRIMARY KEY",
    # AUTOINCREMENT: a seq is never reused even after the newest row is deleted.
    seq_column="INTEGER PRIMARY KEY AUTOINCREMENT",
    ts_type="TEXT",  # ts_text: sorts in time order, readable in the sqlite3 shell
    float_type="REAL",
    json_type="TEXT",
    index_tiebreak="",  # every SQLite index ends with the rowid already
    json_out="{}",
    bind_ts=_bind_ts,
    read_ts=parse_ts,
    bind_text=storable_text,  # SQLite text holds NUL, but only what UTF-8 can encode
)
SQL: Final = statements(DIALECT)

#: Versioned migrations (see `bot/store/sql.py`), in SQLite's types. The only SQLite-isms
#: are INTEGER PRIMARY KEY (AUTOINCREMENT) and REAL.
MIGRATIONS: Final[Migrations] = migrations(DIALECT)

#: Table -> INSERT statement; the benchmarks use it to bulk-load a database.
_INSERT_SQL: Final = SQL.insert

__all__ = ["MAX_ROWS_PER_INSERT", "MIGRATIONS", "SQL", "SqliteLogStore", "chunk_sizes",
           "multi_row_insert", "parse_ts", "prepare_file", "ts_text"]


def prepare_file(conn: sqlite3.Connection, where: str, busy_timeout: float) -> str:
    """Ready a log file on `conn`: WAL, then the schema; return the journal mode in force."""
    mode = enable_wal(conn, busy_timeout)
    conn.execute("BEGIN IMMEDIATE")  # a second opener waits here, then sees it done
    try:
        SqliteLogStore.apply_migrations(conn, MIGRATIONS, where)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return mode


class SqliteLogStore(SqlLogStore):
    """The LogStore on one SQLite file. See the module docstring for the design.

    `writer_process=True` writes the log rows from a process of their own
    (`writer_process.py`; what `facts-bot serve` uses), else from a thread of this one.
    `commits`, `rows_written` and `failed_batches` count what the writer did; they exist
    so tests and benchmarks can see group commit working.
    """

    _dialect = DIALECT
    _sql = SQL

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 10.0,
        max_batch: int = 500,
        writer_process: bool = False,
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise ValueError("SqliteLogStore needs a file path (several connections share it)")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout = max(0.0, float(busy_timeout))
        self._writer_process = writer_process
        self.recreated: list[datetime] = []  # when the file vanished and was made again
        # The admin connection: migrations, alert claims, purges. Rare, short, serialised
        # within this process by a lock; across processes by SQLite's own write lock.
        self._start(label=self.path.name, max_batch=max_batch)

    def _make_writer(self, label: str, max_batch: int) -> TurnBatcher:
        if self._writer_process:
            from bot.store.writer_process import ProcessWriter, WriterUnavailable

            try:
                return ProcessWriter(self.path, self._busy_timeout, label=label,
                                     max_batch=max_batch, on_recreated=self._reopen_admin)
            except WriterUnavailable as failed:
                logger.warning("%s; writing the query log from a thread instead", failed)
        batches = BatchWriter(self.path, self._busy_timeout, SQL.insert, self._prepare_new)
        return GroupCommitWriter(partial(self._write_on_thread, batches), batches.close,
                                 label=label, max_batch=max_batch)

    # -- the file itself -----------------------------------------------------------------

    def _prepare_new(self, conn: sqlite3.Connection) -> None:
        """Ready a file created again while serving (see BatchWriter)."""
        prepare_file(conn, str(self.path), self._busy_timeout)

    def _write_on_thread(self, batches: BatchWriter, rows: RowsByTable) -> None:
        if batches.write(rows):
            self._reopen_admin()

    def _reopen_admin(self) -> None:
        """The file was deleted or replaced and the writer made it again: follow it."""
        logger.error("%s was deleted or replaced while serving; created it again (rows "
                     "written before are only in the old file, if it still exists)", self.path)
        with self._admin_lock:
            self._check_open()
            old_admin, self._admin = self._admin, self._connect()
            old_admin.close()
        self.recreated.append(datetime.now(UTC))

    def health_notes(self) -> list[str]:
        if not self.recreated:
            return []
        return [f"database {self.path} was deleted or replaced and created again "
                f"({len(self.recreated)} time(s), last at {self.recreated[-1]:%Y-%m-%d %H:%M:%S} "
                "UTC); rows from before are not in it"]

    # -- connections and migrations ------------------------------------------------------

    def _connect(self, *, read_only: bool = False) -> sqlite3.Connection:
        return connect(self.path, self._busy_timeout, read_only=read_only)

    def _prepare(self) -> None:
        self.journal_mode = prepare_file(self._admin, str(self.path), self._busy_timeout)
        if self.journal_mode.lower() != "wal":
            logger.warning(
                "%s: journal_mode is %r, not WAL (filesystem without shared memory?); "
                "readers and the writer will block each other",
                self.path,
                self.journal_mode,
            )

    def _admin_conn(self) -> sqlite3.Connection:
        """The admin connection. Hold `_admin_lock`."""
        self._check_open()  # under the lock: close() may be closing this connection
        return self._admin

    @contextlib.contextmanager
    def _admin_tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the admin connection: BEGIN IMMEDIATE ... COMMIT."""
        with self._admin_lock:
            conn = self._admin_conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- reads ---------------------------------------------------------------------------

    def _stream(
        self, sql: str, params: list[Any], convert: Callable[[Any], T]
    ) -> Iterator[T]:
        """Yield converted rows from a private connection, closed when iteration ends.

        Stop early with `.close()` on the iterator (or let it be garbage-collected).
        """
        conn = self._connect(read_only=True)
        try:
            cur = conn.execute(sql, params)
            while rows := cur.fetchmany(FETCH_CHUNK):
                for row in rows:
                    yield convert(row)
        finally:
            conn.close()

    # -- replicas ------------------------------------------------------------------------

    def _insert_reload(self, conn: sqlite3.Connection, params: tuple[Any, ...]) -> int:
        # BEGIN IMMEDIATE serialises writers, so seq order is commit order.
        seq = conn.execute(SQL.insert_reload, params).lastrowid
        if seq is None:  # pragma: no cover - sqlite3 always sets it after an INSERT
            raise RuntimeError("reload request was not assigned a sequence number")
        return int(seq)
