"""The floor bench_slack.py measures facts-bot against: a bare slack-bolt AsyncApp.

Its /facts only acks a fixed text. It is bolt as its documentation sets it
up, on the same stack as `facts-bot serve` (aiohttp, bolt's aiohttp adapter
and its signature verification, authorization from a fixed auth.test answer,
`process_before_response=True` so bolt answers as soon as the listener
returns), so whatever facts-bot costs beyond it is facts-bot's own: the
guard, the lookup, the log commit, the rendering, the reply. (facts-bot
verifies and parses a request once, in its guard, and hands bolt the parsed
body; the floor keeps bolt's own adapter, which does both in bolt.)

Run by bench_slack.py as `python benchmarks/bolt_floor.py` with
SLACK_SIGNING_SECRET set; prints `floor serving http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

FIXED_TEXT = "Approved response: fixed text."
AUTH_TEST = {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "bot",
             "team_id": "T0FAKETEAM", "user_id": "U0FAKEBOT", "bot_id": "B0FAKEBOT"}


def floor_app(signing_secret: str) -> AsyncApp:
    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult.from_auth_test_response(auth_test_response=AUTH_TEST,
                                                       bot_token="xoxb-floor")

    app = AsyncApp(signing_secret=signing_secret, authorize=authorize,
                   process_before_response=True, logger=logging.getLogger("floor"))

    @app.command("/facts")
    async def facts(ack) -> None:
        await ack(FIXED_TEXT)

    return app


async def main() -> None:
    app = floor_app(os.environ["SLACK_SIGNING_SECRET"])
    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"floor serving http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
