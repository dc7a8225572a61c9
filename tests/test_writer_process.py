"""The SQLite log written from a process of its own, as `facts-bot serve` does (issue 16).

What the store contract promises (tests/test_store_contract.py runs all of it against the
writer process too) must hold when that process crashes, is sent the signals a terminal
or a service manager sends, outlives nothing, or cannot start at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

import bot.store.writer_process as writer_process
from bot.service.clock import SystemClock
from bot.service.server import start_service
from bot.store import LogStore, SqliteLogStore, open_store
from bot.store.group_commit import GroupCommitWriter
from bot.store.writer_wire import decode, encode
from test_slack_app import Harness, all_text, settings_for
from test_store_contract import count_rows, make_query

DEADLINE = 10  # seconds


def test_messages_cut_anywhere_are_read_whole_once_and_in_order():
    values = [(0, {"queries": [("a\x00b", None, 1.5, "\udc80 ✓ 日本", 2 ** 62)]}),
              ([], None, False), ([3, 4], ("OperationalError", "database is locked"), True),
              (5, {"audit": [("x" * 100_000,)]})]
    stream = b"".join(encode(value) for value in values)
    for cut in (1, 3, 4, 5, 17, len(stream) - 1):
        buffer, got = bytearray(), []
        for start in range(0, len(stream), cut):
            buffer += stream[start:start + cut]
            got += decode(buffer)
        assert got == values and buffer == bytearray()


def writer_pid(store: LogStore) -> int:
    pid = store._writer.pid  # type: ignore[attr-defined]
    assert pid is not None and pid != os.getpid()
    return pid


def wait_until_gone(pid: int) -> None:
    """Wait (with a deadline) until no process `pid` runs any more."""
    deadline = time.monotonic() + DEADLINE
    while Path(f"/proc/{pid}").exists():
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":  # exited, not yet reaped by its parent
            return
        assert time.monotonic() < deadline, f"process {pid} still running"
        time.sleep(0.01)


async def test_rows_are_committed_by_another_process(tmp_path: Path):
    db = tmp_path / "q.db"
    store = open_store(db, writer_process=True)
    try:
        pid = writer_pid(store)
        assert "writer_child" in Path(f"/proc/{pid}/cmdline").read_text()
        await asyncio.wait_for(asyncio.gather(
            *(store.record_query(make_query(i)) for i in range(50))), DEADLINE)
        assert count_rows(str(db), "queries") == 50  # committed when the call returned
        assert (store.commits, store.rows_written) == (1, 50)  # one turn, one commit
    finally:
        await store.close()
    wait_until_gone(pid)  # and it exits once closed


async def test_a_killed_writer_fails_unconfirmed_rows_and_the_next_batch_restarts_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setattr(writer_process, "RESTART_AFTER", 0.0)
    db = tmp_path / "q.db"
    store = open_store(db, writer_process=True)
    try:
        await store.record_query(make_query(1))
        first = writer_pid(store)
        os.kill(first, signal.SIGSTOP)  # it will not confirm what it is sent now
        unconfirmed = asyncio.create_task(store.record_query(make_query(2)))
        for _ in range(3):  # submitted, handed over at the end of the turn, sent
            await asyncio.sleep(0)
        os.kill(first, signal.SIGKILL)
        wait_until_gone(first)
        with caplog.at_level(logging.ERROR), pytest.raises(writer_process.LogWriteFailed):
            await asyncio.wait_for(unconfirmed, DEADLINE)
        assert any("1 unconfirmed row(s)" in r.getMessage() for r in caplog.records)
        await asyncio.wait_for(store.record_query(make_query(3)), DEADLINE)
        assert writer_pid(store) != first
        assert [r.request_id for r in store.query_rows()] == ["req-1", "req-3"]
    finally:
        await store.close()


async def test_sigterm_sigint_and_sighup_do_not_stop_the_writer_before_the_bot_closes(
        tmp_path: Path):
    db = tmp_path / "q.db"
    store = open_store(db, writer_process=True)
    try:
        pid = writer_pid(store)
        os.kill(pid, signal.SIGTERM)  # a service manager signals the whole group
        os.kill(pid, signal.SIGINT)  # so does Ctrl-C in a terminal
        os.kill(pid, signal.SIGHUP)  # `kill -HUP -<group>` to reload, or the terminal closing
        await asyncio.wait_for(store.record_query(make_query(1)), DEADLINE)
        assert writer_pid(store) == pid
        tasks = [asyncio.create_task(store.record_query(make_query(i))) for i in range(2, 302)]
        await asyncio.sleep(0)  # every task has submitted; none is confirmed yet
    finally:
        await store.close()
    await asyncio.wait_for(asyncio.gather(*tasks), DEADLINE)  # all confirmed, none failed
    assert count_rows(str(db), "queries") == 301
    wait_until_gone(pid)


async def test_closing_gives_up_on_a_writer_that_does_not_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A stuck writer (stopped, or on a disk that hangs) must not hang the bot's shutdown."""
    monkeypatch.setattr(writer_process, "STOP_TIMEOUT", 0.2)
    store = open_store(tmp_path / "q.db", writer_process=True)
    pid = writer_pid(store)
    os.kill(pid, signal.SIGSTOP)
    stuck = asyncio.create_task(store.record_query(make_query(1)))
    await asyncio.sleep(0)  # submitted
    await asyncio.wait_for(store.close(), DEADLINE)
    with pytest.raises(writer_process.LogWriteFailed):  # the caller spools it
        await asyncio.wait_for(stuck, DEADLINE)
    wait_until_gone(pid)


