"""The log when its disk fills up or its folder is deleted (issue 13, items 1 and 2).

The bot keeps answering, keeps every row it can (database, spool, memory, in
that order), says so in /readyz and /metrics, and logs one line per change of
state, not one per row.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import shutil

import aiohttp

from bot.service.clock import SystemClock
from bot.service.server import start_service
from bot.store import open_store
from test_slack_app import Harness, all_text, settings_for


def fill(directory) -> None:
    """Write a filler file until the filesystem is full."""
    with (directory / "filler").open("wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError as full:
            assert full.errno == errno.ENOSPC


async def readyz(harness) -> dict:
    async with harness.http.get(harness.service.url + "/readyz") as response:
        assert response.status == 200  # still answering: degraded, not unready
        return await response.json()


async def metric(harness, name: str) -> float:
    async with harness.http.get(harness.service.url + "/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_a_full_disk_loses_no_answer_and_no_row(slack, small_tmpfs, caplog):
    disk = small_tmpfs.path
    settings = settings_for(slack, disk, db=str(disk / "facts.db"),
                            spool_path=str(disk / "spool.jsonl"))
    service = await start_service(settings, SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, disk / "facts.db")
            await harness.ask("traffic offenses")  # the database and its WAL exist
            fill(disk)
            with caplog.at_level(logging.INFO):
                bodies = await asyncio.gather(*(harness.ask("traffic offenses")
                                                for _ in range(60)))
            assert all("driving under the influence" in all_text(b) for b in bodies)
            ready = await readyz(harness)
            assert any("held in memory" in reason for reason in ready["degraded"])
            assert await metric(harness, "facts_log_rows_in_memory") == 60
            assert await metric(harness, "facts_log_rows_dropped_total") == 0
            log_lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert 1 <= len(log_lines) <= 4, [r.getMessage() for r in log_lines]

            (disk / "filler").unlink()  # space returns
            await slack.wait_for(lambda: len(harness.queries()) == 61, timeout=30,
                                 what="the rows held in memory written")
            assert await metric(harness, "facts_log_rows_in_memory") == 0
            assert not any("log" in reason for reason in (await readyz(harness))["degraded"])
    finally:
        await service.stop()
    async with open_store(str(disk / "facts.db")) as store:
        rows = list(store.query_rows())
    assert [r.text for r in rows] == ["traffic offenses"] * 61
    assert len({r.request_id for r in rows}) == 61  # each one, none twice


async def test_past_the_memory_bound_rows_are_dropped_and_counted(slack, small_tmpfs):
    disk = small_tmpfs.path
    settings = settings_for(slack, disk, db=str(disk / "facts.db"),
                            spool_path=str(disk / "spool.jsonl"))
    service = await start_service(settings, SystemClock())
    service.bot.keeper.max_memory_rows = 10
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, disk / "facts.db")
            await harness.ask("traffic offenses")
            fill(disk)
            for _ in range(25):
                assert "driving under" in all_text(await harness.ask("traffic offenses"))
            assert await metric(harness, "facts_log_rows_in_memory") == 10
            assert await metric(harness, "facts_log_rows_dropped_total") == 15
            ready = await readyz(harness)
            assert any("15 row(s) dropped" in reason for reason in ready["degraded"])
    finally:
        (disk / "filler").unlink()
        await service.stop()


async def test_a_deleted_database_folder_is_noticed_and_recreated(slack, tmp_path):
    folder = tmp_path / "var" / "facts-bot"
    settings = settings_for(slack, tmp_path, db=str(folder / "facts.db"))
    service = await start_service(settings, SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, folder / "facts.db")
            await harness.ask("traffic offenses")
            shutil.rmtree(folder)
            body = await harness.ask("parking at headquarters")
            assert "no approved response" in all_text(body).lower()
            ready = await readyz(harness)
            assert any("deleted or replaced" in reason for reason in ready["degraded"])
    finally:
        await service.stop()
    async with open_store(str(folder / "facts.db")) as store:  # as after a restart
        assert [r.text for r in store.query_rows()] == ["parking at headquarters"]


async def test_a_deleted_database_file_beside_its_wal_is_recreated_and_takes_rows(
        slack, tmp_path):
    """`rm facts.db` leaves facts.db-wal and -shm: a new file opened beside them took the
    old WAL for its own, and the writer process failed every row ("disk I/O error")."""
    db = tmp_path / "facts.db"
    service = await start_service(settings_for(slack, tmp_path, db=str(db)), SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, db)
            await harness.ask("traffic offenses")
            db.unlink()
            for _ in range(3):
                body = await harness.ask("parking at headquarters")
                assert "no approved response" in all_text(body).lower()
            ready = await readyz(harness)
            assert any("deleted or replaced" in reason for reason in ready["degraded"])
            assert not any(reason.startswith("log:") for reason in ready["degraded"])
    finally:
        await service.stop()
    async with open_store(str(db)) as store:  # as after a restart
        assert [r.text for r in store.query_rows()] == ["parking at headquarters"] * 3
