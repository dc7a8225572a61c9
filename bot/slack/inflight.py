"""Work started after an ack: tracked for shutdown, bounded for backpressure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("facts_bot")


class InFlight:
    """The work started after an ack, tracked so shutdown can wait for it to finish.

    asyncio keeps only weak references to tasks; holding them here also keeps
    a reply from being garbage-collected half way. `wait_for_room` is the
    backpressure: acking faster than answers can be sent would only grow a
    queue of people waiting for their answer. At 50 requests in flight a limit
    of 32 kept both ack and answer p99 near 50 ms; 64 and 128 let answers wait
    longer without making acks faster (benchmarks/bench_slack.py).
    """

    def __init__(self, limit: int = 32, max_wait: float = 1.0) -> None:
        self.limit = limit
        self.max_wait = max_wait  # well inside the 3 s Slack allows for an ack
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._room.wait(), self.max_wait)

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
