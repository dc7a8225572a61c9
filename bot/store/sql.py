"""The SQL both stores run and how their rows map to records, written once.

Why one module: SQLite and PostgreSQL run the same statements on the same tables; they
differ in placeholder style (`?` / `%s`), column types, how a timestamp is bound and read
back (ISO text / `timestamptz`), and PostgreSQL's refusal of NUL in text. Those
differences are the fields of a `Dialect`; everything else (the statements, the
migrations, the record <-> row mapping) is here once, so a new column or a fix to a
statement cannot reach one backend and miss the other. What really differs in behaviour
(connections, transactions, streaming, how a reload request gets its sequence number)
stays in `sqlite.py` and `postgres.py`.

Statements are written with `?` placeholders and converted once, when a backend builds
its `Statements` at import; none of them contains a literal `?`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bot.store.base import (
    ALERT_FAILED,
    ALERT_PENDING,
    AlertStatus,
    AuditRecord,
    QueryRecord,
)

Migrations = tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    """What one backend spells differently; the only input to the SQL and mapping here."""

    #: Parameter marker of the driver: "?" (sqlite3) or "%s" (psycopg).
    placeholder: str
    #: Column DDL of the surrogate keys `queries.id` / `audit.id`.
    id_column: str
    #: Column DDL of `reload_requests.seq`: never reused, even after a delete.
    seq_column: str
    #: Column types for timestamps, floats and JSON documents.
    ts_type: str
    float_type: str
    json_type: str
    #: Appended to the (…, ts) indexes. SQLite ends every index with the rowid anyway;
    #: PostgreSQL needs `, id` spelled out to serve `ORDER BY ts, id` without a sort.
    index_tiebreak: str
    #: Select expression of a JSON column, "{}" filled with its name: read back the text
    #: exactly as written (we parse it ourselves).
    json_out: str
    #: An aware datetime as the driver binds it for a timestamp column. The second
    #: argument names the value in the error raised for a naive one.
    bind_ts: Callable[[datetime, str], Any]
    #: A timestamp column's value, as read, back to an aware UTC datetime.
    read_ts: Callable[[Any], datetime]
    #: A free-text value as it can be stored (PostgreSQL: NUL replaced).
    bind_text: Callable[[str], str]


# -- columns -------------------------------------------------------------------------------

QUERY_COLUMNS: Final = (
    "ts", "request_id", "user_id", "user_name", "channel_id", "team_id", "text", "status",
    "top_id", "top_score", "shown_ids", "content_version", "latency_ms", "source",
)
AUDIT_COLUMNS: Final = (
    "ts", "kind", "user_id", "user_name", "channel_id", "team_id", "request_id", "detail",
    "content_version",
)
ALERT_COLUMNS: Final = (
    "alert_key", "owner", "state", "attempts", "claimed_at", "finished_at", "detail",
)
JSON_COLUMNS: Final = frozenset({"shown_ids", "detail"})  # in queries and audit


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(columns)


def _selected(d: Dialect, columns: tuple[str, ...]) -> str:
    return ", ".join(d.json_out.format(c) if c in JSON_COLUMNS else c for c in columns)


# -- statements ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statements:
    """Every statement the stores run, in one dialect's spelling. Build with `statements`."""

    #: Table -> INSERT of one row, in the column order of `query_row` / `audit_row`.
    insert: dict[str, str]
    #: One statement, so atomic on its own: inserts a new claim, or takes over a FAILED
    #: one; otherwise changes nothing (rowcount 0). On PostgreSQL under READ COMMITTED a
    #: racing insert waits for the winner to commit, then re-checks the WHERE against the
    #: winner's row: exactly one wins. Params: key, owner, claimed_at.
    claim_alert: str
    #: Params: state, finished_at, detail, key, the pending state.
    finish_alert: str
    alert_by_key: str
    alerts: str
    alerts_since: str
    #: Upsert: one row per replica. Params: replica_id, version, heartbeat_at.
    publish_version: str
    replica_versions_since: str
    #: Params: version_hint, requested_at. How the new seq is read back is the backend's.
    insert_reload: str
    reloads_after: str
    #: For `GroupCommitStore._purge_in_chunks`: `{table}`, then the cutoff and the chunk size.
    purge: str
    #: SELECT ... FROM, to which the caller adds a WHERE and `ORDER BY ts, id`.
    select_queries: str
    select_audit: str
    create_schema_version: str
    schema_version: str
    insert_schema_version: str


