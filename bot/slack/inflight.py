"""Work behind an ack: answered in the ack when quick, tracked for shutdown, bounded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger("facts_bot")

T = TypeVar("T")

#: How long an ack may wait for its answer. A lookup and its log commit take
#: about a millisecond; past this the ack goes out empty and the answer follows
#: through response_url, so Slack (3 s) always hears back in time, even after
#: `max_wait` for room.
ANSWER_BUDGET_SECONDS = 0.5


class InFlight:
    """The work started after an ack, tracked so shutdown can wait for it to finish.

    asyncio keeps only weak references to tasks; holding them here also keeps
    a reply from being garbage-collected half way. `wait_for_room` is the
    backpressure: acking faster than answers can be sent would only grow a
    queue of people waiting for their answer. At 50 requests in flight a limit
    of 32 kept both ack and answer p99 near 50 ms; 64 and 128 let answers wait
    longer without making acks faster (benchmarks/bench_slack.py).
    """

    def __init__(self, limit: int = 32, max_wait: float = 1.0,
                 answer_budget: float = ANSWER_BUDGET_SECONDS) -> None:
        self.limit = limit
        self.max_wait = max_wait  # with answer_budget, well inside the 3 s Slack allows
        self.answer_budget = answer_budget  # 0: every answer follows through response_url
        self._tasks: set[asyncio.Task] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def count(self) -> int:
        return len(self._tasks)

    async def wait_for_room(self) -> None:
        """Hold an ack while `limit` requests are still being answered (at most `max_wait`)."""
        if len(self._tasks) < self.limit:
            return
        # asyncio.timeout, not wait_for: no task of its own per held ack (3.11's wait_for
        # wraps the coroutine in one), and this is on every ack while the limit is reached.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.max_wait):
                await self._room.wait()

    async def answer(self, work: Coroutine[Any, Any, T],
                     deliver_late: Callable[[T], Awaitable[None]]) -> T | None:
        """The work's result if it is ready within `answer_budget`, to send as the ack.

        Otherwise None (ack now, empty), and the result goes to `deliver_late`
        once it is ready. Answering in the ack saves the second HTTP request
        per query, the largest cost over a bare bolt app. The work runs as one
        tracked task either way, so shutdown waits for a late answer too, and
        the decision is made once: a result taken for the ack is never sent
        again, a late one never lost.
        """
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[T | None] = loop.create_future()
        if self.answer_budget <= 0:  # every answer follows through response_url
            outcome.set_result(None)
            self.start(self._answer(work, outcome, deliver_late))
            return None
        # The budget's end settles `outcome` with None (a timer, not wait_for's second
        # future and callbacks per request): whichever comes first decides.
        timer = loop.call_later(self.answer_budget, _settle, outcome, None)
        self.start(self._answer(work, outcome, deliver_late))
        try:
            return await outcome
        finally:
            timer.cancel()

    @staticmethod
    async def _answer(work: Coroutine[Any, Any, T], outcome: asyncio.Future[T | None],
                      deliver_late: Callable[[T], Awaitable[None]]) -> None:
        try:
            result = await work
        except BaseException:
            _settle(outcome, None)  # the ack goes out at once; the failure is logged
            raise
        if not _settle(outcome, result):  # in time: the ack carries it
            await deliver_late(result)  # the ack has left without it (or was cancelled)

    def start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        self._idle.clear()
        if len(self._tasks) >= self.limit:
            self._room.clear()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self.limit:
            self._room.set()
        if not self._tasks:
            self._idle.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("request failed after its ack", exc_info=task.exception())

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False


def _settle(outcome: asyncio.Future[T | None], result: T | None) -> bool:
    """Give `outcome` its result unless it is already decided; True if this decided it."""
    if outcome.done():
        return False
    outcome.set_result(result)
    return True
