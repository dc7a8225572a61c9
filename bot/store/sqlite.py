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
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from bot.store.base import as_utc
from bot.store.group_commit import RowsByTable
from bot.store.sql import Dialect, Migrations, migrations, statements
from bot.store.sql_store import FETCH_CHUNK, SqlLogStore

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


def _as_is(value: str) -> str:
    return value  # SQLite text holds any string, NUL included


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
    bind_text=_as_is,
)
SQL: Final = statements(DIALECT)

#: Versioned migrations (see `bot/store/sql.py`), in SQLite's types. The only SQLite-isms
#: are INTEGER PRIMARY KEY (AUTOINCREMENT) and REAL.
MIGRATIONS: Final[Migrations] = migrations(DIALECT)

#: Table -> INSERT statement; the benchmarks use it to bulk-load a database.
_INSERT_SQL: Final = SQL.insert

#: Most rows one INSERT carries. Each statement is one `sqlite3_step`, and sqlite3
#: releases and re-takes the GIL around every step: `executemany` did that once per row,
#: and under load each re-take waited for the busy event loop (a 12-row batch took
#: 11 ms on the writer thread for 0.3 ms of fsync; benchmarks/bench_slack.py). 64 rows
#: of the widest table stay under 999 parameters, SQLite's limit before 3.32.
MAX_ROWS_PER_INSERT: Final = 64


def chunk_sizes(count: int) -> list[int]:
    """`count` rows as INSERTs of 64, 32, ..., 1 rows: at most seven statement shapes
    per table, so they stay in the connection's statement cache."""
    sizes = [MAX_ROWS_PER_INSERT] * (count // MAX_ROWS_PER_INSERT)
    rest, size = count % MAX_ROWS_PER_INSERT, MAX_ROWS_PER_INSERT
    while rest:
        size //= 2
        if rest >= size:
            sizes.append(size)
            rest -= size
    return sizes


def multi_row_insert(single: str, rows: int) -> str:
    """`INSERT ... VALUES (?, ...)` made to insert `rows` rows in one statement."""
    head, _, marks = single.partition(" VALUES ")
    return f"{head} VALUES {', '.join([marks] * rows)}"


_MULTI_INSERT: Final = {(table, 2 ** power): multi_row_insert(single, 2 ** power)
                         for table, single in SQL.insert.items()
                         for power in range(MAX_ROWS_PER_INSERT.bit_length())}


class SqliteLogStore(SqlLogStore):
    """The LogStore on one SQLite file. See the module docstring for the design.

    `commits`, `rows_written` and `failed_batches` count what the writer thread did; they
    exist so tests and benchmarks can see group commit working.
    """

    _dialect = DIALECT
    _sql = SQL

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 10.0,
        max_batch: int = 500,
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise ValueError("SqliteLogStore needs a file path (several connections share it)")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout = max(0.0, float(busy_timeout))
        self.recreated: list[datetime] = []  # when the file vanished and was made again
        # The admin connection: migrations, alert claims, purges. Rare, short, serialised
        # within this process by a lock; across processes by SQLite's own write lock.
        self._start(label=self.path.name, max_batch=max_batch)

    # -- the file itself -----------------------------------------------------------------

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def _ensure_file(self) -> None:
        """Open the database again if its file was deleted or replaced (writer thread).

        SQLite keeps writing to a deleted file through the open descriptor: every row
        "committed" after someone removed the folder was lost at the next restart. One
        stat per batch notices; the new file gets the schema and the rows from then on.
        """
        if self._file_identity() == self._identity:
            return
        logger.error("%s was deleted or replaced while serving; creating it again (rows "
                     "written before are only in the old file, if it still exists)", self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer_conn = self._connect()
        with self._admin_lock:
            self._check_open()
            old_admin, self._admin = self._admin, self._connect()
            old_admin.close()
            self._prepare()
        old_writer, self._writer_conn = self._writer_conn, writer_conn
        old_writer.close()
        self.recreated.append(datetime.now(UTC))

    def health_notes(self) -> list[str]:
        if not self.recreated:
            return []
        return [f"database {self.path} was deleted or replaced and created again "
                f"({len(self.recreated)} time(s), last at {self.recreated[-1]:%Y-%m-%d %H:%M:%S} "
                "UTC); rows from before are not in it"]

    # -- connections and migrations ------------------------------------------------------

    def _connect(self, *, read_only: bool = False) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; we issue BEGIN/COMMIT ourselves.
        # timeout= is SQLite's busy_timeout: wait that long for another writer's lock.
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self._busy_timeout,
        )
        try:
            if read_only:
                conn.execute("PRAGMA query_only=ON")
            else:
                conn.execute("PRAGMA synchronous=FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self) -> None:
        self.journal_mode = self._enable_wal()
        if self.journal_mode.lower() != "wal":
            logger.warning(
                "%s: journal_mode is %r, not WAL (filesystem without shared memory?); "
                "readers and the writer will block each other",
                self.path,
                self.journal_mode,
            )
        self._migrate()
        self._identity = self._file_identity()  # before the writer thread's first batch

    def _enable_wal(self) -> str:
        """Switch the file to WAL (persistent, so usually a no-op); return the mode in force.

        Switching needs an exclusive lock and SQLite does not always run the busy handler
        for it, so two processes creating the file at once can get "database is locked"
        immediately. Retry with backoff, within the same budget as busy_timeout.
        """
        deadline = time.monotonic() + max(self._busy_timeout, 1.0)
        delay = 0.005
        while True:
            try:
                mode: str = self._admin.execute("PRAGMA journal_mode").fetchone()[0]
                if mode.lower() == "wal":
                    return "wal"
                return self._admin.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def _migrate(self) -> None:
        """Bring the schema up to date, exactly once even if two processes open at once."""
        conn = self._admin
        conn.execute("BEGIN IMMEDIATE")  # the second opener waits here, then sees it done
        try:
            self._apply_migrations(conn, MIGRATIONS, str(self.path))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

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

    # -- writes: group commit ------------------------------------------------------------

    def _write_rows(self, rows: RowsByTable) -> None:
        """One transaction for a whole batch (runs on the writer thread).

        A batch that fits one INSERT (one table, at most MAX_ROWS_PER_INSERT rows: the
        usual case) is that statement alone, which SQLite commits as its own transaction,
        as durably and taking the write lock the same way (busy handler included) as
        BEGIN IMMEDIATE. Each statement hands the GIL back and waits to take it again from
        the busy event loop: three statements a batch took 5 ms under load for 0.2 ms of
        fsync, and the answers in the acks waited for it (benchmarks/bench_slack.py).
        """
        self._ensure_file()
        conn = self._writer_conn
        statements = list(self._insert_statements(rows))
        if len(statements) == 1:
            conn.execute(*statements[0])
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in statements:
                conn.execute(*statement)
            conn.execute("COMMIT")
        except BaseException:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except Exception:
                logger.exception("log store writer: rollback failed")
            raise

    @staticmethod
    def _insert_statements(rows: RowsByTable) -> Iterator[tuple[str, list[Any]]]:
        """A batch's rows as a few multi-row INSERTs (see MAX_ROWS_PER_INSERT), in order:
        (statement, parameters) each."""
        for table in SQL.insert:
            table_rows = rows.get(table)
            if not table_rows:
                continue
            start = 0
            for size in chunk_sizes(len(table_rows)):
                chunk = table_rows[start:start + size]
                start += size
                yield _MULTI_INSERT[table, size], [value for row in chunk for value in row]

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
