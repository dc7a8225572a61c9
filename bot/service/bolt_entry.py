"""`/slack/events` over HTTP: the guard, then bolt, given the body the guard already read.

Bolt's own aiohttp adapter reads the body again, parses it again and has bolt
verify the signature again; the guard (`http_guard`) has done all three before
bolt sees the request, so here bolt gets the parsed body as it is. That was
about a tenth of the CPU per request under load (benchmarks/bench_slack.py).
Bolt's signature check is off for the same reason (`FactsBot.build_app`): the
route exists only behind the guard, which `slack_events_app` installs with it.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.service.http_guard import CHECKED_BODY, SLACK_EVENTS, CheckedBody, slack_request_guard


def slack_events_app(app: AsyncApp, signing_secret: str, accepting: Callable[[], bool],
                     read_timeout: float, on_refused: Callable[[str], None]) -> web.Application:
    """An aiohttp application serving bolt on `/slack/events`, every request guarded."""
    web_app = web.Application(middlewares=[slack_request_guard(
        signing_secret, accepting, read_timeout, on_refused=on_refused)])
    web_app.router.add_post(SLACK_EVENTS, bolt_handler(app))
    return web_app


def bolt_handler(app: AsyncApp):
    """Dispatches a guarded request to bolt and turns bolt's answer into the response."""

    async def handle(request: web.Request) -> web.Response:
        checked: CheckedBody = request[CHECKED_BODY]  # only reachable through the guard
        return await to_aiohttp_response(await app.async_dispatch(
            bolt_request(checked, request.query_string, request.headers)))
    return handle


def bolt_request(checked: CheckedBody, query: str, headers) -> AsyncBoltRequest:
    """A bolt HTTP request from a body already parsed.

    Bolt parses a body given as text and takes one given as a dict only in
    Socket Mode; so it is built as that, then marked as the HTTP request it
    is, with its text, exactly as bolt's own adapter would have built it.
    """
    request = AsyncBoltRequest(body=checked.fields, query=query, headers=headers,
                               mode="socket_mode")
    request.mode, request.raw_body = "http", checked.text
    return request
