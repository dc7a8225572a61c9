"""What stands between the open internet and bolt on `/slack/events`.

Bolt trusts what reaches it: a garbled timestamp or a form body labelled JSON
became a 500 with a traceback, a failed signature was logged with the whole
body (response_url included), a replayed request was answered and logged
again, and a client that sent its body slowly held a handler forever. So each
request is checked here first, cheaply, and refused with a one-line reason:

- 503 while stopping (SIGTERM): no new work, even on a kept-alive connection;
- 408 when the body does not arrive within the idle bound (a client that
  drops mid-body is counted as `dropped`, not logged as an error);
- 401 for a missing, garbled, stale or wrong signature (logged without the body),
  checked over the body's bytes (a signed body that is not UTF-8 is a 400);
- 400 for a body that is not what its Content-Type says (or a `payload` field
  that is not a JSON object);
- a byte-identical replay within Slack's 5-minute window is acked and dropped.

The body is read, checked and parsed once, here, and left on the request
(`CHECKED_BODY`) for `bolt_entry` to hand to bolt as it is: bolt neither
verifies the signature again nor parses the body again (they were a tenth of
the CPU per request).

Slow or idle connections that never send a whole request are closed by
aiohttp's keep-alive timer (see `server.start_service`); this module also
rate-limits the event loop's "accept() out of system resource" message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import web

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


@dataclass(frozen=True, slots=True)
class CheckedBody:
    """A request body that passed the guard: its text, and what bolt reads from it."""

    text: str
    fields: dict[str, Any]


#: Where the guard leaves a checked request's body for bolt (a typed key where
#: aiohttp has them, which warns about plain string keys).
CHECKED_BODY: Any = (web.RequestKey("facts_checked_body", CheckedBody)
                     if hasattr(web, "RequestKey") else "facts_checked_body")


class BodyProblem(ValueError):
    """Why a body is not what its Content-Type says (the 400's one-line reason)."""


def read_form(text: str) -> dict[str, str] | None:
    """`dict(parse_qsl(text, keep_blank_values=True))`, or None where strict parsing fails.

    One pass that both checks and parses (the standard library's check and
    bolt's parse were two passes, each costing more than the lookup). The
    result is the standard library's: it unquotes only names and values
    holding `%` or `+`, and strict parsing refuses exactly a field without `=`.
    """
    form: dict[str, str] = {}
    if not text:
        return form
    for field in text.split("&"):
        name, equals, value = field.partition("=")
        if not equals:
            return None
        if "%" in name or "+" in name:
            name = _unquote(name.replace("+", " "))
        if "%" in value or "+" in value:
            value = _unquote(value.replace("+", " "))
        form[name] = value
    return form


def _unquote(text: str) -> str:
    """`urllib.parse.unquote(text)`, by C codecs where the text allows it.

    Every slash command's `command` and `response_url` (and most questions) are
    percent-encoded, and the standard library's pure-Python unquoting was most
    of reading the form. In ASCII text whose every `%` starts an escape, each
    `%XX` becomes the byte XX (`\\xXX` to the unicode_escape codec, other
    backslashes doubled so they stay as they are) and the bytes are UTF-8 read
    as `unquote` reads them; anything else (a stray `%`, raw non-ASCII) is left
    to `unquote` itself. `tests/test_bolt_entry.py` holds the two to the same
    answers on hostile forms.
    """
    if text.isascii():
        escaped = text.replace("\\", "\\\\").replace("%", "\\x").encode("ascii")
        try:
            return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
        except UnicodeDecodeError:  # a `%` that starts no escape
            pass
    return unquote(text)


def check_body(content_type: str, body: bytes) -> CheckedBody:
    """The body as bolt reads it, or BodyProblem.

    A form's `payload` field (a button click, a shortcut) is its JSON, as bolt
    reads it; any other form is the fields themselves (a slash command). Bolt
    decides by looking for the word "payload" anywhere in the body, so a
    `/facts payload limits` reached no listener; here the field decides.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyProblem("body is not UTF-8") from None
    if content_type == "application/json":
        return CheckedBody(text, _json_object(text, "body is labelled JSON but is not JSON",
                                              "JSON body is not an object"))
    if content_type == "application/x-www-form-urlencoded":
        form = read_form(text)
        if form is None:
            raise BodyProblem("form body cannot be read")
        if "payload" in form:
            return CheckedBody(text, _json_object(form["payload"], "payload is not JSON",
                                                  "payload is not a JSON object"))
        return CheckedBody(text, form)
    raise BodyProblem(f"unexpected Content-Type {content_type or '(none)'}")


def _json_object(text: str, not_json: str, not_object: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise BodyProblem(not_json) from None
    if not isinstance(parsed, dict):
        raise BodyProblem(not_object)
    return parsed


def signed(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's v0 signature, over the body's bytes as sent.

    slack_sdk's SignatureVerifier decodes the body first and compares text, so a
    signed body that is not UTF-8, or a signature header that is not ASCII,
    raised instead of failing (a 500); here they are a 400 and a 401.
    """
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return signature.isascii() and hmac.compare_digest(expected, signature)


def slack_request_guard(signing_secret: str, accepting: Callable[[], bool],
                        read_timeout: float, replays: ReplayGuard | None = None,
                        on_refused: Callable[[str], None] = lambda reason: None) -> Any:
    """An aiohttp middleware that checks `/slack/events` requests before bolt sees them."""
    secret = signing_secret.encode()
    replays = replays or ReplayGuard()

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path != SLACK_EVENTS or request.method != "POST":
            return await handler(request)
        if not accepting():
            on_refused("stopping")
            return _refuse(503, "stopping", close=True)
        try:
            # A body already whole (almost every request) is read without the timeout's
            # task and timer, which cost more than reading it.
            body = await (request.read() if request.content.is_eof()
                          else asyncio.wait_for(request.read(), read_timeout))
        except TimeoutError:
            on_refused("slow_body")
            return _refuse(408, "request body too slow", close=True)
        except ConnectionError:  # the client went away mid-body: nobody to answer
            on_refused("dropped")
            return _refuse(400, "connection dropped", close=True)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (timestamp.isdigit() and len(timestamp) <= 12 and signature
                and abs(time.time() - int(timestamp)) <= MAX_AGE_SECONDS
                and signed(secret, timestamp, body, signature)):
            on_refused("signature")
            log.warning("refused a /slack/events request: signature check failed")
            return _refuse(401, "invalid request")
        try:
            request[CHECKED_BODY] = check_body(request.content_type, body)
        except BodyProblem as problem:
            on_refused("bad_body")
            log.warning("refused a /slack/events request: %s", problem)
            return _refuse(400, str(problem))
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
