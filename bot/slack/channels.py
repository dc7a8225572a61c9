"""Channel ids as people know them ("#press-office"), each looked up once and cached.

The query log keeps Slack's channel ids (C0123ABCD); a report that says where
/facts is used must name the channels. Slack's `conversations.info` gives the
name (it needs the `channels:read` scope, `groups:read` for private ones).
Names are cached per id, bounded, for a day, so a busy `/facts stats` costs
no calls; a lookup that fails (no scope, channel gone, Slack down, too slow)
shows the id instead and is not tried again for a while: a report never
fails, or waits long, for the sake of a name.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.clock import Clock
from bot.service.metrics import Metrics

log = logging.getLogger("facts_bot")

DIRECT_MESSAGE = "direct message"
GROUP_MESSAGE = "group message"


class ChannelNames:
    """Names for channel ids through one Web API client; `client` None: ids as they are."""

    def __init__(self, client: AsyncWebClient | None, clock: Clock, *, size: int = 1000,
                 ttl_seconds: float = 86_400, failed_ttl_seconds: float = 600,
                 deadline_seconds: float = 5.0, parallel: int = 4,
                 metrics: Metrics | None = None) -> None:
        self._client = client
        self._clock = clock
        self._size = size
        self._ttl = ttl_seconds
        self._failed_ttl = failed_ttl_seconds
        self._deadline = deadline_seconds
        self._parallel = parallel
        self._metrics = metrics
        self._cache: OrderedDict[str, tuple[str, float]] = OrderedDict()  # id -> (label, until)

    async def names(self, channel_ids: Iterable[str]) -> dict[str, str]:
        """A label for every non-empty id given: "#name", "direct message", or the id itself."""
        wanted = list(dict.fromkeys(c for c in channel_ids if c))
        missing = [c for c in wanted if self._cached(c) is None and not _is_direct(c)]
        if missing and self._client is not None:
            await self._look_up(missing)
        return {c: self._label(c) for c in wanted}

    def _label(self, channel_id: str) -> str:
        if _is_direct(channel_id):
            return DIRECT_MESSAGE
        return self._cached(channel_id) or channel_id

    def _cached(self, channel_id: str) -> str | None:
        found = self._cache.get(channel_id)
        if found is None:
            return None
        label, until = found
        if until <= self._clock.now().timestamp():
            del self._cache[channel_id]
            return None
        self._cache.move_to_end(channel_id)
        return label

    def _remember(self, channel_id: str, label: str, seconds: float) -> None:
        self._cache[channel_id] = (label, self._clock.now().timestamp() + seconds)
        self._cache.move_to_end(channel_id)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)

    async def _look_up(self, channel_ids: list[str]) -> None:
        room = asyncio.Semaphore(self._parallel)
        tasks = [asyncio.ensure_future(self._one(c, room)) for c in channel_ids]
        _, late = await asyncio.wait(tasks, timeout=self._deadline)
        for task in late:  # too slow: the id is shown this time, and asked again next time
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, channel_id: str, room: asyncio.Semaphore) -> None:
        assert self._client is not None
        async with room:
            try:
                found = await self._client.conversations_info(channel=channel_id)
            except SlackApiError as failed:
                error = str(failed.response.get("error") or failed.response.status_code)
                self._failed(channel_id, error)
                return
            except Exception as failed:  # network, timeout, a broken reply
                self._failed(channel_id, type(failed).__name__)
                return
        self._remember(channel_id, _describe(channel_id, found.get("channel")), self._ttl)

    def _failed(self, channel_id: str, error: str) -> None:
        if self._metrics is not None:
            self._metrics.slack_errors.inc(error=error)
        log.info("cannot name channel %s (conversations.info: %s); showing its id",
                 channel_id, error)
        self._remember(channel_id, channel_id, self._failed_ttl)


def _is_direct(channel_id: str) -> bool:
    """Slack's direct-message channel ids start with D: nothing to look up."""
    return channel_id.startswith("D")


def _describe(channel_id: str, info: object) -> str:
    if not isinstance(info, dict):
        return channel_id
    if info.get("is_im"):
        return DIRECT_MESSAGE
    if info.get("is_mpim"):
        return GROUP_MESSAGE
    name = info.get("name")
    return f"#{name[:80]}" if isinstance(name, str) and name.strip() else channel_id
