"""PostgreSQL backend for the query log, with group commit (psycopg 3).

Why psycopg 3 and a writer thread rather than asyncpg: the `LogStore` interface is half
sync (reads, alert claims, purges, replica bookkeeping) and half async (writes). psycopg
has a plain blocking API for the sync half, and the async half reuses exactly the design
of the SQLite backend: one writer thread owns one connection, drains everything queued
(up to `max_batch` rows), inserts it in one transaction (psycopg pipelines `executemany`,
so a batch is one network round trip, not one per row) and pays one commit for the lot,
then wakes every waiting caller. Same semantics, same failure modes, one design to
review. asyncpg would need a private event loop thread to serve the sync half.

Durability: `record_query` returns after COMMIT, and every connection sets
`synchronous_commit = on`, so "committed" means flushed to the WAL even if a DBA turned it
off for the database: the promise is "logged before the answer is sent".

Schema: versioned migrations (`MIGRATIONS`), applied in one transaction that first takes
`pg_advisory_xact_lock` on a key derived from the target schema, so replicas starting at
once queue behind one another and the later ones find the work done. DDL is transactional
in PostgreSQL, so a migration that fails half-way leaves nothing behind.

Types: timestamps are `timestamptz` (every session uses UTC); `shown_ids` and audit
`detail` are `json`, not `jsonb`: `json` keeps the exact text we serialised, so a round
trip is byte-identical to SQLite's (key order, `1.0` stays a float, `\\u0000` is allowed),
and the `->`/`->>` operators still work for ad-hoc queries. PostgreSQL text cannot hold
NUL characters, so NULs in strings are stored as U+FFFD rather than failing the batch of
every other caller sharing the transaction.

The schema in the URL's search_path is used (default `public`), so several deployments
or test runs can share one database, one schema each.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import psycopg
from psycopg import conninfo as pg_conninfo

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

# Versioned migrations, applied in order, each exactly once per schema. Never edit a
# released entry; append a new version instead. Versions match the SQLite backend's, so
# "schema version 2" means the same tables on both.
MIGRATIONS: Final[tuple[tuple[int, tuple[str, ...]], ...]] = (
    (
        1,
        (
            """CREATE TABLE queries (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                ts TIMESTAMPTZ NOT NULL,
                request_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                text TEXT NOT NULL,
                status TEXT NOT NULL,
                top_id TEXT,
                top_score DOUBLE PRECISION,
                shown_ids JSON NOT NULL,
                content_version TEXT NOT NULL,
                latency_ms DOUBLE PRECISION NOT NULL,
                source TEXT NOT NULL
            )""",
            "CREATE INDEX queries_ts ON queries (ts, id)",
            "CREATE INDEX queries_status_ts ON queries (status, ts, id)",
            """CREATE TABLE audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                ts TIMESTAMPTZ NOT NULL,
                kind TEXT NOT NULL,
                user_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                request_id TEXT NOT NULL,
                detail JSON NOT NULL,
                content_version TEXT NOT NULL
            )""",
            "CREATE INDEX audit_ts ON audit (ts, id)",
            "CREATE INDEX audit_kind_ts ON audit (kind, ts, id)",
            """CREATE TABLE alerts (
                alert_key TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                claimed_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ,
                detail TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE INDEX alerts_claimed_at ON alerts (claimed_at)",
        ),
    ),
    (
        2,
        (
            """CREATE TABLE replica_versions (
                replica_id TEXT PRIMARY KEY,
                version TEXT NOT NULL,
                heartbeat_at TIMESTAMPTZ NOT NULL
            )""",
            """CREATE TABLE reload_requests (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                version_hint TEXT NOT NULL,
                requested_at TIMESTAMPTZ NOT NULL
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
    "queries": f"INSERT INTO queries ({_QUERY_COLS}) VALUES ({', '.join(['%s'] * 14)})",
    "audit": f"INSERT INTO audit ({_AUDIT_COLS}) VALUES ({', '.join(['%s'] * 9)})",
}
# One statement, atomic on its own: inserts a new claim, or takes over a FAILED one;
# otherwise changes nothing (rowcount 0). Under READ COMMITTED a racing insert waits for
# the winner to commit, then re-checks the WHERE against the winner's row: exactly one wins.
_CLAIM_SQL: Final = f"""
    INSERT INTO alerts ({_ALERT_COLS}) VALUES (%s, %s, '{ALERT_PENDING}', 1, %s, NULL, '')
    ON CONFLICT (alert_key) DO UPDATE SET
        owner = excluded.owner,
        state = '{ALERT_PENDING}',
        attempts = alerts.attempts + 1,
        claimed_at = excluded.claimed_at,
        finished_at = NULL,
        detail = ''
    WHERE alerts.state = '{ALERT_FAILED}'
"""
# Advisory lock keys: hashtext() of a label plus the schema, so two deployments in one
# database (or two test schemas) do not serialise each other.
_MIGRATION_LOCK_SQL: Final = (
    "SELECT pg_advisory_xact_lock(hashtext('facts-bot:migrations:' || current_schema()))"
)
_RELOAD_LOCK_SQL: Final = (
    "SELECT pg_advisory_xact_lock(hashtext('facts-bot:reload:' || current_schema()))"
)

_PURGE_CHUNK: Final = 10_000  # rows per delete transaction: keeps each one short
_FETCH_CHUNK: Final = 500  # rows fetched per round trip while streaming


def _text(value: str) -> str:
    """PostgreSQL text cannot contain NUL; store U+FFFD instead of failing a whole batch."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _opt_text(value: str | None) -> str | None:
    return None if value is None else _text(value)


def _query_row(rec: QueryRecord) -> tuple[Any, ...]:
    rec.validate()
    return (
        rec.ts,
        _text(rec.request_id),
        _text(rec.user_id),
        _text(rec.user_name),
        _text(rec.channel_id),
        _text(rec.team_id),
        _text(rec.text),
        rec.status,
        _opt_text(rec.top_id),
        None if rec.top_score is None else float(rec.top_score),
        # json.dumps escapes NUL as \u0000, which the json type accepts.
        json.dumps(list(rec.shown_ids), ensure_ascii=False),
        _text(rec.content_version),
        float(rec.latency_ms),
        _text(rec.source),
    )


def _audit_row(rec: AuditRecord) -> tuple[Any, ...]:
    rec.validate()
    # Serialised here, in the caller, so a non-JSON detail raises TypeError at the call
    # site instead of failing a whole batch in the writer thread.
    detail = json.dumps(rec.detail, ensure_ascii=False, allow_nan=False)
    return (
        rec.ts,
        _text(rec.kind),
        _text(rec.user_id),
        _text(rec.user_name),
        _text(rec.channel_id),
        _text(rec.team_id),
        _text(rec.request_id),
        detail,
        _text(rec.content_version),
    )


def _query_from_row(r: tuple[Any, ...]) -> QueryRecord:
    return QueryRecord(
        ts=r[0],
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


def _audit_from_row(r: tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        ts=r[0],
        kind=r[1],
        user_id=r[2],
        user_name=r[3],
        channel_id=r[4],
        team_id=r[5],
        request_id=r[6],
        detail=json.loads(r[7]),
        content_version=r[8],
    )


def _alert_from_row(r: tuple[Any, ...]) -> AlertStatus:
    return AlertStatus(
        key=r[0],
        owner=r[1],
        state=r[2],
        attempts=r[3],
        claimed_at=as_utc(r[4]),
        finished_at=None if r[5] is None else as_utc(r[5]),
        detail=r[6],
    )


def _range_where(
    since: datetime | None, until: datetime | None, column: str | None, value: str | None
) -> tuple[str, list[Any]]:
    """WHERE clause for the half-open range [since, until) plus one equality filter."""
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append("ts >= %s")
        params.append(as_utc(since, "since"))
    if until is not None:
        clauses.append("ts < %s")
        params.append(as_utc(until, "until"))
    if column is not None and value is not None:
        clauses.append(f"{column} = %s")
        params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def libpq_url(url: str) -> str:
    """`url` as libpq accepts it: drop an SQLAlchemy-style driver (`postgresql+psycopg`)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower().startswith("postgresql+"):
        return "postgresql://" + rest
    return url


@contextlib.contextmanager
def _drop_on_connection_error(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Close `conn` when the server or the network failed it, so the next use reconnects.

    psycopg does not always mark such a connection `broken`: when the server's
    "terminating connection" message arrives mid-command, it can be left half way
    through a command, and every later use fails with "another command is already
    in progress".
    """
    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError):
        with contextlib.suppress(Exception):
            conn.close()
        raise


def redact(url: str) -> str:
    """`url` without its password, for logs and error messages."""
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparseable PostgreSQL URL>"
    host = params.get("host", "localhost")
    port = params.get("port", "5432")
    return f"postgresql://{params.get('user', '')}@{host}:{port}/{params.get('dbname', '')}"




class PostgresLogStore(GroupCommitStore, LogStore):
    """The LogStore in one PostgreSQL schema. See the module docstring for the design.

    Connections: one for the writer thread, one "admin" connection (claims, purges,
    replica bookkeeping; serialised by a lock, they are rare and short), and a short-lived
    one per read so a slow export streams through a server-side cursor without holding up
    anything else. A connection the server dropped (restart, failover) is replaced on next
    use; the operation that hit the drop raises, because whether it committed is unknown.

    `commits`, `rows_written` and `failed_batches` count what the writer thread did, as in
    the SQLite backend.
    """

    def __init__(self, url: str, *, max_batch: int = 500, connect_timeout: int = 10) -> None:
        self.url = libpq_url(url)
        # A missing server should fail start-up in seconds, not hang on TCP retries; a
        # connect_timeout in the URL wins.
        self._connect_kwargs: dict[str, Any] = {}
        if "connect_timeout" not in pg_conninfo.conninfo_to_dict(self.url):
            self._connect_kwargs["connect_timeout"] = connect_timeout

        self._admin_lock = threading.Lock()
        self._admin = self._connect()
        try:
            self._migrate()
            writer_conn = self._connect()
        except BaseException:
            self._admin.close()
            raise

        self._writer_conn = writer_conn
        self._writer = GroupCommitWriter(self._write_rows, self._close_writer_conn,
                                         label=redact(self.url), max_batch=max_batch)

    # -- connections and migrations ------------------------------------------------------

    def _connect(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A session in UTC with durable commits. Autocommit: we open transactions ourselves."""
        conn = psycopg.connect(self.url, autocommit=True, **self._connect_kwargs)
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            conn.execute("SET synchronous_commit = on")
            conn.autocommit = autocommit
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self) -> None:
        """Bring the schema up to date, exactly once even if several replicas start at once."""
        conn = self._admin
        with conn.transaction():
            # Everyone queues here; the lock is released at COMMIT/ROLLBACK.
            conn.execute(_MIGRATION_LOCK_SQL)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
            )
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = (row[0] if row else None) or 0
            latest = MIGRATIONS[-1][0]
            if current > latest:
                raise RuntimeError(
                    f"{redact(self.url)} has schema version {current}, newer than this code "
                    f"knows ({latest}); upgrade facts-bot before using this database"
                )
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for sql in statements:
                    conn.execute(sql)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                    (version, datetime.now(UTC)),
                )
                logger.info("%s: applied schema migration %d", redact(self.url), version)

    def _admin_conn(self) -> psycopg.Connection[Any]:
        """The admin connection, reconnected if the server dropped it. Hold `_admin_lock`."""
        self._check_open()  # under the lock: close() may be closing this connection
        if self._admin.closed or self._admin.broken:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = self._connect()
        return self._admin

    @contextlib.contextmanager
    def _admin_tx(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction on the admin connection."""
        with self._admin_lock:
            conn = self._admin_conn()
            with _drop_on_connection_error(conn), conn.transaction():
                yield conn

    # -- writes: group commit ------------------------------------------------------------

    async def record_query(self, rec: QueryRecord) -> None:
        await self._writer.submit("queries", _query_row(rec))

    async def record_audit(self, rec: AuditRecord) -> None:
        await self._writer.submit("audit", _audit_row(rec))

    def _write_rows(self, rows: RowsByTable) -> None:
        """One transaction for a whole batch (runs on the writer thread).

        A connection the server dropped is replaced first; if connecting fails, the
        batch fails and the next one tries again.
        """
        conn = self._writer_conn
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                conn.close()
            self._writer_conn = None
            conn = self._writer_conn = self._connect()
        with _drop_on_connection_error(conn), conn.transaction(), conn.cursor() as cur:
            for table, sql in _INSERT_SQL.items():
                if table in rows:
                    cur.executemany(sql, rows[table])

    def _close_writer_conn(self) -> None:
        if self._writer_conn is not None:
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
        # ::text: read the JSON back exactly as written; we parse it ourselves.
        cols = _QUERY_COLS.replace("shown_ids", "shown_ids::text")
        sql = f"SELECT {cols} FROM queries{where} ORDER BY ts, id"
        return self._stream(sql, params, _query_from_row)

    def audit_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[AuditRecord]:
        self._check_open()
        where, params = _range_where(since, until, "kind", kind)
        cols = _AUDIT_COLS.replace("detail", "detail::text")
        sql = f"SELECT {cols} FROM audit{where} ORDER BY ts, id"
        return self._stream(sql, params, _audit_from_row)

    def _stream(
        self, sql: str, params: list[Any], convert: Callable[[tuple[Any, ...]], T]
    ) -> Iterator[T]:
        """Yield converted rows through a server-side cursor on a private connection.

        The connection is opened on first `next()` and closed when iteration ends; stop
        early with `.close()` on the iterator (or let it be garbage-collected). The cursor
        runs in one transaction, so the rows are one consistent snapshot.
        """
        conn = self._connect(autocommit=False)
        try:
            with conn.transaction(), conn.cursor(name="facts_bot_stream") as cur:
                cur.itersize = _FETCH_CHUNK
                cur.execute(sql, params)
                for row in cur:
                    yield convert(row)
        finally:
            conn.close()

    # -- maintenance ---------------------------------------------------------------------

    def purge_before(self, ts: datetime) -> int:
        return self._purge_in_chunks(
            "DELETE FROM {table} WHERE id IN "
            "(SELECT id FROM {table} WHERE ts < %s LIMIT %s)", as_utc(ts), _PURGE_CHUNK)

    # -- alert claims --------------------------------------------------------------------

    def claim_alert(self, key: str, owner: str, now: datetime) -> bool:
        with self._admin_tx() as conn:
            return conn.execute(_CLAIM_SQL, (key, owner, as_utc(now))).rowcount == 1

    def finish_alert(self, key: str, ok: bool, detail: str, now: datetime) -> None:
        with self._admin_tx() as conn:
            changed = conn.execute(
                "UPDATE alerts SET state = %s, finished_at = %s, detail = %s "
                "WHERE alert_key = %s AND state = %s",
                (ALERT_OK if ok else ALERT_FAILED, as_utc(now), _text(detail), key,
                 ALERT_PENDING),
            ).rowcount
        if changed != 1:
            raise LookupError(f"alert {key!r} has no pending claim to finish")

    def alert_status(self, key: str) -> AlertStatus | None:
        with self._admin_lock:
            row = (
                self._admin_conn()
                .execute(f"SELECT {_ALERT_COLS} FROM alerts WHERE alert_key = %s", (key,))
                .fetchone()
            )
        return None if row is None else _alert_from_row(row)

    def list_alerts(self, since: datetime | None = None) -> list[AlertStatus]:
        sql = f"SELECT {_ALERT_COLS} FROM alerts"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE claimed_at >= %s"
            params.append(as_utc(since, "since"))
        with self._admin_lock:
            rows = (
                self._admin_conn()
                .execute(sql + " ORDER BY claimed_at, alert_key", params)
                .fetchall()
            )
        return [_alert_from_row(r) for r in rows]

    # -- replicas ------------------------------------------------------------------------

    def publish_content_version(self, replica_id: str, version: str, now: datetime) -> None:
        with self._admin_tx() as conn:
            conn.execute(
                "INSERT INTO replica_versions (replica_id, version, heartbeat_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (replica_id) DO UPDATE SET "
                "version = excluded.version, heartbeat_at = excluded.heartbeat_at",
                (_text(replica_id), _text(version), as_utc(now)),
            )

    def replica_versions(self, since: datetime) -> dict[str, str]:
        with self._admin_lock:
            rows = (
                self._admin_conn()
                .execute(
                    "SELECT replica_id, version FROM replica_versions "
                    "WHERE heartbeat_at >= %s ORDER BY replica_id",
                    (as_utc(since, "since"),),
                )
                .fetchall()
            )
        return {r[0]: r[1] for r in rows}

    def request_reload(self, version_hint: str, now: datetime) -> int:
        with self._admin_tx() as conn:
            # Identity values are handed out before commit, so two concurrent inserts could
            # commit out of order and a poller that saw seq 6 would never see seq 5. The
            # lock makes inserts take turns: seq order is commit order.
            conn.execute(_RELOAD_LOCK_SQL)
            row = conn.execute(
                "INSERT INTO reload_requests (version_hint, requested_at) VALUES (%s, %s) "
                "RETURNING seq",
                (_text(version_hint), as_utc(now)),
            ).fetchone()
        if row is None:  # pragma: no cover - INSERT ... RETURNING always returns the row
            raise RuntimeError("reload request was not assigned a sequence number")
        return int(row[0])

    def reload_requests_after(self, seq: int) -> list[tuple[int, str]]:
        with self._admin_lock:
            rows = (
                self._admin_conn()
                .execute(
                    "SELECT seq, version_hint FROM reload_requests WHERE seq > %s ORDER BY seq",
                    (int(seq),),
                )
                .fetchall()
            )
        return [(int(r[0]), r[1]) for r in rows]