def test_the_writer_exits_when_the_bot_dies_without_closing(tmp_path: Path):
    script = (
        "import asyncio, os, sys\n"
        "from bot.store import open_store\n"
        "from test_store_contract import make_query\n"
        f"store = open_store({str(tmp_path / 'q.db')!r}, writer_process=True)\n"
        "asyncio.run(store.record_query(make_query(1)))\n"
        "print(store._writer.pid, flush=True)\n"
        "os._exit(0)\n"  # no close(), no atexit: as if killed
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=DEADLINE, env=env, check=True)
    wait_until_gone(int(done.stdout.split()[0]))
    assert count_rows(str(tmp_path / "q.db"), "queries") == 1


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"])
async def test_a_writer_that_cannot_start_leaves_a_thread_writing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        executable: str):
    monkeypatch.setattr(writer_process.sys, "executable", executable)
    with caplog.at_level(logging.WARNING):
        store = open_store(tmp_path / "q.db", writer_process=True)
    try:
        assert isinstance(store._writer, GroupCommitWriter)  # type: ignore[attr-defined]
        [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert "log writer process" in warning and "from a thread instead" in warning
        await asyncio.wait_for(store.record_query(make_query(1)), DEADLINE)
        assert count_rows(str(tmp_path / "q.db"), "queries") == 1
    finally:
        await store.close()


async def test_a_locked_database_fails_the_batch_with_sqlites_own_error(tmp_path: Path):
    db = tmp_path / "q.db"
    store = SqliteLogStore(db, busy_timeout=0.05, writer_process=True)
    blocker = sqlite3.connect(db, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(store.record_query(make_query(1)), DEADLINE)
        assert store.failed_batches == 1
        blocker.execute("ROLLBACK")
        await asyncio.wait_for(store.record_query(make_query(2)), DEADLINE)
        assert [r.request_id for r in store.query_rows()] == ["req-2"]
    finally:
        blocker.close()
        await store.close()


@contextlib.asynccontextmanager
async def serving(slack, tmp_path: Path) -> AsyncIterator[Harness]:
    """The real service logging to tmp_path/facts.db, asked once ("traffic offenses")."""
    settings = settings_for(slack, tmp_path, db=str(tmp_path / "facts.db"))
    service = await start_service(settings, SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            assert "driving under the influence" in all_text(await harness.ask("traffic offenses"))
            yield harness
    finally:
        await service.stop()


async def test_serve_keeps_answering_and_logging_when_its_writer_is_killed(
        slack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Seen from Slack: the answers go on; seen by the comms team: no row is lost."""
    monkeypatch.setattr(writer_process, "RESTART_AFTER", 0.0)
    async with serving(slack, tmp_path) as harness:
        pid = writer_pid(harness.service.store)
        os.kill(pid, signal.SIGKILL)
        wait_until_gone(pid)
        bodies = await asyncio.gather(*(harness.ask("traffic offenses") for _ in range(5)))
        assert all("driving under the influence" in all_text(b) for b in bodies)
        await slack.wait_for(lambda: count_rows(str(tmp_path / "facts.db"), "queries") == 6,
                             timeout=30, what="every row written, the spooled ones too")
    async with open_store(str(tmp_path / "facts.db")) as store:
        rows = list(store.query_rows())
    assert len({r.request_id for r in rows}) == 6  # each one, none twice


async def wait_for_loss(store: SqliteLogStore) -> None:
    """Wait (with a deadline) until the store has seen its writer process go."""
    deadline = time.monotonic() + DEADLINE
    while store._writer.pid is not None:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the writer's death was not noticed"
        await asyncio.sleep(0.01)


async def test_no_file_descriptor_left_to_restart_the_writer_fails_rows_instead_of_hanging(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(writer_process, "RESTART_AFTER", 0.0)
    store = open_store(tmp_path / "q.db", writer_process=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        await store.record_query(make_query(1))
        pid = writer_pid(store)
        os.kill(pid, signal.SIGKILL)
        await wait_for_loss(store)
        lowest_free = os.dup(0)
        os.close(lowest_free)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))  # `ulimit -n` reached
        try:
            with pytest.raises(writer_process.WriterUnavailable, match="open files"):
                await asyncio.wait_for(store.record_query(make_query(2)), DEADLINE)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        await asyncio.wait_for(store.record_query(make_query(3)), DEADLINE)
        assert [r.request_id for r in store.query_rows()] == ["req-1", "req-3"]
    finally:
        await store.close()


async def test_a_stopped_writer_is_replaced_and_its_rows_spooled_so_answers_go_out(
        slack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture):
    """A writer that never confirms (SIGSTOP, a hung disk) held every answer forever."""
    monkeypatch.setattr(writer_process, "RESTART_AFTER", 0.0)
    monkeypatch.setattr(writer_process, "CONFIRM_TIMEOUT", 1.0)
    async with serving(slack, tmp_path) as harness:
        stopped = writer_pid(harness.service.store)
        os.kill(stopped, signal.SIGSTOP)
        with caplog.at_level(logging.ERROR):
            bodies = await asyncio.gather(*(harness.ask("traffic offenses") for _ in range(3)))
        assert all("driving under the influence" in all_text(b) for b in bodies)
        wait_until_gone(stopped)  # killed, not left stopped beside its successor
        lines = [r.getMessage() for r in caplog.records]
        stops = [m for m in lines if m.startswith("log writer process stopped")]
        assert len(stops) == 1, lines
        assert "confirmed nothing for 1 s" in stops[0]
        await slack.wait_for(lambda: count_rows(str(tmp_path / "facts.db"), "queries") == 4,
                             timeout=30, what="the spooled rows written by a new writer")
    async with open_store(str(tmp_path / "facts.db")) as store:
        assert len({r.request_id for r in store.query_rows()}) == 4


def zombie_children() -> list[int]:
    """This process's children that exited and were never reaped."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.append(int(entry.name))
    return found


async def test_a_killed_writer_is_reaped_and_its_exit_code_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setattr(writer_process, "CONFIRM_TIMEOUT", 0.2)
    store = open_store(tmp_path / "q.db", writer_process=True)
    try:
        await store.record_query(make_query(1))
        pid = writer_pid(store)
        os.kill(pid, signal.SIGSTOP)  # hung: the bot kills it
        with caplog.at_level(logging.ERROR), pytest.raises(writer_process.LogWriteFailed):
            await asyncio.wait_for(store.record_query(make_query(2)), DEADLINE)
        [line] = [r.getMessage() for r in caplog.records
                  if r.getMessage().startswith("log writer process stopped")]
        assert "exit code -9" in line, line
        assert pid not in zombie_children()  # no process left behind
    finally:
        await store.close()


async def test_a_writer_that_dies_at_every_start_is_one_line_for_the_operator_not_one_a_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setattr(writer_process, "RESTART_AFTER", 0.0)
    store = open_store(tmp_path / "q.db", writer_process=True)
    try:
        await store.record_query(make_query(0))
        monkeypatch.setattr(writer_process.sys, "executable", "/bin/false")  # a broken deploy
        with caplog.at_level(logging.INFO):
            os.kill(writer_pid(store), signal.SIGKILL)
            await wait_for_loss(store)
            for i in range(1, 11):  # each batch starts a process that dies at once
                with pytest.raises(writer_process.LogWriteFailed):
                    await asyncio.wait_for(store.record_query(make_query(i)), DEADLINE)
            monkeypatch.undo()  # fixed: the next batch starts a writer that works
            monkeypatch.setattr(writer_process, "RESTART_AFTER", 0.0)
            await asyncio.wait_for(store.record_query(make_query(11)), DEADLINE)
        lines = [f"{r.levelname} {r.getMessage()}" for r in caplog.records]
        assert [line.split(" (")[0] for line in lines] == [
            "ERROR log writer process stopped", "ERROR log store writer: writes are failing: "
            "the log writer process stopped before confirming",
            "WARNING log writer process started again",
            "INFO log store writer: writes succeed again"], lines
        assert [r.request_id for r in store.query_rows()] == ["req-0", "req-11"]
    finally:
        await store.close()


def test_ctrl_c_to_the_bots_group_while_its_writer_starts_loses_nothing_and_prints_nothing(
        tmp_path: Path):
    """The writer ignores SIGINT only once its code runs; a Ctrl-C (or a service manager's
    SIGTERM to the group) in the moment before killed it, printing a traceback that is
    not a JSON line into the bot's log."""
    script = (
        "import asyncio, os, signal, sys\n"
        "import bot.store.writer_process as writer_process\n"
        "from bot.store import open_store\n"
        "from test_store_contract import make_query\n"
        "signal.signal(signal.SIGINT, lambda *_: None)\n"  # the bot's own handler
        "writer_process.RESTART_AFTER = 0.0\n"
        "async def main():\n"
        f"    store = open_store({str(tmp_path / 'q.db')!r}, writer_process=True)\n"
        "    for i, delay in enumerate([0, 0, 0.03, 0.06, 0.09, 0.12]):\n"
        "        row = asyncio.create_task(store.record_query(make_query(i)))\n"
        "        for _ in range(3):\n"  # submitted, handed over, the process started
        "            await asyncio.sleep(0)\n"
        "        await asyncio.sleep(delay)\n"
        "        os.killpg(0, signal.SIGINT)\n"  # Ctrl-C: the terminal signals the group
        "        await row\n"
        "        os.kill(store._writer.pid, signal.SIGKILL)\n"  # the next one starts anew
        "        while store._writer.pid is not None:\n"
        "            await asyncio.sleep(0.01)\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env, start_new_session=True)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
    assert count_rows(str(tmp_path / "q.db"), "queries") == 6


async def test_a_second_close_at_the_same_time_returns_only_once_every_row_is_written(
        tmp_path: Path):
    """As with the writer thread: whoever's close() returns may exit the process next."""
    db = tmp_path / "q.db"
    store = open_store(db, writer_process=True)
    rows = [asyncio.create_task(store.record_query(make_query(i))) for i in range(1000)]
    await asyncio.sleep(0)  # every task has submitted its row
    first = asyncio.create_task(store.close())
    await asyncio.wait_for(store.close(), DEADLINE)
    assert count_rows(str(db), "queries") == 1000
    await asyncio.wait_for(first, DEADLINE)
    await asyncio.wait_for(asyncio.gather(*rows), DEADLINE)


def test_a_writer_that_cannot_open_the_database_after_the_bot_died_prints_nothing(
        tmp_path: Path):
    """Whatever the writer prints lands in the bot's log, where a traceback is not JSON."""
    ours, theirs = socket.socketpair()
    ours.close()  # the bot is gone
    code = "import sys; from bot.store.writer_child import main; sys.exit(main(sys.argv[1:]))"
    with theirs:
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path), str(theirs.fileno()), "0.1", "10"],
            pass_fds=[theirs.fileno()], capture_output=True, text=True, timeout=DEADLINE,
            cwd=Path(__file__).parents[1])  # a folder is no database
    assert (done.stdout, done.stderr) == ("", "")
