"""The time source, passed in wherever "now" or waiting matters.

Alerts are due at a wall-clock instant on a given day. Reading the time and
waiting through one object lets the scheduler run a whole events week against
a fake clock in a second of real time, and lets `alerts send --now` act as of
any instant.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


def _utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"a clock needs a timezone-aware datetime, not {when!r}")
    return when.astimezone(dt.UTC)


class SystemClock:
    """Real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """Fake time that moves only when told to, for tests and for `--now`.

    Sleepers block until the fake time reaches their wake-up instant. `run_until`
    moves time forward from one wake-up to the next, and before each step waits
    (in real time) until the expected number of tasks are asleep again, so every
    task has finished what it does at the current fake instant before time moves.
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = _utc(start)
        self._sleepers: list[tuple[dt.datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._asleep = asyncio.Event()

    def now(self) -> dt.datetime:
        return self._now

    @property
    def sleeping(self) -> int:
        """How many tasks are waiting on this clock right now."""
        return sum(not future.done() for _, _, future in self._sleepers)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        item = (self._now + dt.timedelta(seconds=seconds), next(self._order), future)
        heapq.heappush(self._sleepers, item)
        self._asleep.set()
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    def set(self, when: dt.datetime) -> None:
        """Jump to `when` (never backwards), waking every sleeper due by then."""
        when = _utc(when)
        if when < self._now:
            raise ValueError(f"fake time cannot go back from {self._now} to {when}")
        self._now = when
        self._wake_due()

    def advance(self, seconds: float) -> None:
        self.set(self._now + dt.timedelta(seconds=seconds))

    async def run_until(self, when: dt.datetime, *, sleepers: int = 1,
                        timeout: float = 5.0) -> None:
        """Move time to `when`, one wake-up at a time, letting `sleepers` tasks keep up.

        TimeoutError if fewer than `sleepers` tasks go back to sleep within `timeout`
        real seconds (a task crashed or is stuck).
        """
        when = _utc(when)
        while True:
            await self._wait_for_sleepers(sleepers, timeout)
            self._drop_finished()
            if not self._sleepers or self._sleepers[0][0] > when:
                self.set(max(when, self._now))
                return
            self.set(self._sleepers[0][0])

    def _wake_due(self) -> None:
        self._drop_finished()
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
            self._drop_finished()

    def _drop_finished(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)

    async def _wait_for_sleepers(self, count: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.sleeping < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"FakeClock: {self.sleeping} of {count} task(s) asleep "
                                   f"after {timeout}s at fake time {self._now.isoformat()}")
            self._asleep.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._asleep.wait(), min(remaining, 0.05))
