"""SQLite-only behaviour of the query log. Backend-neutral behaviour (what the bot and the
comms team rely on from any store) is in test_store_contract.py, which runs on SQLite too.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.store import SqliteLogStore, open_store
from bot.store.sql import AUDIT_COLUMNS, QUERY_COLUMNS
from bot.store.sqlite import MAX_ROWS_PER_INSERT, chunk_sizes
from test_store_contract import count_rows, make_audit, make_query


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "queries.db"


@pytest.fixture(params=[False, True], ids=["writer-thread", "writer-process"])
def writer_process(request: pytest.FixtureRequest) -> bool:
    return request.param


async def test_max_batch_caps_rows_per_transaction(db_path, writer_process):
    s = SqliteLogStore(db_path, max_batch=10, writer_process=writer_process)
    try:
        await asyncio.gather(*(s.record_query(make_query(i)) for i in range(100)))
        assert s.rows_written == 100
        assert s.commits >= 10
    finally:
        await s.close()


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 63, 64, 65, 129, 500])
def test_a_batch_goes_in_a_few_inserts_of_cached_shapes(count):
    sizes = chunk_sizes(count)
    assert sum(sizes) == count
    assert all(size in (1, 2, 4, 8, 16, 32, 64) for size in sizes)
    assert len(sizes) <= count // MAX_ROWS_PER_INSERT + 6
    # every multi-row INSERT stays within SQLite's oldest parameter limit (999)
    assert max(len(QUERY_COLUMNS), len(AUDIT_COLUMNS)) * MAX_ROWS_PER_INSERT <= 999


async def test_a_turn_of_odd_sized_batches_is_written_whole_and_in_order(db_path,
                                                                        writer_process):
    """Multi-row INSERTs write each row once, every field intact, in submission order."""
    s = SqliteLogStore(db_path, writer_process=writer_process)
    queries = [make_query(i, top_id=None if i % 5 else "sb-x", top_score=None if i % 5 else 9.5,
                          shown_ids=tuple(f"e{j}" for j in range(i % 4)))
               for i in range(203)]
    audits = [make_audit(i, detail={"i": i}) for i in range(77)]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.record_query(q) for q in queries),
                                              *(s.record_audit(a) for a in audits)), timeout=10)
        assert s.rows_written == 280
        assert list(s.query_rows()) == queries
        assert list(s.audit_rows()) == audits
    finally:
        await s.close()


async def test_stores_opening_a_fresh_file_at_once_all_get_wal(db_path):
    opened: list[SqliteLogStore] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        opened.append(SqliteLogStore(db_path))

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(opened) == 4
        assert all(s.journal_mode == "wal" for s in opened)
    finally:
        for s in opened:
            await s.close()


async def test_write_error_rejects_waiters_and_writer_keeps_going(db_path, writer_process):
    s = SqliteLogStore(db_path, busy_timeout=0.05, writer_process=writer_process)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(
                asyncio.gather(*(s.record_query(make_query(i)) for i in range(5))), timeout=10
            )
        assert s.failed_batches >= 1
        blocker.execute("ROLLBACK")

        await asyncio.wait_for(s.record_query(make_query(99)), timeout=10)
        assert [r.request_id for r in s.query_rows()] == ["req-99"]
    finally:
        blocker.close()
        await s.close()
    assert count_rows(str(db_path), "queries") == 1


async def test_open_store_chooses_backend(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for target in ("plain.db", tmp_path / "pathlike.db", "sqlite:///rel/url.db"):
        s = open_store(target)  # type: ignore[arg-type]
        assert isinstance(s, SqliteLogStore)
        await s.close()
    s = open_store(f"sqlite:///{tmp_path / 'abs.db'}")  # absolute path → four slashes
    assert isinstance(s, SqliteLogStore)
    await s.close()
    assert (tmp_path / "plain.db").exists()
    assert (tmp_path / "pathlike.db").exists()
    assert (tmp_path / "rel" / "url.db").exists()
    assert (tmp_path / "abs.db").exists()

    with pytest.raises(ValueError, match="unknown log store scheme"):
        open_store("mysql://db/facts")
    with pytest.raises(ValueError):
        open_store(":memory:")
    with pytest.raises(ValueError, match="bad SQLite URL"):
        open_store("sqlite://relative.db")
