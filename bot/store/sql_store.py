"""`SqlLogStore`: the `LogStore` methods both SQL backends carry out the same way.

Why a base class: once the statements and the row mapping come from one `Dialect`
(`bot/store/sql.py`), most of the interface is "take the admin connection, run a
statement, map the rows", identical on SQLite and PostgreSQL. That is written here once.
A backend keeps what really differs, through a few hooks:

- `_connect()` and `_prepare()`: opening a connection, and readying the database
  (SQLite: WAL, then migrations; PostgreSQL: migrations under an advisory lock);
- `_admin_conn()` / `_admin_tx()`: the admin connection for reads and a transaction on
  it (PostgreSQL reconnects a dropped one; SQLite writes with `BEGIN IMMEDIATE`);
- `_make_writer()` / `_write_rows()`: the log's writer; by default a thread whose
  transactions `_write_rows` makes (PostgreSQL's calls `_insert_batch`; SQLite writes
  multi-row INSERTs through `sqlite_file.BatchWriter`, from a thread or a process);
- `_stream()`: streaming a long read (SQLite: a private connection; PostgreSQL: a
  server-side cursor);
- `_insert_reload()`: appending a reload request so that seq order is commit order.

The writer thread, counters, `close()` and chunked purge stay in `GroupCommitStore`.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, Final, Protocol, TypeVar

from bot.store.base import (
    ALERT_FAILED,
    ALERT_OK,
    ALERT_PENDING,
    AlertStatus,
    AuditRecord,
    LogStore,
    QueryRecord,
)
from bot.store.group_commit import GroupCommitStore, GroupCommitWriter, RowsByTable, TurnBatcher
from bot.store.sql import (
    Dialect,
    Migrations,
    Statements,
    alert_from_row,
    audit_from_row,
    audit_row,
    query_from_row,
    query_row,
    range_where,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

PURGE_CHUNK: Final = 10_000  # rows per delete transaction: keeps each one (and its locks) short
FETCH_CHUNK: Final = 500  # rows fetched per step (PostgreSQL: per round trip) while streaming


class _ExecutesMany(Protocol):
    """A connection (sqlite3) or cursor (psycopg) that can run a batch of one statement."""

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Any: ...


class SqlLogStore(GroupCommitStore, LogStore):
    """A `LogStore` over the statements of `bot/store/sql.py`; see the module docstring.

    A subclass sets `_dialect` and `_sql` (class attributes), implements the hooks and
    calls `_start()` from its constructor.
    """

    _dialect: ClassVar[Dialect]
    _sql: ClassVar[Statements]
    _writer_conn: Any

    # -- hooks -------------------------------------------------------------------------------

    @abc.abstractmethod
    def _connect(self) -> Any:
        """A new connection, set up for this store."""

    @abc.abstractmethod
    def _prepare(self) -> None:
        """Ready the database on the admin connection (migrations); runs once, in `_start`."""

    @abc.abstractmethod
    def _admin_conn(self) -> Any:
        """The admin connection, usable outside a transaction. Hold `_admin_lock`."""

    def _write_rows(self, rows: RowsByTable) -> None:
        """One transaction for a whole batch (runs on the writer thread of `_make_writer`)."""
        raise NotImplementedError

    @abc.abstractmethod
    def _stream(
        self, sql: str, params: list[Any], convert: Callable[[Any], T]
    ) -> Iterator[T]:
        """Yield `convert(row)` for each row of `sql`, one consistent snapshot."""

    @abc.abstractmethod
    def _insert_reload(self, conn: Any, params: tuple[Any, ...]) -> int:
        """Run `_sql.insert_reload` in the open transaction on `conn`; return the new seq."""

    # -- start-up ------------------------------------------------------------------------------

    def _start(self, *, label: str, max_batch: int) -> None:
        """Open the admin connection, prepare the database, then start the writer.

        On failure nothing is left open.
        """
        self._admin_lock = threading.Lock()
        self._admin = self._connect()
        try:
            self._prepare()
            self._writer = self._make_writer(label, max_batch)
        except BaseException:
            self._admin.close()
            raise

    def _make_writer(self, label: str, max_batch: int) -> TurnBatcher:
        """The log's writer: by default a thread writing with `_write_rows` on a connection
        of its own."""
        self._writer_conn = self._connect()
        return GroupCommitWriter(self._write_rows, self._close_writer_conn,
                                 label=label, max_batch=max_batch)

    def _close_writer_conn(self) -> None:
        if self._writer_conn is not None:
            self._writer_conn.close()

    @classmethod
    def apply_migrations(cls, conn: Any, migrations: Migrations, where: str) -> None:
        """Apply the `migrations` not yet recorded in `schema_version`, in the caller's
        transaction (which must serialise concurrent openers).

        `migrations` is passed in, not read from the class, so that each backend hands
        over its module's `MIGRATIONS` as it is at call time (tests replace it).
        """
        conn.execute(cls._sql.create_schema_version)
        row = conn.execute(cls._sql.schema_version).fetchone()
        current = (row[0] if row else None) or 0
        latest = migrations[-1][0]
        if current > latest:
            raise RuntimeError(
                f"{where} has schema version {current}, newer than this code "
                f"knows ({latest}); upgrade facts-bot before using this database"
            )
        for version, statements in migrations:
            if version <= current:
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute(
                cls._sql.insert_schema_version,
                (version, cls._dialect.bind_ts(datetime.now(UTC), "ts")),
            )
            logger.info("%s: applied schema migration %d", where, version)

    # -- writes: group commit ------------------------------------------------------------------

    async def record_query(self, rec: QueryRecord) -> None:
        await self._writer.submit("queries", query_row(self._dialect, rec))

    async def record_audit(self, rec: AuditRecord) -> None:
        await self._writer.submit("audit", audit_row(self._dialect, rec))

    def _insert_batch(self, executor: _ExecutesMany, rows: RowsByTable) -> None:
        """Insert a batch's rows, table by table, inside `_write_rows`' transaction."""
        for table, sql in self._sql.insert.items():
            if table in rows:
                executor.executemany(sql, rows[table])

    # -- reads ---------------------------------------------------------------------------------

    def query_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | None = None,
    ) -> Iterator[QueryRecord]:
        self._check_open()
        where, params = range_where(self._dialect, since, until, "status", status)
        sql = f"{self._sql.select_queries}{where} ORDER BY ts, id"
        return self._stream(sql, params, partial(query_from_row, self._dialect))

    def audit_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[AuditRecord]:
        self._check_open()
        where, params = range_where(self._dialect, since, until, "kind", kind)
        sql = f"{self._sql.select_audit}{where} ORDER BY ts, id"
        return self._stream(sql, params, partial(audit_from_row, self._dialect))

    def feedback_on(self, request_id: str, user_id: str) -> list[AuditRecord]:
        """As LogStore's, filtered by the database: a click reads its own rows, not
        every feedback row the log has kept."""
        self._check_open()
        p = self._dialect.placeholder
        where, params = range_where(self._dialect, None, None, "kind", "feedback")
        sql = (f"{self._sql.select_audit}{where} AND request_id = {p} AND user_id = {p} "
               "ORDER BY ts, id")
        return list(self._stream(sql, [*params, request_id, user_id],
                                 partial(audit_from_row, self._dialect)))

    def _admin_fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a short read on the admin connection."""
        with self._admin_lock:
            return self._admin_conn().execute(sql, params).fetchall()

    # -- maintenance ---------------------------------------------------------------------------

    def purge_before(self, ts: datetime) -> int:
        return self._purge_in_chunks(self._sql.purge, self._dialect.bind_ts(ts, "ts"),
                                     PURGE_CHUNK)

    # -- alert claims --------------------------------------------------------------------------

    # Parameters are bound inside the transaction, as they always were: a closed store
    # reports "closed" before it looks at the arguments.

    def claim_alert(self, key: str, owner: str, now: datetime) -> bool:
        with self._admin_tx() as conn:
            params = (key, owner, self._dialect.bind_ts(now, "ts"))
            return conn.execute(self._sql.claim_alert, params).rowcount == 1

    def finish_alert(self, key: str, ok: bool, detail: str, now: datetime) -> None:
        d = self._dialect
        with self._admin_tx() as conn:
            params = (ALERT_OK if ok else ALERT_FAILED, d.bind_ts(now, "ts"),
                      d.bind_text(detail), key, ALERT_PENDING)
            changed = conn.execute(self._sql.finish_alert, params).rowcount
        if changed != 1:
            raise LookupError(f"alert {key!r} has no pending claim to finish")

    def alert_status(self, key: str) -> AlertStatus | None:
        rows = self._admin_fetch(self._sql.alert_by_key, (key,))
        return alert_from_row(self._dialect, rows[0]) if rows else None

    def list_alerts(self, since: datetime | None = None) -> list[AlertStatus]:
        if since is None:
            rows = self._admin_fetch(self._sql.alerts)
        else:
            rows = self._admin_fetch(self._sql.alerts_since,
                                     (self._dialect.bind_ts(since, "since"),))
        return [alert_from_row(self._dialect, r) for r in rows]

    # -- replicas ------------------------------------------------------------------------------

    def publish_content_version(self, replica_id: str, version: str, now: datetime) -> None:
        d = self._dialect
        with self._admin_tx() as conn:
            params = (d.bind_text(replica_id), d.bind_text(version), d.bind_ts(now, "ts"))
            conn.execute(self._sql.publish_version, params)

    def replica_versions(self, since: datetime) -> dict[str, str]:
        with self._admin_lock:
            conn = self._admin_conn()
            params = (self._dialect.bind_ts(since, "since"),)
            rows = conn.execute(self._sql.replica_versions_since, params).fetchall()
        return {r[0]: r[1] for r in rows}

    def request_reload(self, version_hint: str, now: datetime) -> int:
        d = self._dialect
        with self._admin_tx() as conn:
            return self._insert_reload(conn, (d.bind_text(version_hint), d.bind_ts(now, "ts")))

    def reload_requests_after(self, seq: int) -> list[tuple[int, str]]:
        rows = self._admin_fetch(self._sql.reloads_after, (int(seq),))
        return [(int(r[0]), r[1]) for r in rows]

