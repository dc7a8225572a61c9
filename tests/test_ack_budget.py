"""The ack leaves within its budget whatever the log does (issue 16, item 1).

Slack gives up on an ack after 3 seconds and shows the person an error; a
client with Slack's timeout is the user's seat here.
"""

from __future__ import annotations

import aiohttp

from bot.service.clock import SystemClock
from bot.service.server import start_service
from bot.store import open_store
from fakeslack import signed_slash_command
from test_slack_app import SECRET, GatedStore, all_text, settings_for

SLACK_ACK_TIMEOUT = aiohttp.ClientTimeout(total=3)


async def test_an_ack_held_by_a_slow_log_still_reaches_slack_in_time(slack, tmp_path):
    gated = GatedStore(open_store(str(tmp_path / "facts.db")))
    service = await start_service(settings_for(slack, tmp_path, answer_in_ack_ms=500),
                                  SystemClock(), store=gated)
    try:
        url = slack.response_url()
        body, headers = signed_slash_command(SECRET, text="traffic offenses", response_url=url)
        async with aiohttp.ClientSession(timeout=SLACK_ACK_TIMEOUT) as http, http.post(
                service.url + "/slack/events", data=body, headers=headers) as response:
            assert response.status == 200 and await response.read() == b""
        assert gated.waiting == 1  # the row is still held: the answer has not left
        gated.gate.set()
        [post] = await slack.wait_for_responses(1, url=url)
        assert "Approved response for “traffic offenses”" in all_text(post.body)
    finally:
        await service.stop()
