"""The SQLite log's writer as a process of its own, so that it shares no GIL with the bot.

Why: with a writer *thread*, every batch made that thread take the GIL back from the busy
event loop three or four times (woken, the file check, the statement, waking the loop),
and the answers waiting for the commit waited for those hand-overs; under load that was
most of the bot's CPU per request and of its latency (benchmarks/bench_slack.py). A
process costs the event loop one non-blocking `send` per turn and one `recv` per commit.

The promise is unchanged: a row counts as logged only once the writer process has
committed it (`writer_child.py`, the same `BatchWriter` and fsync as the thread) and said
so; `submit` returns then. If the process dies, the rows it had not confirmed fail (the
bot's LogKeeper spools them), and the next batch starts a new process (at most one start
a second). A batch it committed but died before confirming is spooled too and so written
twice: a duplicate row rather than a lost one. A process that confirms nothing for
CONFIRM_TIMEOUT while rows wait (stopped, or hung on a dead disk) is killed and treated
the same way: otherwise every answer waited for it, forever.

The socket is read by the event loop that submits rows (one at a time; if that loop
stops, the next one to submit takes over).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from bot.store.group_commit import TurnBatcher, _Pending, rows_by_table
from bot.store.writer_wire import decode, encode

logger = logging.getLogger(__name__)

START_TIMEOUT: Final = 10.0  # seconds for a new writer process to open the database
STOP_TIMEOUT: Final = 10.0  # seconds to confirm what it was sent once closing, then to exit
RESTART_AFTER: Final = 1.0  # seconds between starts: a process that dies at once must not spin
#: Seconds without any confirmation, while rows wait for one, before the process is taken
#: for hung and killed. A batch can wait for SQLite's lock twice (busy_timeout, 10 s in
#: `serve`: a recreated file's schema, then the rows) and for fsync.
CONFIRM_TIMEOUT: Final = 30.0
REAP_TIMEOUT: Final = 1.0  # seconds for a killed process to be gone
EXIT_GRACE: Final = 0.1  # seconds for a process whose socket closed to finish exiting
_ROOT: Final = str(Path(__file__).resolve().parents[2])  # the folder holding `bot/`


class WriterUnavailable(RuntimeError):
    """The writer process could not be started, or could not open the database."""


class LogWriteFailed(RuntimeError):
    """A batch failed in the writer process (its error is in the message)."""


def _error(reported: tuple[str, str] | None) -> BaseException | None:
    """The writer process's error as an exception here: sqlite3's own class where it is one."""
    if reported is None:
        return None
    name, message = reported
    kind = getattr(sqlite3, name, None)
    if isinstance(kind, type) and issubclass(kind, sqlite3.Error):
        return kind(message)
    return LogWriteFailed(f"{name}: {message}")


class _Child:
    """One writer process and the event loop's end of its socket.

    The process is in a process group of its own: a Ctrl-C or a hangup in the bot's
    terminal, or a `kill -TERM -<group>`, signals the bot's group, and a writer still
    starting (before it ignores them) died of it, with a traceback in the bot's log.
    The bot closes the socket when it stops, and the writer exits then.
    """

    def __init__(self, path: Path, busy_timeout: float, max_batch: int) -> None:
        try:  # out of file descriptors (`ulimit -n`): fail the rows, never leave them waiting
            ours, theirs = socket.socketpair()
        except OSError as failed:
            raise WriterUnavailable(f"cannot start the log writer process: {failed}") from None
        code = f"import sys; sys.path.insert(0, {_ROOT!r}); " \
               "from bot.store.writer_child import main; sys.exit(main(sys.argv[1:]))"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, str(path), str(theirs.fileno()),
                 repr(busy_timeout), str(max_batch)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True,
                process_group=0)  # see below
        except OSError as failed:
            ours.close()
            raise WriterUnavailable(f"cannot start the log writer process: {failed}") from None
        finally:
            theirs.close()
        self.sock = ours
        self.loop: asyncio.AbstractEventLoop | None = None
        self.outgoing = bytearray()
        self.incoming = bytearray()
        self.sent_upto = 0  # every frame numbered below this was handed to the socket

    def hello(self) -> None:
        """Wait (blocking) for the process to say it opened the database."""
        self.sock.settimeout(START_TIMEOUT)
        try:
            while True:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise WriterUnavailable(f"the log writer process exited at start "
                                            f"(code {self.process.wait(START_TIMEOUT)})")
                self.incoming += data
                for _, error, _ in decode(self.incoming):
                    if error is not None:
                        raise WriterUnavailable(f"the log writer process cannot open the "
                                                f"database: {error[0]}: {error[1]}")
                    return
        except (OSError, subprocess.TimeoutExpired) as failed:
            raise WriterUnavailable(f"the log writer process did not start: {failed}") from None
        finally:
            self.sock.setblocking(False)

    def detach(self) -> None:
        """Stop watching the socket from its event loop (if that loop still exists)."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
        self.loop = None

    def end(self, grace: float = 0.0) -> int | None:
        """Close our end; the process gone and reaped (else it stays a zombie); its exit code.

        `grace`: how long it may take to exit by itself first (its socket closes as it
        exits, a moment before its exit code is there to read).
        """
        self.detach()
        self.sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(grace)
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(REAP_TIMEOUT)
        return None  # stuck in the kernel (a dead disk): reaped by the next start, if ever