def statements(d: Dialect) -> Statements:
    """The statements of `Statements`, with `d`'s placeholders and types."""

    def sql(text: str) -> str:
        return text.replace("?", d.placeholder)

    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join(["?"] * len(columns))
        return sql(f"INSERT INTO {table} ({_names(columns)}) VALUES ({marks})")

    alerts = f"SELECT {_names(ALERT_COLUMNS)} FROM alerts"
    return Statements(
        insert={
            "queries": insert("queries", QUERY_COLUMNS),
            "audit": insert("audit", AUDIT_COLUMNS),
        },
        claim_alert=sql(f"""
    INSERT INTO alerts ({_names(ALERT_COLUMNS)}) VALUES (?, ?, '{ALERT_PENDING}', 1, ?, NULL, '')
    ON CONFLICT (alert_key) DO UPDATE SET
        owner = excluded.owner,
        state = '{ALERT_PENDING}',
        attempts = alerts.attempts + 1,
        claimed_at = excluded.claimed_at,
        finished_at = NULL,
        detail = ''
    WHERE alerts.state = '{ALERT_FAILED}'
"""),
        finish_alert=sql(
            "UPDATE alerts SET state = ?, finished_at = ?, detail = ? "
            "WHERE alert_key = ? AND state = ?"
        ),
        alert_by_key=sql(f"{alerts} WHERE alert_key = ?"),
        alerts=f"{alerts} ORDER BY claimed_at, alert_key",
        alerts_since=sql(f"{alerts} WHERE claimed_at >= ? ORDER BY claimed_at, alert_key"),
        publish_version=sql(
            "INSERT INTO replica_versions (replica_id, version, heartbeat_at) "
            "VALUES (?, ?, ?) ON CONFLICT (replica_id) DO UPDATE SET "
            "version = excluded.version, heartbeat_at = excluded.heartbeat_at"
        ),
        replica_versions_since=sql(
            "SELECT replica_id, version FROM replica_versions "
            "WHERE heartbeat_at >= ? ORDER BY replica_id"
        ),
        insert_reload=sql(
            "INSERT INTO reload_requests (version_hint, requested_at) VALUES (?, ?)"
        ),
        reloads_after=sql(
            "SELECT seq, version_hint FROM reload_requests WHERE seq > ? ORDER BY seq"
        ),
        purge=sql(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE ts < ? LIMIT ?)"
        ),
        select_queries=f"SELECT {_selected(d, QUERY_COLUMNS)} FROM queries",
        select_audit=f"SELECT {_selected(d, AUDIT_COLUMNS)} FROM audit",
        create_schema_version=(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            f"version INTEGER PRIMARY KEY, applied_at {d.ts_type} NOT NULL)"
        ),
        schema_version="SELECT MAX(version) FROM schema_version",
        insert_schema_version=sql(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"
        ),
    )


def range_where(
    d: Dialect,
    since: datetime | None,
    until: datetime | None,
    column: str | None,
    value: str | None,
) -> tuple[str, list[Any]]:
    """WHERE clause for the half-open range [since, until) plus one equality filter."""
    p = d.placeholder
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append(f"ts >= {p}")
        params.append(d.bind_ts(since, "since"))
    if until is not None:
        clauses.append(f"ts < {p}")
        params.append(d.bind_ts(until, "until"))
    if column is not None and value is not None:
        clauses.append(f"{column} = {p}")
        params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


# -- migrations ----------------------------------------------------------------------------

# Versioned migrations, applied in order, each exactly once per database. Never edit a
# released entry, and never change what a dialect fills into one: append a new version
# instead. Versions are the same on both backends, so "schema version 2" means the same
# tables everywhere. `{id}` and the like are `Dialect` fields; see `migrations`.
_MIGRATION_TEMPLATES: Final[Migrations] = (
    (
        1,
        (
            """CREATE TABLE queries (
                id {id},
                ts {ts} NOT NULL,
                request_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                text TEXT NOT NULL,
                status TEXT NOT NULL,
                top_id TEXT,
                top_score {float},
                shown_ids {json} NOT NULL,
                content_version TEXT NOT NULL,
                latency_ms {float} NOT NULL,
                source TEXT NOT NULL
            )""",
            "CREATE INDEX queries_ts ON queries (ts{tiebreak})",
            # (status, ts) serves "status = ? ORDER BY ts" without a sort step.
            "CREATE INDEX queries_status_ts ON queries (status, ts{tiebreak})",
            """CREATE TABLE audit (
                id {id},
                ts {ts} NOT NULL,
                kind TEXT NOT NULL,
                user_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                channel_id TEXT NOT NULL,
                team_id TEXT NOT NULL,
                request_id TEXT NOT NULL,
                detail {json} NOT NULL,
                content_version TEXT NOT NULL
            )""",
            "CREATE INDEX audit_ts ON audit (ts{tiebreak})",
            "CREATE INDEX audit_kind_ts ON audit (kind, ts{tiebreak})",
            """CREATE TABLE alerts (
                alert_key TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                claimed_at {ts} NOT NULL,
                finished_at {ts},
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
                heartbeat_at {ts} NOT NULL
            )""",
            # A seq is never reused even after the newest row is deleted, so "requests
            # after N" stays correct for every poller.
            """CREATE TABLE reload_requests (
                seq {seq},
                version_hint TEXT NOT NULL,
                requested_at {ts} NOT NULL
            )""",
        ),
    ),
)


