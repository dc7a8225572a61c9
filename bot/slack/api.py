"""The bot's Slack Web API client, with slack_sdk's retries counted in /metrics.

slack_sdk retries inside the client (a 429 waited out for its Retry-After, a
dropped connection tried again), so the caller never sees them. Wrapping each
retry handler lets an operator see rate limiting before it turns into errors.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.metrics import Metrics


class CountedRetries(AsyncRetryHandler):
    """Decides and waits exactly as `inner` does, and counts each retry by reason."""

    def __init__(self, inner: AsyncRetryHandler, reason: str, metrics: Metrics) -> None:
        super().__init__(max_retry_count=inner.max_retry_count,
                         interval_calculator=inner.interval_calculator)
        self.inner, self.reason, self.metrics = inner, reason, metrics

    async def can_retry_async(self, **attempt: Any) -> bool:
        return await self.inner.can_retry_async(**attempt)

    async def prepare_for_next_attempt_async(self, **attempt: Any) -> None:
        self.metrics.slack_retries.inc(reason=self.reason)
        await self.inner.prepare_for_next_attempt_async(**attempt)


def retry_handlers(metrics: Metrics | None, rate_limit_retries: int = 3
                   ) -> list[AsyncRetryHandler]:
    """Wait out 429s (Retry-After) and retry dropped connections; counted if `metrics`."""
    handlers: dict[str, AsyncRetryHandler] = {
        "connection_error": AsyncConnectionErrorRetryHandler(),
        "rate_limited": AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
    }
    if metrics is None:
        return list(handlers.values())
    return [CountedRetries(handler, reason, metrics) for reason, handler in handlers.items()]


def slack_client(token: str, api_url: str, *, metrics: Metrics | None = None,
                 rate_limit_retries: int = 3) -> AsyncWebClient:
    """The bot's Web API client; its retry handlers also serve response_url replies."""
    return AsyncWebClient(token=token, base_url=api_url,
                          retry_handlers=retry_handlers(metrics, rate_limit_retries))


def retries_connection_errors(handler: AsyncRetryHandler) -> bool:
    inner = getattr(handler, "inner", handler)
    return isinstance(inner, AsyncConnectionErrorRetryHandler)


def without_connection_retries(handlers: list[AsyncRetryHandler]) -> list[AsyncRetryHandler]:
    """The handlers minus the one that resends after a dropped connection.

    For a call that is not idempotent (a post in a channel): when the connection
    drops after Slack accepted it, resending posts it twice. A 429 is still
    waited out and retried: Slack did not take that call.
    """
    return [h for h in handlers if not retries_connection_errors(h)]


def posting_client(client: AsyncWebClient) -> AsyncWebClient:
    """`client`, but never resending a call whose connection dropped."""
    return AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                          retry_handlers=without_connection_retries(client.retry_handlers))
