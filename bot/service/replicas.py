"""Several copies behaving as one: shared reloads and who serves which version.

Each copy heartbeats the content version it serves into the shared store and
polls the store's reload-request log; a `/facts reload` on any copy appends a
request, so every copy re-reads the same knowledge within one poll. Re-approvals
(`/facts approve`, audit rows of kind `approve`) are followed the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.service.approvals import Approvals
from bot.service.clock import Clock
from bot.service.live import LiveKnowledge
from bot.store import LogStore

log = logging.getLogger("facts_bot")

POLL_SECONDS = 2.0
ALIVE_SECONDS = 15.0


def replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ReplicaSync:
    """Heartbeats this copy's version and follows reloads requested by any copy."""

    store: LogStore
    live: LiveKnowledge
    clock: Clock
    name: str = field(default_factory=replica_id)
    after_reload: Callable[[], None] = lambda: None
    last_seen: int = -1
    approvals: Approvals | None = None

    async def start(self) -> None:
        requests = await asyncio.to_thread(self.store.reload_requests_after, 0)
        self.last_seen = max((seq for seq, _ in requests), default=0)
        await self.follow_approvals()
        await self.heartbeat()

    async def follow_approvals(self) -> bool:
        """Take up re-approvals made on any copy; True when there were new ones."""
        if self.approvals is None:
            return False
        changed = await self.approvals.refresh()
        if changed:
            log.info("re-approvals from the database: %d target(s) approved",
                     len(self.approvals.current.approvals))
        return changed

    async def heartbeat(self) -> None:
        await asyncio.to_thread(self.store.publish_content_version, self.name,
                                self.live.snapshot.version, self.clock.now())

    async def follow(self) -> bool:
        """Reload if another copy asked since we last looked; True when we did."""
        requests = await asyncio.to_thread(self.store.reload_requests_after, self.last_seen)
        if not requests:
            return False
        self.last_seen = requests[-1][0]
        outcome = await self.live.reload(self.clock.now().date())
        self.after_reload()
        log.info("reload requested by another copy: now serving %s (ok=%s)", outcome.version,
                 outcome.ok)
        await self.heartbeat()
        return True

    async def announce(self, version: str) -> None:
        """Ask every copy to reload (after this copy reloaded to `version`)."""
        self.last_seen = await asyncio.to_thread(self.store.request_reload, version,
                                                 self.clock.now())
        await self.heartbeat()

    async def on_version(self, version: str, wait_seconds: float) -> tuple[int, int]:
        """(copies serving `version`, copies alive), waiting up to `wait_seconds` for stragglers."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            since = self.clock.now() - dt.timedelta(seconds=ALIVE_SECONDS)
            versions = await asyncio.to_thread(self.store.replica_versions, since)
            current = sum(v == version for v in versions.values())
            if current == len(versions) or asyncio.get_running_loop().time() >= deadline:
                return current, len(versions)
            await asyncio.sleep(0.2)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.follow()
                await self.follow_approvals()
                await self.heartbeat()
            except Exception:
                log.exception("replica sync failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