class ProcessWriter(TurnBatcher):
    """Group commit through a writer process; see the module docstring.

    `on_recreated` runs on the event loop when the process reports that it created the
    database file again (it was deleted or replaced while serving).
    """

    def __init__(self, path: Path, busy_timeout: float, *, label: str, max_batch: int,
                 on_recreated: Callable[[], None]) -> None:
        super().__init__(label=label, max_batch=max_batch)
        self._path, self._busy_timeout = path, busy_timeout
        self._on_recreated = on_recreated
        self._frames: dict[int, list[_Pending]] = {}  # sent, not yet confirmed
        self._next_frame = 0
        self._drained: asyncio.Future[None] | None = None  # close() waits on it
        self._confirmations = 0  # messages from the process; the watchdog sees it progress
        self._watchdog: asyncio.TimerHandle | None = None
        # None while a process works; after it stopped, the last reason given for why a new
        # one cannot start ("" before any): the operator hears each change once.
        self._down: str | None = None
        self._closed = threading.Event()  # the first close() has finished
        self._started = time.monotonic()
        self._child: _Child | None = _Child(path, busy_timeout, max_batch)
        try:
            self._child.hello()
        except BaseException:
            self._child.end()
            raise

    # -- sending (on the event loop, under _state_lock) --------------------------------------

    def _deliver(self, rows: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        child = self._live_child(rows)
        if child is None:
            return
        if child.loop is not loop:
            if child.loop is not None and child.loop.is_running():  # another thread's loop
                child.loop.call_soon_threadsafe(self._deliver_there, rows)
                return
            self._attach(child, loop)
        for start in range(0, len(rows), self._max_batch):  # one transaction holds a frame
            frame = rows[start:start + self._max_batch]
            self._frames[self._next_frame] = frame
            child.outgoing += encode((self._next_frame, rows_by_table(frame)))
            self._next_frame += 1
        if not self._in_flight(child):
            self._send(child)
        if child is self._child:  # else sending found it dead and failed the rows
            self._watch(child)

    def _attach(self, child: _Child, loop: asyncio.AbstractEventLoop) -> None:
        """Read the process's confirmations on `loop` from now on (instead of its old one)."""
        child.detach()
        child.loop = loop
        loop.add_reader(child.sock.fileno(), self._on_readable, child)

    def _deliver_there(self, rows: list[_Pending]) -> None:
        with self._state_lock:
            self._deliver(rows)

    def _live_child(self, rows: list[_Pending]) -> _Child | None:
        """The running writer process, started again if it died; None fails `rows`."""
        if self._child is not None:
            return self._child
        if time.monotonic() - self._started >= RESTART_AFTER:
            self._started = time.monotonic()
            try:
                self._child = _Child(self._path, self._busy_timeout, self._max_batch)
                return self._child
            except WriterUnavailable as failed:
                error: BaseException = failed
        else:
            error = LogWriteFailed("the log writer process stopped; starting it again")
        self._record(len(rows), error)
        self._wake(rows, error)
        return None

    def _in_flight(self, child: _Child) -> bool:
        """Whether frames sent to the process wait for its confirmation.

        Until they are confirmed, new frames wait here: the process is busy committing
        and would only read them afterwards, and sending them in one go then costs one
        wake-up of the process and one send per commit, not one per turn of the loop.
        """
        first = next(iter(self._frames), None)
        return first is not None and first < child.sent_upto

    def _send(self, child: _Child) -> None:
        child.sent_upto = self._next_frame
        try:
            sent = child.sock.send(child.outgoing)
        except BlockingIOError:
            sent = 0
        except OSError as failed:
            self._lost(child, f"cannot send to it: {failed}")
            return
        del child.outgoing[:sent]
        assert child.loop is not None
        if child.outgoing:
            child.loop.add_writer(child.sock.fileno(), self._on_writable, child)
        else:
            child.loop.remove_writer(child.sock.fileno())

    def _on_writable(self, child: _Child) -> None:
        with self._state_lock:
            if child is self._child:
                self._send(child)

    # -- a hung process (on the event loop) ---------------------------------------------------

    def _watch(self, child: _Child) -> None:
        """Make sure a check is due on the child's loop while rows wait. Under _state_lock."""
        assert child.loop is not None
        watchdog = self._watchdog
        if watchdog is not None and not watchdog.cancelled() and child.loop.is_running():
            return  # one is due (a loop that stopped never runs it: then a new one)
        if watchdog is not None:
            watchdog.cancel()
        self._watchdog = child.loop.call_later(
            CONFIRM_TIMEOUT, self._check_progress, child, self._confirmations)

    def _check_progress(self, child: _Child, seen: int) -> None:
        with self._state_lock:
            self._watchdog = None
            if child is not self._child or not self._frames:
                return
            if self._confirmations == seen:
                self._lost(child, f"it confirmed nothing for {CONFIRM_TIMEOUT:g} s; killed")
                return
            self._watch(child)

    # -- confirmations (on the event loop) ---------------------------------------------------

    def _on_readable(self, child: _Child) -> None:
        try:
            data = child.sock.recv(1 << 18)
        except BlockingIOError:
            return
        except OSError as failed:
            data, why = b"", str(failed)
        else:
            why = "it exited"
        if not data:
            with self._state_lock:
                self._lost(child, why)
            return
        child.incoming += data
        for numbers, reported, recreated in decode(child.incoming):
            self._confirmations += 1
            batch = [pending for number in numbers for pending in self._frames.pop(number, ())]
            error = _error(reported)
            if not numbers:  # a hello from a restarted process
                self._hello(error)
                continue
            if recreated:
                self._follow_recreated_file()
            self._record(len(batch), error)
            self._wake(batch, error)
        if child.outgoing and not self._in_flight(child):
            with self._state_lock:
                self._send(child)
        self._maybe_drained()

    def _hello(self, error: BaseException | None) -> None:
        """A restarted process opened the database (or says why it cannot): one line a change."""
        if error is None:
            self._down = None
            logger.warning("log writer process started again")
        elif str(error) != self._down:
            self._down = str(error)
            logger.error("log writer process cannot start: %s", error)

    def _follow_recreated_file(self) -> None:
        try:
            self._on_recreated()
        except Exception:  # the rows are committed; the admin side catches up later
            logger.exception("log writer process: could not reopen the recreated database")

    def _lost(self, child: _Child, why: str) -> None:
        """The process is gone: fail what it had not confirmed; the next batch restarts it."""
        code = child.end(EXIT_GRACE if why == "it exited" else 0.0)
        if self._child is child:
            self._child = None
        unconfirmed = [pending for frame in self._frames.values() for pending in frame]
        self._frames.clear()
        if self._down is None and (not self.closed or unconfirmed):
            logger.error("log writer process stopped (%s, exit code %s); %d unconfirmed "
                         "row(s) go to the spool", why, code, len(unconfirmed))
        if not self.closed:  # quiet until a new process says hello: a crash loop is one line
            self._down = self._down or ""
        if unconfirmed:
            error = LogWriteFailed("the log writer process stopped before confirming")
            self._record(len(unconfirmed), error)
            self._wake(unconfirmed, error)
        self._maybe_drained()

    def _maybe_drained(self) -> None:
        if self._drained is not None and not self._frames and not self._drained.done():
            self._drained.set_result(None)

    # -- closing -----------------------------------------------------------------------------

    async def close(self) -> bool:
        """Wait for every row sent to be confirmed, then let the process exit.

        A second call at the same time waits for the first (as the writer thread's join
        does): whoever sees close() return may end the process next.
        """
        if not self._close_turns():
            await asyncio.to_thread(self._closed.wait)
            return False
        try:
            await self._close_child()
        finally:
            self._closed.set()
        return True

    async def _close_child(self) -> None:
        loop = asyncio.get_running_loop()
        child = self._child
        if child is None:
            return
        self._drained = loop.create_future()
        with self._state_lock:
            if child.loop is not loop and self._frames:  # the loop that sent them is gone
                self._attach(child, loop)
                self._send(child)
            self._maybe_drained()
        try:
            await asyncio.wait_for(asyncio.shield(self._drained), STOP_TIMEOUT)
        except TimeoutError:  # stopped, or stuck on a disk that does not answer
            with self._state_lock:
                if self._child is child:
                    self._lost(child, f"no confirmation within {STOP_TIMEOUT:g} s of closing")
        with self._state_lock:
            if self._child is child:
                self._child = None
                child.detach()
                with contextlib.suppress(OSError):
                    child.sock.shutdown(socket.SHUT_WR)  # the process commits nothing more
        await self._wait_for_exit(child)

    @staticmethod
    async def _wait_for_exit(child: _Child) -> None:
        try:
            await asyncio.to_thread(child.process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.error("log writer process did not exit; killing it")
        child.end()

    @property
    def pid(self) -> int | None:
        """The writer process's id (tests stop it the way a crash would)."""
        return self._child.process.pid if self._child is not None else None
