"""A local fake of Slack's side of the wire, for end-to-end tests of facts-bot.

One aiohttp server on 127.0.0.1 (ephemeral port) provides:

* the Web API at ``slack.api_url`` -> ``AsyncWebClient(token=..., base_url=slack.api_url)``
* ``response_url`` endpoints (``slack.response_url()``) that record what ``respond()`` posts
* a Socket Mode WebSocket at ``/socket`` (URL handed out by ``apps.connections.open``)

plus pure helpers that build signed slash-command / interaction HTTP requests exactly as
Slack would send them to the bot's ``/slack/events`` endpoint.

Usage::

    async with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        call = await slack.wait_for_call("chat.postMessage")

Everything is pytest-agnostic; nothing here touches the real network.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import inspect
import itertools
import json
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSCloseCode, WSMsgType, web

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "DEFAULT_USER_ID",
    "ApiCall",
    "FakeSlack",
    "ResponsePost",
    "SocketConnection",
    "block_actions_payload",
    "message_action_payload",
    "serve_aiohttp_app",
    "sign_request",
    "signed_interaction",
    "signed_slash_command",
    "slack_signature",
    "slash_command_payload",
]

DEFAULT_TEAM_ID = "T0FAKETEAM"
DEFAULT_TEAM_NAME = "Facts Test Workspace"
DEFAULT_TEAM_DOMAIN = "facts-test"
DEFAULT_APP_ID = "A0FAKEAPP"
DEFAULT_BOT_ID = "B0FAKEBOT"
DEFAULT_BOT_USER_ID = "U0FAKEBOT"
DEFAULT_BOT_USER_NAME = "factsbot"
DEFAULT_USER_ID = "U0PRESS01"
DEFAULT_USER_NAME = "press.officer"
DEFAULT_CHANNEL_ID = "C0FACTS01"
BLOCK_LIMIT = 50  # Slack: blocks in one message
SECTION_TEXT_LIMIT = 3000  # Slack: characters in a section's text
DEFAULT_CHANNEL_NAME = "facts"
DEFAULT_VERIFICATION_TOKEN = "fake-verification-token"
DEFAULT_SCOPES = "chat:write,commands,users:read,usergroups:read,channels:read,groups:read"

JSON = dict[str, Any]
_WS_END = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)
# A custom Web API method implementation: (params, token) -> response dict (or awaitable).
MethodHandler = Callable[[JSON, str | None], "JSON | Awaitable[JSON]"]


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass
class ApiCall:
    """One Web API request as received by the fake (including failed / 429 ones)."""

    method: str
    params: JSON  # query string + form/JSON body merged; ``token`` removed
    token: str | None  # from "Authorization: Bearer ..." (or a legacy ``token`` param)
    time: float
    http_method: str
    content_type: str
    status: int = 200  # HTTP status the fake answered with
    response: JSON = field(default_factory=dict)  # JSON body the fake answered with
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")


@dataclass
class ResponsePost:
    """One POST to a response_url (what slack_bolt's ``respond()`` sends)."""

    id: str
    name: str | None
    url: str
    body: JSON | None  # parsed JSON (or parsed ``payload=`` form field); None if unparseable
    raw: str
    content_type: str
    time: float
    status: int = 200
    reply: str = "ok"
    query: str = ""  # the URL's query string, if the caller added one

    @property
    def text(self) -> str | None:
        return None if self.body is None else self.body.get("text")


@dataclass
class SocketConnection:
    """One Socket Mode WebSocket connection made by the bot."""

    index: int  # 1-based, in connection order
    ticket: str | None
    ticket_valid: bool  # ticket was issued by apps.connections.open and not used before
    query: dict[str, str]
    connected_at: float
    ws: web.WebSocketResponse = field(repr=False)
    closed_at: float | None = None
    close_code: int | None = None
    received: list[Any] = field(default_factory=list)  # parsed JSON text frames (or raw str)
    sent: list[JSON] = field(default_factory=list)  # JSON frames the fake sent
    pings: list[bytes] = field(default_factory=list)  # ping payloads from the client

    @property
    def open(self) -> bool:
        return self.closed_at is None and not self.ws.closed


@dataclass
class _Fault:
    kind: str  # "error" | "ratelimit"
    error: str = ""
    status: int = 200
    retry_after: int = 1
    extra: JSON = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Request signing + payload builders (pure functions)
# --------------------------------------------------------------------------------------


def slack_signature(signing_secret: str, timestamp: str | int, body: str | bytes) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` (same as SignatureVerifier)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def sign_request(
    signing_secret: str,
    body: str | bytes,
    timestamp: int | float | str | None = None,
    *,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack sends with a signed request. ``timestamp`` defaults to now."""
    ts = str(int(time.time()) if timestamp is None else int(float(timestamp)))
    return {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(signing_secret, ts, body),
    }


def _trigger_id() -> str:
    return f"{random.randint(10**10, 10**11)}.{random.randint(10**8, 10**9)}.{uuid.uuid4().hex}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_payload(
    *,
    command: str = "/facts",
    text: str = "",
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    response_url: str = "https://hooks.slack.com/commands/T0FAKETEAM/1/fake",
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, str]:
    """The fields of a slash command, in Slack's order, all strings.

    This dict is the form body of the HTTP request and, as-is, the ``payload`` of a
    Socket Mode ``slash_commands`` envelope.
    """
    return {
        "token": verification_token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }


def signed_slash_command(
    signing_secret: str,
    *,
    timestamp: int | float | str | None = None,
    **fields: str | None,
) -> tuple[bytes, dict[str, str]]:
    """A form-encoded slash command body and its signed headers, ready to POST.

    `fields` are those of ``slash_command_payload`` (text, user_id, response_url, ...).
    """
    body = urlencode(slash_command_payload(**fields)).encode()  # type: ignore[arg-type]
    return body, sign_request(signing_secret, body, timestamp)


def signed_interaction(
    signing_secret: str,
    payload: JSON,
    timestamp: int | float | str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """An interactivity request (``payload=<json>`` form body) and its signed headers."""
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
    return body, sign_request(signing_secret, body, timestamp)


def block_actions_payload(
    *,
    action_id: str,
    value: str | None = None,
    block_id: str | None = None,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    response_url: str = "https://hooks.slack.com/actions/T0FAKETEAM/1/fake",
    message: JSON | None = None,
    container: JSON | None = None,
    is_ephemeral: bool | None = None,
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    button_text: str = "Button",
    action_ts: str | None = None,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
) -> JSON:
    """A ``block_actions`` payload for a button click, shaped like Slack's.

    With ``message`` (the original message dict, must contain ``ts``) the click looks like
    it came from a normal channel message: ``container.is_ephemeral`` is false and the payload
    carries ``message``. Without it the click comes from an *ephemeral* message (what
    ``respond()`` to a slash command produces): Slack then omits ``message``.
    """
    if is_ephemeral is None:
        is_ephemeral = message is None
    if container is None:
        message_ts = (message or {}).get("ts") or f"{time.time():.6f}"
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
    action: JSON = {
        "action_id": action_id,
        "block_id": block_id or uuid.uuid4().hex[:5],
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "type": "button",
        "action_ts": action_ts or _action_ts(),
    }
    if value is not None:
        action["value"] = value
    payload: JSON = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": verification_token,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if message is not None and not is_ephemeral:
        payload["message"] = message
    return payload


def message_action_payload(
    *,
    callback_id: str,
    text: str,
    message_user: str = "U0AUTHOR1",
    message_ts: str | None = None,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    response_url: str | None = "https://hooks.slack.com/app/T0FAKETEAM/1/fake",
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
) -> JSON:
    """A ``message_action`` payload: a message shortcut used on a message, shaped like Slack's.

    ``text`` is the message's ``text`` as Slack sends it (mrkdwn, with ``&amp;``/``&lt;``/
    ``&gt;`` escaped and links as ``<url|label>``). Slack always includes
    ``response_url`` for message shortcuts; ``response_url=None`` leaves it out.
    """
    ts = message_ts or f"{time.time():.6f}"
    payload: JSON = {
        "type": "message_action",
        "token": verification_token,
        "action_ts": _action_ts(),
        "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "message_ts": ts,
        "message": {"type": "message", "user": message_user, "ts": ts, "text": text,
                    "team": team_id},
        "api_app_id": api_app_id,
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


# --------------------------------------------------------------------------------------
# Serving an aiohttp app (e.g. bolt's app.web_app()) on loopback
# --------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve_aiohttp_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``app`` on an ephemeral loopback port; yields ``"http://127.0.0.1:PORT"``."""
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield f"http://{host}:{bound_port}"
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------


def _decode_json_field(value: Any) -> Any:
    """Form-encoded Web API params carry blocks/attachments as JSON strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeSlack:
    """Fake Slack: Web API + response_url + Socket Mode on one loopback aiohttp server.

    Configuration (plain attributes, mutate freely in tests):

    * ``users[user_id] = {"name": ..., "real_name": ..., ...}`` for users.info
    * ``usergroups[group_id] = [user ids]`` for usergroups.users.list
    * ``channels[channel_id] = {...}`` extra fields for conversations.info (e.g. ``name``);
      ``channels[channel_id] = None``: no such channel (``channel_not_found``)
    * ``not_in_channel`` set of channel ids: posting there -> ``not_in_channel``
    * ``valid_tokens``: if not None, any other token -> ``invalid_auth``
    * ``handlers[method] = fn(params, token) -> dict`` adds/overrides Web API methods
    * ``respond_to_pings``: set False to simulate a stale Socket Mode connection
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = DEFAULT_TEAM_ID,
        team_name: str = DEFAULT_TEAM_NAME,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        app_id: str = DEFAULT_APP_ID,
        bot_id: str = DEFAULT_BOT_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_user_name: str = DEFAULT_BOT_USER_NAME,
        max_response_url_uses: int = 5,
    ) -> None:
        self.host = host
        self.port = port
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_id = bot_id
        self.bot_user_id = bot_user_id
        self.bot_user_name = bot_user_name
        self.max_response_url_uses = max_response_url_uses

        # configuration
        self.users: dict[str, JSON] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.channels: dict[str, JSON | None] = {}
        self.not_in_channel: set[str] = set()
        self.valid_tokens: set[str] | None = None
        self.handlers: dict[str, MethodHandler] = {}
        self.respond_to_pings = True
        self.response_delay = 0.0  # seconds each response_url POST takes: a slow Slack
        # called with each response_url body as it arrives, before it is recorded
        self.response_hook: Callable[[JSON], None] | None = None
        # closed by hold_responses(): response_url POSTs wait (unrecorded) until released
        self._response_gate = asyncio.Event()
        self._response_gate.set()
        self.held_responses = 0  # POSTs waiting at the closed gate right now

        # state / records
        self.api_calls: list[ApiCall] = []
        self.messages: dict[tuple[str, str], JSON] = {}  # (channel, ts) -> message
        self.response_posts: list[ResponsePost] = []
        self.socket_connections: list[SocketConnection] = []
        self.acks: dict[str, JSON] = {}  # envelope_id -> ack frame from the bot
        self.sent_envelopes: dict[str, JSON] = {}  # envelope_id -> envelope we sent

        self._faults: dict[str, deque[_Fault]] = {}
        self._drops: dict[str, int] = {}  # method -> calls to handle, then drop the connection
        self._response_drops = 0  # response_url POSTs to record, then drop the connection
        self._response_faults: deque[tuple[int, str]] = deque()
        self._response_urls: dict[str, str | None] = {}  # id -> name
        self._response_uses: dict[str, int] = {}
        self._response_cursor = 0
        self._tickets: set[str] = set()
        self._used_tickets: set[str] = set()
        self._ts_base = int(time.time())
        self._ts_counter = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._builtin: dict[str, MethodHandler] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeSlack:
        if self._runner is not None:
            return self
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{rid}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Close Socket Mode connections and shut the server down.

        Close the bot's Socket Mode handler *before* this, or its auto-reconnect will
        keep retrying against a dead port.
        """
        if self._runner is None:
            return
        self.release_responses()  # a held reply must not keep shutdown waiting
        for conn in self.socket_connections:
            if not conn.ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"),
                        timeout=1.0,
                    )
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- URLs

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass as ``AsyncWebClient(base_url=...)``."""
        return f"{self.url}/api/"

    @property
    def socket_url(self) -> str:
        return f"ws://{self.host}:{self.port}/socket"

    def response_url(self, name: str | None = None) -> str:
        """A fresh response_url; POSTs to it are recorded (see ``responses()``)."""
        rid = uuid.uuid4().hex
        self._response_urls[rid] = name
        return f"{self.url}/response/{rid}"

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        error: str = "channel_not_found",
        *,
        times: int = 1,
        status: int = 200,
        extra: JSON | None = None,
    ) -> None:
        """Next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        for _ in range(times):
            self._faults.setdefault(method, deque()).append(
                _Fault("error", error=error, status=status, extra=dict(extra or {}))
            )

    def rate_limit_next(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        """Next ``times`` calls of ``method`` answer HTTP 429 + ``Retry-After``.

        Note slack_sdk's AsyncRateLimitErrorRetryHandler sleeps retry_after + random()
        seconds, so ``retry_after=0`` keeps tests fast (< 1 s).
        """
        for _ in range(times):
            self._faults.setdefault(method, deque()).append(
                _Fault("ratelimit", error="ratelimited", status=429, retry_after=retry_after)
            )

    def drop_after_accepting(self, method: str, *, times: int = 1) -> None:
        """Next ``times`` calls of ``method`` are carried out (a message is posted), then the
        connection is dropped before the answer: the client cannot tell it worked."""
        self._drops[method] = self._drops.get(method, 0) + times

    def drop_response_after_accepting(self, *, times: int = 1) -> None:
        """Next ``times`` response_url POSTs are recorded as delivered, then dropped."""
        self._response_drops += times

    def channel_messages(self, channel: str) -> list[JSON]:
        """Messages posted in ``channel`` (chat.postMessage), oldest first."""
        return [m for (c, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
                if c == channel]

    def fail_next_response(self, status: int = 404, body: str = "expired_url") -> None:
        """The next POST to any response_url gets ``status`` with text ``body``."""
        self._response_faults.append((status, body))

    def hold_responses(self) -> None:
        """Hold every response_url POST, unrecorded, until `release_responses`.

        Lets a test see the ack of a request while its reply is provably still
        undelivered (rather than guessing with timings).
        """
        self._response_gate.clear()

    def release_responses(self) -> None:
        self._response_gate.set()

    def clear_faults(self) -> None:
        self._faults.clear()
        self._response_faults.clear()

    # ---------------------------------------------------------------- recorded calls

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[ApiCall]:
        """Recorded Web API calls, optionally for one method / only (un)successful ones."""
        return [
            c
            for c in self.api_calls
            if (method is None or c.method == method) and (ok is None or c.ok == ok)
        ]

    def responses(self, url_or_name: str | None = None) -> list[ResponsePost]:
        """Recorded response_url POSTs, optionally for one URL (or id, or name)."""
        if url_or_name is None:
            return list(self.response_posts)
        return [
            r for r in self.response_posts if url_or_name in (r.url, r.id) or r.name == url_or_name
        ]

    def reset_records(self) -> None:
        """Forget recorded calls / responses / acks (configuration is kept)."""
        self.api_calls.clear()
        self.response_posts.clear()
        self._response_cursor = 0
        self.acks.clear()

    # ---------------------------------------------------------------- waiting

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked whenever the fake records
        something); return its value. Raises TimeoutError after ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"FakeSlack: timed out after {timeout}s waiting for {what}")
            event = self._changed
            # also wake periodically so predicates over external state work
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.05))

    async def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = None
    ) -> ApiCall:
        """Wait for the ``count``-th call of ``method``; returns that call."""

        def check() -> ApiCall | None:
            matching = self.calls(method, ok=ok)
            return matching[count - 1] if len(matching) >= count else None

        try:
            return await self.wait_for(check, timeout, f"{count} call(s) to {method}")
        except TimeoutError as e:
            seen = [c.method for c in self.api_calls]
            raise TimeoutError(f"{e}; calls so far: {seen}") from None

    async def wait_for_responses(
        self, n: int = 1, timeout: float = 5.0, *, url: str | None = None
    ) -> list[ResponsePost]:
        """Wait until at least ``n`` response_url POSTs (to ``url`` if given); return them."""

        def check() -> list[ResponsePost] | None:
            got = self.responses(url)
            return got[:n] if len(got) >= n else None

        return await self.wait_for(check, timeout, f"{n} response_url POST(s)")

    async def next_response(self, timeout: float = 5.0) -> ResponsePost:
        """The next response_url POST not yet returned by ``next_response``."""

        def check() -> ResponsePost | None:
            if len(self.response_posts) > self._response_cursor:
                return self.response_posts[self._response_cursor]
            return None

        post = await self.wait_for(check, timeout, "the next response_url POST")
        self._response_cursor += 1
        return post

    async def wait_for_socket_connection(
        self, timeout: float = 5.0, count: int = 1
    ) -> SocketConnection:
        """Wait for the ``count``-th Socket Mode connection (1 = first ever)."""

        def check() -> SocketConnection | None:
            if len(self.socket_connections) >= count:
                return self.socket_connections[count - 1]
            return None

        return await self.wait_for(check, timeout, f"socket connection #{count}")

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> JSON:
        """The ack frame (``{"envelope_id": ..., "payload"?: ...}``) the bot sent back."""
        return await self.wait_for(
            lambda: self.acks.get(envelope_id), timeout, f"ack of envelope {envelope_id}"
        )

    # ---------------------------------------------------------------- Socket Mode: sending

    @property
    def current_socket(self) -> SocketConnection | None:
        for conn in reversed(self.socket_connections):
            if conn.open:
                return conn
        return None

    async def _open_socket(self, timeout: float) -> SocketConnection:
        return await self.wait_for(lambda: self.current_socket, timeout, "an open socket")

    async def send_socket_frame(self, frame: JSON, *, timeout: float = 5.0) -> SocketConnection:
        """Send any JSON frame to the newest open connection (waiting for one)."""
        conn = await self._open_socket(timeout)
        await conn.ws.send_str(json.dumps(frame))
        conn.sent.append(frame)
        return conn

    async def send_socket_event(
        self,
        type: str,
        payload: JSON,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope (``slash_commands`` / ``interactive`` / ``events_api``).

        Returns the envelope_id; then ``await wait_for_ack(envelope_id)``.
        """
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive"
                and payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope: JSON = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        self.sent_envelopes[envelope_id] = envelope
        await self.send_socket_frame(envelope, timeout=timeout)
        return envelope_id

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does periodically."""
        await self.send_socket_frame(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )

    async def close_socket(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Abruptly close the newest open connection from the server side."""
        conn = self.current_socket
        if conn is not None:
            await asyncio.wait_for(conn.ws.close(code=code), timeout=2.0)

    # ---------------------------------------------------------------- builders bound to this fake

    def _in_workspace(self, kwargs: dict[str, Any], name: str | None) -> dict[str, Any]:
        """A payload's keyword arguments with this workspace's ids and a fresh response_url."""
        kwargs.setdefault("team_id", self.team_id)
        kwargs.setdefault("team_domain", self.team_domain)
        kwargs.setdefault("api_app_id", self.app_id)
        if "response_url" not in kwargs:
            kwargs["response_url"] = self.response_url(name=name)
        return kwargs

    def slash_command_payload(self, **kwargs: Any) -> dict[str, str]:
        """``slash_command_payload`` with this workspace's ids and a fresh response_url."""
        return slash_command_payload(**self._in_workspace(kwargs, kwargs.get("command", "/facts")))

    def block_actions_payload(self, **kwargs: Any) -> JSON:
        """``block_actions_payload`` with this workspace's ids and a fresh response_url."""
        return block_actions_payload(**self._in_workspace(kwargs, kwargs.get("action_id")))

    def message_action_payload(self, **kwargs: Any) -> JSON:
        """``message_action_payload`` with this workspace's ids and a fresh response_url."""
        return message_action_payload(**self._in_workspace(kwargs, kwargs.get("callback_id")))

    # ---------------------------------------------------------------- HTTP: Web API

    async def _parse_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if not request.body_exists:
            return params
        ctype = request.content_type
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else f"<file:{value.filename}>"
            return params
        raw = (await request.read()).decode("utf-8", "replace")
        if not raw.strip():
            return params
        try:
            data = json.loads(raw)
        except ValueError:
            params.update(dict(parse_qsl(raw, keep_blank_values=True)))
        else:
            if isinstance(data, dict):
                params.update(data)
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._parse_params(request)
        auth = request.headers.get("Authorization", "")
        token: str | None = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if token is None and "token" in params:
            token = str(params.pop("token"))
        call = ApiCall(
            method=method,
            params=params,
            token=token,
            time=time.time(),
            http_method=request.method,
            content_type=request.content_type,
            headers=dict(request.headers),
        )

        headers: dict[str, str] = {}
        fault = self._pop_fault(method)
        if fault is not None and fault.kind == "ratelimit":
            status, body = 429, {"ok": False, "error": "ratelimited"}
            headers["Retry-After"] = str(fault.retry_after)
        elif fault is not None:
            status, body = fault.status, {"ok": False, "error": fault.error, **fault.extra}
        else:
            status = 200
            body = self._check_token(method, token)
            if body is None:
                handler = self.handlers.get(method) or self._builtin.get(method)
                if handler is None:
                    body = {"ok": False, "error": "unknown_method", "req_method": method}
                else:
                    try:
                        result = handler(params, token)
                        body = await result if inspect.isawaitable(result) else result
                    except Exception as e:  # a broken custom handler: surface it, don't hang
                        status = 500
                        body = {"ok": False, "error": f"fake_handler_error: {e!r}"}
            if method == "auth.test" and body.get("ok"):
                headers["x-oauth-scopes"] = DEFAULT_SCOPES

        call.status, call.response = status, body
        self.api_calls.append(call)
        self._notify()
        if self._drops.get(method):
            self._drops[method] -= 1
            return self._drop(request)
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Close the connection without answering (what a network failure looks like)."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=200)

    def _pop_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    def _check_token(self, method: str, token: str | None) -> JSON | None:
        if method == "api.test":
            return None
        if not token:
            return {"ok": False, "error": "not_authed"}
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return {"ok": False, "error": "invalid_auth"}
        is_app_token = token.startswith("xapp-")
        if method.startswith("apps.connections.") != is_app_token:
            return {"ok": False, "error": "not_allowed_token_type"}
        return None

    def _next_ts(self) -> str:
        return f"{self._ts_base}.{next(self._ts_counter):06d}"

    def _bot_message(self, params: JSON, ts: str) -> JSON:
        message: JSON = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": params.get("text") or "",
            "team": self.team_id,
        }
        for key in ("blocks", "attachments", "metadata"):
            if params.get(key):
                message[key] = _decode_json_field(params[key])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    def _channel_error(self, channel: Any) -> JSON | None:
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        return None

    @staticmethod
    def _blocks_problem(blocks: Any) -> str | None:
        """What real Slack refuses as `invalid_blocks`: over 50 blocks, a section's text
        over 3,000 characters, a button's label over 75 or its value over 2,000."""
        if isinstance(blocks, str):
            with contextlib.suppress(ValueError):
                blocks = json.loads(blocks)
        if not isinstance(blocks, list):
            return None
        if len(blocks) > BLOCK_LIMIT:
            return f"invalid_blocks: {len(blocks)} blocks, more than {BLOCK_LIMIT}"
        for number, block in enumerate(blocks):
            text = block.get("text") if isinstance(block, dict) else None
            if isinstance(text, dict) and len(text.get("text", "")) > SECTION_TEXT_LIMIT:
                return f"invalid_blocks: block {number}'s text is over {SECTION_TEXT_LIMIT}"
            elements = block.get("elements", []) if isinstance(block, dict) else []
            accessory = block.get("accessory") if isinstance(block, dict) else None
            for element in [*elements, *([accessory] if accessory else [])]:
                if not isinstance(element, dict) or element.get("type") != "button":
                    continue
                if (len(element.get("text", {}).get("text", "")) > 75
                        or len(element.get("value", "")) > 2000):
                    return f"invalid_blocks: a button in block {number} is too long"
        return None

    @staticmethod
    def _has_content(params: JSON) -> bool:
        return any(params.get(k) for k in ("text", "blocks", "attachments"))

    # --- built-in methods: (params, token) -> response body

    def _api_test(self, params: JSON, token: str | None) -> JSON:
        return {"ok": True, "args": params}

    def _auth_test(self, params: JSON, token: str | None) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_user_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, params: JSON, token: str | None) -> JSON:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        query = urlencode({"ticket": ticket, "app_id": self.app_id})
        return {"ok": True, "url": f"{self.socket_url}?{query}"}

    def _chat_post_message(self, params: JSON, token: str | None) -> JSON:
        channel = params.get("channel")
        error = self._channel_error(channel)
        if error:
            return error
        if not self._has_content(params):
            return {"ok": False, "error": "no_text"}
        if self._blocks_problem(params.get("blocks")):
            return {"ok": False, "error": "invalid_blocks"}
        # posting to a user id opens (and answers with) the DM channel
        if isinstance(channel, str) and channel[:1] in ("U", "W"):
            channel = "D" + channel[1:]
        ts = self._next_ts()
        message = self._bot_message(params, ts)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, params: JSON, token: str | None) -> JSON:
        error = self._channel_error(params.get("channel"))
        if error:
            return error
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        if not self._has_content(params):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, params: JSON, token: str | None) -> JSON:
        channel, ts = params.get("channel"), params.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        if not self._has_content(params):
            return {"ok": False, "error": "no_text"}
        message = self._bot_message(params, ts)
        message.pop("ts", None)
        stored = self.messages.get((channel, ts))
        if stored is not None:
            stored.update(message)
            stored["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _users_info(self, params: JSON, token: str | None) -> JSON:
        user_id = params.get("user")
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        configured = dict(self.users[user_id])
        name = configured.get("name") or str(user_id).lower()
        real_name = configured.get("real_name") or name
        profile = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": name,
            "display_name_normalized": name,
            "team": self.team_id,
        }
        profile.update(configured.pop("profile", {}) or {})
        user: JSON = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": self._ts_base,
        }
        user.update(configured)
        user["profile"] = profile
        return {"ok": True, "user": user}

    def _usergroups_users_list(self, params: JSON, token: str | None) -> JSON:
        group = params.get("usergroup")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _conversations_info(self, params: JSON, token: str | None) -> JSON:
        channel = params.get("channel")
        if not channel or (channel in self.channels and self.channels[channel] is None):
            return {"ok": False, "error": "channel_not_found"}
        info: JSON = {
            "id": channel,
            "name": str(channel).lower(),
            "is_channel": str(channel).startswith("C"),
            "is_group": False,
            "is_im": str(channel).startswith("D"),
            "is_mpim": False,
            "is_private": str(channel).startswith("G"),
            "is_archived": False,
            "is_general": False,
            "is_member": channel not in self.not_in_channel,
            "created": self._ts_base,
            "context_team_id": self.team_id,
        }
        info.update(self.channels.get(channel) or {})
        return {"ok": True, "channel": info}

    def _conversations_history(self, params: JSON, token: str | None) -> JSON:
        """Newest first; ``metadata`` only with include_all_metadata, as Slack does."""
        channel = params.get("channel")
        if not channel or channel in self.not_in_channel:
            return {"ok": False, "error": "channel_not_found" if not channel
                    else "not_in_channel"}
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        found = []
        for message in reversed(self.channel_messages(channel)):
            if float(message["ts"]) <= oldest:
                continue
            shown = dict(message)
            if not with_metadata:
                shown.pop("metadata", None)
            found.append(shown)
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    # ---------------------------------------------------------------- HTTP: response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        raw = await request.text()
        if not self._response_gate.is_set():
            self.held_responses += 1
            self._notify()
            try:
                await self._response_gate.wait()
            finally:
                self.held_responses -= 1
        if self.response_delay:
            await asyncio.sleep(self.response_delay)
        body: JSON | None = None
        try:
            if request.content_type == "application/x-www-form-urlencoded":
                body = json.loads(dict(parse_qsl(raw)).get("payload", ""))
            else:
                body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = None
        if body is not None and self.response_hook is not None:
            self.response_hook(body)

        uses = self._response_uses.get(rid, 0)
        if self._response_faults:
            status, reply = self._response_faults.popleft()
        elif body is None:
            status, reply = 400, "invalid_payload"
        elif problem := self._blocks_problem(body.get("blocks")):
            status, reply = 400, problem
        elif uses >= self.max_response_url_uses:
            status, reply = 404, "used_url"
        else:
            status, reply = 200, "ok"
            self._response_uses[rid] = uses + 1

        self.response_posts.append(
            ResponsePost(
                id=rid,
                name=self._response_urls.get(rid),
                url=f"{self.url}/response/{rid}",
                body=body,
                raw=raw,
                content_type=request.content_type,
                time=time.time(),
                status=status,
                reply=reply,
                query=request.query_string,
            )
        )
        self._notify()
        if self._response_drops and status == 200:
            self._response_drops -= 1
            return self._drop(request)
        return web.Response(status=status, text=reply)

    # ---------------------------------------------------------------- WebSocket: Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, timeout=1.0)
        await ws.prepare(request)
        ticket = request.query.get("ticket")
        conn = SocketConnection(
            index=len(self.socket_connections) + 1,
            ticket=ticket,
            ticket_valid=ticket in self._tickets and ticket not in self._used_tickets,
            query=dict(request.query),
            connected_at=time.time(),
            ws=ws,
        )
        if ticket:
            self._used_tickets.add(ticket)
        self.socket_connections.append(conn)
        hello = {
            "type": "hello",
            "num_connections": sum(1 for c in self.socket_connections if c.open),
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": conn.query.get("app_id", self.app_id)},
        }
        try:
            await ws.send_str(json.dumps(hello))
            conn.sent.append(hello)
            self._notify()
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_text(conn, msg.data)
                elif msg.type == WSMsgType.PING:
                    conn.pings.append(msg.data)
                    if self.respond_to_pings:
                        await ws.pong(msg.data)
                    self._notify()
                elif msg.type in _WS_END:
                    break
        finally:
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
            conn.closed_at = time.time()
            conn.close_code = ws.close_code
            self._notify()
        return ws

    def _on_socket_text(self, conn: SocketConnection, data: str) -> None:
        try:
            frame: Any = json.loads(data)
        except ValueError:
            frame = data
        conn.received.append(frame)
        if isinstance(frame, dict) and frame.get("envelope_id"):
            self.acks.setdefault(frame["envelope_id"], frame)
        self._notify()
