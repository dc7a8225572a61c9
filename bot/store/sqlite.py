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
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from bot.store.base import (
    ALERT_FAILED,
    ALERT_OK,
    ALERT_PENDING,
    AlertStatus,
    AuditRecord,
    LogStore,
    QueryRecord,
    as_utc,
)
from bot.store.group_commit import GroupCommitStore, GroupCommitWriter, RowsByTable

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Versioned migrations, applied in order, each exactly once per database file. Never edit
# a released entry; append a new version instead. SQL is kept close to what PostgreSQL
# accepts (the only SQLite-isms are INTEGER PRIMARY KEY and REAL).
MIGRATIONS: Final[tuple[tuple[int, tuple[str, ...]], ...]] = (
    (
        1,
        (
            """CREATE TABLE queries (
                id INTEGER PRIMARY KEY,
                ts TEXT NOT NULL,
                request_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                text TEXT NOT NULL,
                status TEXT NOT NULL,
                top_id TEXT,
                top_score REAL,
                shown_ids TEXT NOT NULL,
                content_version TEXT NOT NULL,
                latency_ms REAL NOT NULL,
                source TEXT NOT NULL
            )""",
            "CREATE INDEX queries_ts ON queries (ts)",
            # (status, ts) serves "status = ? ORDER BY ts" without a sort step.
            "CREATE INDEX queries_status_ts ON queries (status, ts)",
            """CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                ts TEXT NOT NULL,
                kind TEXT NOT NULL,
                user_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                request_id TEXT NOT NULL,
                detail TEXT NOT NULL,
                content_version TEXT NOT NULL
            )""",
            "CREATE INDEX audit_ts ON audit (ts)",
            "CREATE INDEX audit_kind_ts ON audit (kind, ts)",
            """CREATE TABLE alerts (
                alert_key TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                claimed_at TEXT NOT NULL,
                finished_at TEXT,
                detail TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE INDEX alerts_claimed_at ON alerts (claimed_at)",
        ),
    ),
    (
        2,
        (
            # One row per replica: the content version it serves and when it last said so.
            """CREATE TABLE replica_versions (
                replica_id TEXT PRIMARY KEY,
                version TEXT NOT NULL,
                heartbeat_at TEXT NOT NULL
            )""",
            # AUTOINCREMENT: a seq is never reused even after the newest row is deleted,
            # so "requests after N" stays correct for every poller.
            """CREATE TABLE reload_requests (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                version_hint TEXT NOT NULL,
                requested_at TEXT NOT NULL
            )""",
        ),
    ),
)

_QUERY_COLS: Final = (
    "ts, request_id, user_id, user_name, channel_id, team_id, text, status, top_id, "
    "top_score, shown_ids, content_version, latency_ms, source"
)
_AUDIT_COLS: Final = (
    "ts, kind, user_id, user_name, channel_id, team_id, request_id, detail, content_version"
)
_ALERT_COLS: Final = "alert_key, owner, state, attempts, claimed_at, finished_at, detail"
_INSERT_SQL: Final = {
    "queries": f"INSERT INTO queries ({_QUERY_COLS}) VALUES ({', '.join(['?'] * 14)})",
    "audit": f"INSERT INTO audit ({_AUDIT_COLS}) VALUES ({', '.join(['?'] * 9)})",
}
# One statement, so atomic on its own: inserts a new claim, or takes over a FAILED one;
# otherwise changes nothing (rowcount 0). Same text works on PostgreSQL.
_CLAIM_SQL: Final = f"""
    INSERT INTO alerts ({_ALERT_COLS}) VALUES (?, ?, '{ALERT_PENDING}', 1, ?, NULL, '')
    ON CONFLICT (alert_key) DO UPDATE SET
        owner = excluded.owner,
        state = '{ALERT_PENDING}',
        attempts = alerts.attempts + 1,
        claimed_at = excluded.claimed_at,
        finished_at = NULL,
        detail = ''
    WHERE alerts.state = '{ALERT_FAILED}'
"""

_PURGE_CHUNK: Final = 10_000  # rows per delete transaction: keeps the write lock short
_FETCH_CHUNK: Final = 500  # rows fetched per step while streaming


def ts_text(ts: datetime) -> str:
    """The stored form of a timestamp: fixed-width ISO-8601 UTC, so text order = time order."""
    return as_utc(ts).isoformat(timespec="microseconds")


def parse_ts(text: str) -> datetime:
    """Inverse of `ts_text`."""
    return datetime.fromisoformat(text)


def _query_row(rec: QueryRecord) -> tuple[Any, ...]:
    rec.validate()
    return (
        ts_text(rec.ts),
        rec.request_id,
        rec.user_id,
        rec.user_name,
        rec.channel_id,
        rec.team_id,
        rec.text,
        rec.status,
        rec.top_id,
        None if rec.top_score is None else float(rec.top_score),
        json.dumps(list(rec.shown_ids), ensure_ascii=False),
        rec.content_version,
        float(rec.latency_ms),
        rec.source,
    )


def _query_from_row(r: sqlite3.Row | tuple[Any, ...]) -> QueryRecord:
    return QueryRecord(
        ts=parse_ts(r[0]),
        request_id=r[1],
        user_id=r[2],
        user_name=r[3],
        channel_id=r[4],
        team_id=r[5],
        text=r[6],
        status=r[7],
        top_id=r[8],
        top_score=r[9],
        shown_ids=tuple(json.loads(r[10])),
        content_version=r[11],
        latency_ms=r[12],
        source=r[13],
    )


def _audit_row(rec: AuditRecord) -> tuple[Any, ...]:
    rec.validate()
    # Serialised here, in the caller, so a non-JSON detail raises TypeError at the call
    # site instead of failing a whole batch in the writer thread.
    detail = json.dumps(rec.detail, ensure_ascii=False, allow_nan=False)
    return (
        ts_text(rec.ts),
        rec.kind,
        rec.user_id,
        rec.user_name,
        rec.channel_id,
        rec.team_id,
        rec.request_id,
        detail,
        rec.content_version,
    )


def _audit_from_row(r: sqlite3.Row | tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        ts=parse_ts(r[0]),
        kind=r[1],
        user_id=r[2],
        user_name=r[3],
        channel_id=r[4],
        team_id=r[5],
        request_id=r[6],
        detail=json.loads(r[7]),
        content_version=r[8],
    )


def _alert_from_row(r: sqlite3.Row | tuple[Any, ...]) -> AlertStatus:
    return AlertStatus(
        key=r[0],
        owner=r[1],
        state=r[2],
        attempts=r[3],
        claimed_at=parse_ts(r[4]),
        finished_at=None if r[5] is None else parse_ts(r[5]),
        detail=r[6],
    )


def _range_where(
    since: datetime | None, until: datetime | None, column: str | None, value: str | None
) -> tuple[str, list[Any]]:
    """WHERE clause for the half-open range [since, until) plus one equality filter."""
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(ts_text(since))
    if until is not None:
        clauses.append("ts < ?")
        params.append(ts_text(until))
    if column is not None and value is not None:
        clauses.append(f"{column} = ?")
        params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params




class SqliteLogStore(GroupCommitStore, LogStore):
    """The LogStore on one SQLite file. See the module docstring for the design.

    `commits`, `rows_written` and `failed_batches` count what the writer thread did; they
    exist so tests and benchmarks can see group commit working.
    """

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

        # The admin connection: migrations, alert claims, purges. Rare, short, serialised
        # within this process by a lock; across processes by SQLite's own write lock.
        self._admin_lock = threading.Lock()
        self._admin = self._connect()
        try:
            self.journal_mode = self._enable_wal()
            if self.journal_mode.lower() != "wal":
                logger.warning(
                    "%s: journal_mode is %r, not WAL (filesystem without shared memory?); "
                    "readers and the writer will block each other",
                    self.path,
                    self.journal_mode,
                )
            self._migrate()
            writer_conn = self._connect()
        except BaseException:
            self._admin.close()
            raise

        self._writer_conn = writer_conn
        self._writer = GroupCommitWriter(self._write_rows, self._close_writer_conn,
                                         label=self.path.name, max_batch=max_batch)

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
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            latest = MIGRATIONS[-1][0]
            if current > latest:
                raise RuntimeError(
                    f"{self.path} has schema version {current}, newer than this code "
                    f"knows ({latest}); upgrade facts-bot before using this database"
                )
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for sql in statements:
                    conn.execute(sql)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, ts_text(datetime.now(UTC))),
                )
                logger.info("%s: applied schema migration %d", self.path, version)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _admin_tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the admin connection: BEGIN IMMEDIATE ... COMMIT."""
        with self._admin_lock:
            self._check_open()  # under the lock: close() may be closing this connection
            conn = self._admin
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- writes: group commit ------------------------------------------------------------

    async def record_query(self, rec: QueryRecord) -> None:
        await self._writer.submit("queries", _query_row(rec))

    async def record_audit(self, rec: AuditRecord) -> None:
        await self._writer.submit("audit", _audit_row(rec))

    def _write_rows(self, rows: RowsByTable) -> None:
        """One transaction for a whole batch (runs on the writer thread)."""
        conn = self._writer_conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for table, sql in _INSERT_SQL.items():
                if table in rows:
                    conn.executemany(sql, rows[table])
            conn.execute("COMMIT")
        except BaseException:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except Exception:
                logger.exception("log store writer: rollback failed")
            raise

    def _close_writer_conn(self) -> None:
        self._writer_conn.close()

    # -- reads ---------------------------------------------------------------------------

    def query_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | None = None,
    ) -> Iterator[QueryRecord]:
        self._check_open()
        where, params = _range_where(since, until, "status", status)
        sql = f"SELECT {_QUERY_COLS} FROM queries{where} ORDER BY ts, id"
        return self._stream(sql, params, _query_from_row)

    def audit_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[AuditRecord]:
        self._check_open()
        where, params = _range_where(since, until, "kind", kind)
        sql = f"SELECT {_AUDIT_COLS} FROM audit{where} ORDER BY ts, id"
        return self._stream(sql, params, _audit_from_row)

    def _stream(
        self, sql: str, params: list[Any], convert: Callable[[tuple[Any, ...]], T]
    ) -> Iterator[T]:
        """Yield converted rows from a private connection, closed when iteration ends.

        Stop early with `.close()` on the iterator (or let it be garbage-collected).
        """
        conn = self._connect(read_only=True)
        try:
            cur = conn.execute(sql, params)
            while rows := cur.fetchmany(_FETCH_CHUNK):
                for row in rows:
                    yield convert(row)
        finally:
            conn.close()

    # -- maintenance ---------------------------------------------------------------------

    def purge_before(self, ts: datetime) -> int:
        return self._purge_in_chunks(
            "DELETE FROM {table} WHERE id IN "
            "(SELECT id FROM {table} WHERE ts < ? LIMIT ?)", ts_text(ts), _PURGE_CHUNK)

    # -- alert claims --------------------------------------------------------------------

    def claim_alert(self, key: str, owner: str, now: datetime) -> bool:
        with self._admin_tx() as conn:
            return conn.execute(_CLAIM_SQL, (key, owner, ts_text(now))).rowcount == 1

    def finish_alert(self, key: str, ok: bool, detail: str, now: datetime) -> None:
        with self._admin_tx() as conn:
            changed = conn.execute(
                "UPDATE alerts SET state = ?, finished_at = ?, detail = ? "
                "WHERE alert_key = ? AND state = ?",
                (ALERT_OK if ok else ALERT_FAILED, ts_text(now), detail, key, ALERT_PENDING),
            ).rowcount
        if changed != 1:
            raise LookupError(f"alert {key!r} has no pending claim to finish")

    def alert_status(self, key: str) -> AlertStatus | None:
        with self._admin_lock:
            self._check_open()
            row = self._admin.execute(
                f"SELECT {_ALERT_COLS} FROM alerts WHERE alert_key = ?", (key,)
            ).fetchone()
        return None if row is None else _alert_from_row(row)

    def list_alerts(self, since: datetime | None = None) -> list[AlertStatus]:
        sql = f"SELECT {_ALERT_COLS} FROM alerts"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE claimed_at >= ?"
            params.append(ts_text(since))
        with self._admin_lock:
            self._check_open()
            rows = self._admin.execute(sql + " ORDER BY claimed_at, alert_key", params).fetchall()
        return [_alert_from_row(r) for r in rows]

    # -- replicas ------------------------------------------------------------------------

    def publish_content_version(self, replica_id: str, version: str, now: datetime) -> None:
        with self._admin_tx() as conn:
            conn.execute(
                "INSERT INTO replica_versions (replica_id, version, heartbeat_at) "
                "VALUES (?, ?, ?) ON CONFLICT (replica_id) DO UPDATE SET "
                "version = excluded.version, heartbeat_at = excluded.heartbeat_at",
                (replica_id, version, ts_text(now)),
            )

    def replica_versions(self, since: datetime) -> dict[str, str]:
        with self._admin_lock:
            self._check_open()
            rows = self._admin.execute(
                "SELECT replica_id, version FROM replica_versions WHERE heartbeat_at >= ? "
                "ORDER BY replica_id",
                (ts_text(since),),
            ).fetchall()
        return dict(rows)

    def request_reload(self, version_hint: str, now: datetime) -> int:
        # BEGIN IMMEDIATE serialises writers, so seq order is commit order.
        with self._admin_tx() as conn:
            seq = conn.execute(
                "INSERT INTO reload_requests (version_hint, requested_at) VALUES (?, ?)",
                (version_hint, ts_text(now)),
            ).lastrowid
        if seq is None:  # pragma: no cover - sqlite3 always sets it after an INSERT
            raise RuntimeError("reload request was not assigned a sequence number")
        return int(seq)

    def reload_requests_after(self, seq: int) -> list[tuple[int, str]]:
        with self._admin_lock:
            self._check_open()
            rows = self._admin.execute(
                "SELECT seq, version_hint FROM reload_requests WHERE seq > ? ORDER BY seq",
                (int(seq),),
            ).fetchall()
        return [(int(r[0]), r[1]) for r in rows]
