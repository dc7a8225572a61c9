"""One SQLite log file: opening connections, and writing batches of log rows to it.

Why a module of its own: the rows are written by a thread of the bot's own process
(`SqliteLogStore`'s default) or by a separate writer process (`writer_process.py`, what
`facts-bot serve` uses); both write through `BatchWriter`, so a batch is committed the
same way, as durably, whichever writes it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

RowsByTable = dict[str, list[tuple[Any, ...]]]

#: Most rows one INSERT carries. Each statement is one `sqlite3_step`, and sqlite3
#: releases and re-takes the GIL around every step: `executemany` did that once per row,
#: and under load each re-take waited for the busy event loop (a 12-row batch took
#: 11 ms on the writer thread for 0.3 ms of fsync; benchmarks/bench_slack.py). 64 rows
#: of the widest table stay under 999 parameters, SQLite's limit before 3.32.
MAX_ROWS_PER_INSERT: Final = 64


def connect(path: Path, busy_timeout: float, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to `path`: no implicit transactions, `busy_timeout`, durable commits."""
    # isolation_level=None: no implicit transactions; we issue BEGIN/COMMIT ourselves.
    # timeout= is SQLite's busy_timeout: wait that long for another writer's lock.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=busy_timeout)
    try:
        if read_only:
            conn.execute("PRAGMA query_only=ON")
        else:
            conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def enable_wal(conn: sqlite3.Connection, busy_timeout: float) -> str:
    """Switch the file to WAL (persistent, so usually a no-op); return the mode in force.

    Switching needs an exclusive lock and SQLite does not always run the busy handler
    for it, so two processes creating the file at once can get "database is locked"
    immediately. Retry with backoff, within the same budget as busy_timeout.
    """
    deadline = time.monotonic() + max(busy_timeout, 1.0)
    delay = 0.005
    while True:
        try:
            mode: str = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() == "wal":
                return "wal"
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of `path`, or None if it does not exist."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


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


class BatchWriter:
    """The write connection of one log file: each batch of rows in one transaction.

    `inserts` maps each table to its single-row INSERT, in the order tables are written;
    `prepare(conn)` readies a new file (WAL, schema) if the file is deleted or replaced
    while serving. Not thread-safe: one thread (or process) writes.
    """

    def __init__(self, path: Path, busy_timeout: float, inserts: Mapping[str, str],
                 prepare: Callable[[sqlite3.Connection], object]) -> None:
        self.path, self._busy_timeout, self._prepare = path, busy_timeout, prepare
        self._inserts = {(table, 2 ** power): multi_row_insert(single, 2 ** power)
                         for table, single in inserts.items()
                         for power in range(MAX_ROWS_PER_INSERT.bit_length())}
        self._tables = list(inserts)
        self._conn = connect(path, busy_timeout)
        self._identity = file_identity(path)
        self._journal = self._journal_identities()

    def close(self) -> None:
        self._conn.close()

    def write(self, rows: RowsByTable) -> bool:
        """Commit `rows` in one transaction, or raise after rolling back.

        True if the file had been deleted or replaced and was created again first.

        A batch that fits one INSERT (one table, at most MAX_ROWS_PER_INSERT rows: the
        usual case) is that statement alone, which SQLite commits as its own transaction,
        as durably and taking the write lock the same way (busy handler included) as
        BEGIN IMMEDIATE. On a writer thread each statement hands the GIL back and waits
        to take it again from the busy event loop: three statements a batch took 5 ms
        under load for 0.2 ms of fsync (benchmarks/bench_slack.py).
        """
        recreated = self._ensure_file()
        conn = self._conn
        statements = list(self.statements(rows))
        if len(statements) == 1:
            conn.execute(*statements[0])
            return recreated
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
        return recreated

    def statements(self, rows: RowsByTable) -> Iterator[tuple[str, list[Any]]]:
        """A batch's rows as a few multi-row INSERTs (see MAX_ROWS_PER_INSERT), in order:
        (statement, parameters) each."""
        for table in self._tables:
            table_rows = rows.get(table)
            if not table_rows:
                continue
            start = 0
            for size in chunk_sizes(len(table_rows)):
                chunk = table_rows[start:start + size]
                start += size
                yield self._inserts[table, size], [value for row in chunk for value in row]

    def _ensure_file(self) -> bool:
        """Open the database again if its file was deleted or replaced; True if so.

        SQLite keeps writing to a deleted file through the open descriptor: every row
        "committed" after someone removed the folder was lost at the next restart. One
        stat per batch notices; the new file gets the schema and the rows from then on.
        The caller says so (in the bot's process: a writer process's log lines would not
        be in the bot's log format).
        """
        identity = file_identity(self.path)
        if identity == self._identity:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if identity is None:
            self._set_aside_stale_journal()
        conn = connect(self.path, self._busy_timeout)
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        self._conn.close()
        self._conn, self._identity = conn, file_identity(self.path)
        self._journal = self._journal_identities()
        return True

    def _journal_identities(self) -> dict[Path, tuple[int, int] | None]:
        """The file's `-wal` and `-shm` as they are now (while our connection is open)."""
        return {journal: file_identity(journal)
                for journal in (self.path.with_name(self.path.name + suffix)
                                for suffix in ("-wal", "-shm"))}

    def _set_aside_stale_journal(self) -> None:
        """The file was deleted but not its `-wal` and `-shm`: rename them out of the way.

        A new file opened beside them takes the old file's WAL and its index for its own:
        in another process than the old connections (the writer process), every write
        failed with "disk I/O error" until the bot restarted. Renamed, not deleted: the
        rows in that WAL not yet checkpointed are the old file's, and may be wanted.
        Only the ones our old file had: another process sharing the log (a replica) may
        have created the file again, and a WAL of its own, since.
        """
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for journal, identity in self._journal.items():
            found = file_identity(journal)
            if found is not None and identity in (found, None):
                journal.rename(journal.with_name(f"{journal.name}.stale-{stamp}"))
