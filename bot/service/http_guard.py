"""What stands between the open internet and bolt on `/slack/events`.

Bolt trusts what reaches it: a garbled timestamp or a form body labelled JSON
became a 500 with a traceback, a failed signature was logged with the whole
body (response_url included), a replayed request was answered and logged
again, and a client that sent its body slowly held a handler forever. So each
request is checked here first, cheaply, and refused with a one-line reason:

- 503 while stopping (SIGTERM): no new work, even on a kept-alive connection;
- 408 when the body does not arrive within the idle bound;
- 401 for a missing, garbled, stale or wrong signature (logged without the body);
- 400 for a body that is not what its Content-Type says;
- a byte-identical replay within Slack's 5-minute window is acked and dropped.

Slow or idle connections that never send a whole request are closed by
aiohttp's keep-alive timer (see `server.start_service`); this module also
rate-limits the event loop's "accept() out of system resource" message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("facts_bot")

SLACK_EVENTS = "/slack/events"
MAX_AGE_SECONDS = 5 * 60  # Slack's own bound on a request's timestamp
MAX_REMEMBERED = 100_000  # signatures kept for replay checks, at most


class ReplayGuard:
    """Signatures seen in the last `window` seconds: a second sighting is a replay."""

    def __init__(self, window: float = MAX_AGE_SECONDS + 60,
                 clock: Callable[[], float] = time.monotonic,
                 max_remembered: int = MAX_REMEMBERED) -> None:
        self.window, self.clock, self.max_remembered = window, clock, max_remembered
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_sighting(self, signature: str) -> bool:
        now = self.clock()
        while self._seen and (next(iter(self._seen.values())) < now - self.window
                              or len(self._seen) >= self.max_remembered):
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now
        return True

    def forget(self, signature: str) -> None:
        self._seen.pop(signature, None)


def _refuse(status: int, reason: str, *, close: bool = False) -> web.Response:
    headers = {"Connection": "close"} if close else None
    return web.Response(status=status, text=reason, headers=headers)


def _body_problem(content_type: str, body: bytes) -> str | None:
    """Why the body is not what its Content-Type says, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if content_type == "application/json":
        try:
            return None if isinstance(json.loads(text), dict) else "JSON body is not an object"
        except ValueError:
            return "body is labelled JSON but is not JSON"
    if content_type == "application/x-www-form-urlencoded":
        try:
            parse_qs(text, strict_parsing=bool(text))
        except ValueError:
            return "form body cannot be read"
        return None
    return f"unexpected Content-Type {content_type or '(none)'}"


def slack_request_guard(signing_secret: str, accepting: Callable[[], bool],
                        read_timeout: float, replays: ReplayGuard | None = None,
                        on_refused: Callable[[str], None] = lambda reason: None) -> Any:
    """An aiohttp middleware that checks `/slack/events` requests before bolt sees them."""
    verifier = SignatureVerifier(signing_secret)
    replays = replays or ReplayGuard()

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path != SLACK_EVENTS or request.method != "POST":
            return await handler(request)
        if not accepting():
            on_refused("stopping")
            return _refuse(503, "stopping", close=True)
        try:
            body = await asyncio.wait_for(request.read(), read_timeout)
        except TimeoutError:
            on_refused("slow_body")
            return _refuse(408, "request body too slow", close=True)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (timestamp.isdigit() and len(timestamp) <= 12 and signature
                and abs(time.time() - int(timestamp)) <= MAX_AGE_SECONDS
                and verifier.is_valid(body, timestamp, signature)):
            on_refused("signature")
            log.warning("refused a /slack/events request: signature check failed")
            return _refuse(401, "invalid request")
        problem = _body_problem(request.content_type, body)
        if problem:
            on_refused("bad_body")
            log.warning("refused a /slack/events request: %s", problem)
            return _refuse(400, problem)
        if not replays.first_sighting(signature):
            on_refused("replay")
            log.warning("ignored a replayed /slack/events request (same signature)")
            return web.Response(status=200)
        try:
            response = await handler(request)
        except BaseException:
            replays.forget(signature)  # not handled: a genuine retry may come
            raise
        if response.status >= 500:
            replays.forget(signature)
        return response

    return guard


class AcceptErrorLog:
    """The loop's exception handler, with "accept() out of system resource" once a minute.

    asyncio reports that error (with a traceback) every time it retries accept();
    with every file descriptor in use that grew the log by 72 MB in 50 s.
    """

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self, every_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every, self.clock = every_seconds, clock
        self.suppressed = 0
        self._last = float("-inf")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != self.MESSAGE:
            loop.default_exception_handler(context)
            return
        now = self.clock()
        if now - self._last < self.every:
            self.suppressed += 1
            return
        self._last = now
        error = context.get("exception")
        log.error("cannot accept connections: %s (out of file descriptors? see LimitNOFILE); "
                  "%d more like this since the last report", error, self.suppressed)
        self.suppressed = 0
