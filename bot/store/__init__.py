"""The query log: every query and an audit trail, for the comms team to review.

`open_store` is the one place that maps a configuration string to a backend, so the rest
of the bot depends only on the `LogStore` interface.
"""

from __future__ import annotations

import os

from bot.store.base import (
    ALERT_FAILED,
    ALERT_OK,
    ALERT_PENDING,
    QUERY_STATUSES,
    AlertStatus,
    AuditRecord,
    LogStore,
    QueryRecord,
)
from bot.store.sqlite import SqliteLogStore

__all__ = [
    "ALERT_FAILED",
    "ALERT_OK",
    "ALERT_PENDING",
    "QUERY_STATUSES",
    "AlertStatus",
    "AuditRecord",
    "LogStore",
    "QueryRecord",
    "SqliteLogStore",
    "open_store",
]


def open_store(url_or_path: str | os.PathLike[str], *, writer_process: bool = False) -> LogStore:
    """Open (creating and migrating if needed) the store named by `url_or_path`.

    - a plain path, or `sqlite:///path` → SQLite. As in SQLAlchemy, `sqlite:///logs/q.db`
      is relative to the working directory and `sqlite:////var/lib/facts-bot/q.db` is
      absolute.
    - `postgresql://...`, `postgres://...` or `postgresql+psycopg://...` → PostgreSQL
      (`PostgresLogStore`), in the schema the URL's search_path names (default public).

    The PostgreSQL backend is imported only when asked for, so an embedded SQLite
    deployment never loads libpq.

    `writer_process=True` (what `facts-bot serve` asks for) writes a SQLite log from a
    process of its own (`bot/store/writer_process.py`); PostgreSQL's writer is a thread
    either way: it waits on the network, not on the GIL.
    """
    if isinstance(url_or_path, os.PathLike):
        return SqliteLogStore(url_or_path, writer_process=writer_process)
    target = url_or_path.strip()
    scheme, sep, rest = target.partition("://")
    if not sep:
        return SqliteLogStore(target, writer_process=writer_process)
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ValueError(
                f"bad SQLite URL {url_or_path!r}: use sqlite:///relative/path.db "
                "or sqlite:////absolute/path.db"
            )
        return SqliteLogStore(rest[1:], writer_process=writer_process)
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        from bot.store.postgres import PostgresLogStore

        return PostgresLogStore(target)
    raise ValueError(f"unknown log store scheme {scheme!r} in {url_or_path!r}")
