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
import logging
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar

import psycopg
from psycopg import conninfo as pg_conninfo

from bot.store.base import as_utc
from bot.store.group_commit import RowsByTable
from bot.store.sql import Dialect, Migrations, migrations, statements, storable_text
from bot.store.sql_store import FETCH_CHUNK, SqlLogStore

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _text(value: str) -> str:
    """PostgreSQL text cannot contain NUL; store U+FFFD instead of failing a whole batch
    (and instead of a lone surrogate, as on SQLite)."""
    return storable_text(value.replace("\x00", "\ufffd") if "\x00" in value else value)


DIALECT: Final = Dialect(
    placeholder="%s",
    id_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    seq_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    ts_type="TIMESTAMPTZ",  # every session runs in UTC
    float_type="DOUBLE PRECISION",
    json_type="JSON",  # not jsonb: see the module docstring
    index_tiebreak=", id",  # so ORDER BY ts, id is served by the index
    json_out="{}::text",  # read the JSON back exactly as written; we parse it ourselves
    bind_ts=as_utc,
    read_ts=as_utc,
    bind_text=_text,
)
SQL: Final = statements(DIALECT)

#: Versioned migrations (see `bot/store/sql.py`), in PostgreSQL's types.
MIGRATIONS: Final[Migrations] = migrations(DIALECT)
_INSERT_SQL: Final = SQL.insert

# Advisory lock keys: hashtext() of a label plus the schema, so two deployments in one
# database (or two test schemas) do not serialise each other.
_MIGRATION_LOCK_SQL: Final = (
    "SELECT pg_advisory_xact_lock(hashtext('facts-bot:migrations:' || current_schema()))"
)
_RELOAD_LOCK_SQL: Final = (
    "SELECT pg_advisory_xact_lock(hashtext('facts-bot:reload:' || current_schema()))"
)


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


class PostgresLogStore(SqlLogStore):
    """The LogStore in one PostgreSQL schema. See the module docstring for the design.

    Connections: one for the writer thread, one "admin" connection (claims, purges,
    replica bookkeeping; serialised by a lock, they are rare and short), and a short-lived
    one per read so a slow export streams through a server-side cursor without holding up
    anything else. A connection the server dropped (restart, failover) is replaced on next
    use; the operation that hit the drop raises, because whether it committed is unknown.

    `commits`, `rows_written` and `failed_batches` count what the writer thread did, as in
    the SQLite backend.
    """

    _dialect = DIALECT
    _sql = SQL

    def __init__(self, url: str, *, max_batch: int = 500, connect_timeout: int = 10) -> None:
        self.url = libpq_url(url)
        # A missing server should fail start-up in seconds, not hang on TCP retries; a
        # connect_timeout in the URL wins.
        self._connect_kwargs: dict[str, Any] = {}
        if "connect_timeout" not in pg_conninfo.conninfo_to_dict(self.url):
            self._connect_kwargs["connect_timeout"] = connect_timeout
        self._start(label=redact(self.url), max_batch=max_batch)

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

    def _prepare(self) -> None:
        """Bring the schema up to date, exactly once even if several replicas start at once."""
        conn = self._admin
        with conn.transaction():
            # Everyone queues here; the lock is released at COMMIT/ROLLBACK.
            conn.execute(_MIGRATION_LOCK_SQL)
            self.apply_migrations(conn, MIGRATIONS, redact(self.url))

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
            self._insert_batch(cur, rows)

    # -- reads ---------------------------------------------------------------------------

    def _stream(
        self, sql: str, params: list[Any], convert: Callable[[Any], T]
    ) -> Iterator[T]:
        """Yield converted rows through a server-side cursor on a private connection.

        The connection is opened on first `next()` and closed when iteration ends; stop
        early with `.close()` on the iterator (or let it be garbage-collected). The cursor
        runs in one transaction, so the rows are one consistent snapshot.
        """
        conn = self._connect(autocommit=False)
        try:
            with conn.transaction(), conn.cursor(name="facts_bot_stream") as cur:
                cur.itersize = FETCH_CHUNK
                cur.execute(sql, params)
                for row in cur:
                    yield convert(row)
        finally:
            conn.close()

    # -- replicas ------------------------------------------------------------------------

    def _insert_reload(self, conn: psycopg.Connection[Any], params: tuple[Any, ...]) -> int:
        # Identity values are handed out before commit, so two concurrent inserts could
        # commit out of order and a poller that saw seq 6 would never see seq 5. The
        # lock makes inserts take turns: seq order is commit order.
        conn.execute(_RELOAD_LOCK_SQL)
        row = conn.execute(SQL.insert_reload + " RETURNING seq", params).fetchone()
        if row is None:  # pragma: no cover - INSERT ... RETURNING always returns the row
            raise RuntimeError("reload request was not assigned a sequence number")
        return int(row[0])