def migrations(d: Dialect) -> Migrations:
    """The migrations in `d`'s types: what a backend exposes as its `MIGRATIONS`."""
    fill = {
        "id": d.id_column,
        "seq": d.seq_column,
        "ts": d.ts_type,
        "float": d.float_type,
        "json": d.json_type,
        "tiebreak": d.index_tiebreak,
    }
    return tuple(
        (version, tuple(sql.format(**fill) for sql in steps))
        for version, steps in _MIGRATION_TEMPLATES
    )


# -- rows <-> records ----------------------------------------------------------------------


#: `json.dumps(value, ensure_ascii=False[, allow_nan=False])`, without building a new
#: encoder per call as `dumps` does for any non-default option (half its cost per row).
_json_text = json.JSONEncoder(ensure_ascii=False).encode
_json_detail = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` with each lone surrogate (text no UTF-8 database can hold) as U+FFFD.

    A JSON payload can carry one ("\\udc80"); bound as it is, it failed its whole batch,
    the other people's rows with it, and again at every retry from the spool.
    """
    if value.isascii() or not _LONE_SURROGATE.search(value):
        return value
    return _LONE_SURROGATE.sub("\ufffd", value)


def query_row(d: Dialect, rec: QueryRecord) -> tuple[Any, ...]:
    """`rec` as the parameters of `Statements.insert["queries"]`; validates it first."""
    rec.validate()
    text = d.bind_text
    return (
        d.bind_ts(rec.ts, "ts"),
        text(rec.request_id),
        text(rec.user_id),
        text(rec.user_name),
        text(rec.channel_id),
        text(rec.team_id),
        text(rec.text),
        rec.status,  # validated: one of QUERY_STATUSES
        None if rec.top_id is None else text(rec.top_id),
        None if rec.top_score is None else float(rec.top_score),
        # json.dumps escapes NUL as \u0000, which PostgreSQL's json type accepts.
        _json_text(list(rec.shown_ids)),
        text(rec.content_version),
        float(rec.latency_ms),
        text(rec.source),
    )


def audit_row(d: Dialect, rec: AuditRecord) -> tuple[Any, ...]:
    """`rec` as the parameters of `Statements.insert["audit"]`; validates it first."""
    rec.validate()
    # Serialised here, in the caller, so a non-JSON detail raises TypeError at the call
    # site instead of failing a whole batch in the writer thread.
    detail = _json_detail(rec.detail)
    text = d.bind_text
    return (
        d.bind_ts(rec.ts, "ts"),
        text(rec.kind),
        text(rec.user_id),
        text(rec.user_name),
        text(rec.channel_id),
        text(rec.team_id),
        text(rec.request_id),
        detail,
        text(rec.content_version),
    )


def query_from_row(d: Dialect, r: Any) -> QueryRecord:
    """A row of `Statements.select_queries` as a record."""
    return QueryRecord(
        ts=d.read_ts(r[0]),
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


def audit_from_row(d: Dialect, r: Any) -> AuditRecord:
    """A row of `Statements.select_audit` as a record."""
    return AuditRecord(
        ts=d.read_ts(r[0]),
        kind=r[1],
        user_id=r[2],
        user_name=r[3],
        channel_id=r[4],
        team_id=r[5],
        request_id=r[6],
        detail=json.loads(r[7]),
        content_version=r[8],
    )


def alert_from_row(d: Dialect, r: Any) -> AlertStatus:
    """A row of `Statements.alert_by_key` / `alerts` / `alerts_since` as a status."""
    return AlertStatus(
        key=r[0],
        owner=r[1],
        state=r[2],
        attempts=r[3],
        claimed_at=d.read_ts(r[4]),
        finished_at=None if r[5] is None else d.read_ts(r[5]),
        detail=r[6],
    )
