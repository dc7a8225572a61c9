"""Group commit hands the writer one event-loop turn's rows at once (issue 16, item 1)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store.sqlite import SqliteLogStore
from test_store_contract import make_query

DEADLINE = 10  # seconds: a row that is never written would leave its caller waiting


async def test_the_rows_of_one_turn_share_one_commit(tmp_path: Path):
    store = SqliteLogStore(tmp_path / "q.db")
    try:
        await asyncio.wait_for(asyncio.gather(
            *(store.record_query(make_query(i)) for i in range(50))), DEADLINE)
        assert (store.commits, store.rows_written) == (1, 50)
        assert [r.request_id for r in store.query_rows()] == [f"req-{i}" for i in range(50)]
    finally:
        await store.close()


async def test_rows_submitted_in_the_turn_the_store_closes_are_written(tmp_path: Path):
    store = SqliteLogStore(tmp_path / "q.db")
    writes = [asyncio.create_task(store.record_query(make_query(i))) for i in range(5)]
    await asyncio.sleep(0)  # they have submitted; their turn's hand-over has not run yet
    await store.close()
    await asyncio.wait_for(asyncio.gather(*writes), DEADLINE)
    reopened = SqliteLogStore(tmp_path / "q.db")
    try:
        assert len(list(reopened.query_rows())) == 5
    finally:
        await reopened.close()
