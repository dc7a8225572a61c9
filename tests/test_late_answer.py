"""An answer that missed the ack goes to response_url; a 5xx from Slack there is tried
once more, so the person still gets it (S14). Driven through the real app: signed
requests to the service, the fake Slack answering 500."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bot.service.clock import SystemClock
from bot.service.server import start_service
from test_slack_app import Harness, all_text, settings_for


@pytest.fixture
async def late_bot(slack, tmp_path):
    """Every /facts answer goes through response_url (FACTS_ANSWER_IN_ACK_MS=0)."""
    settings = settings_for(slack, tmp_path, answer_in_ack_ms=0)
    service = await start_service(settings, SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_a_late_answer_slack_failed_once_still_reaches_the_person(late_bot):
    late_bot.slack.fail_next_response(status=500, body="internal_error")
    acked = await late_bot.command("traffic offenses")
    assert acked.status == 200 and acked.body is None  # the ack went out empty
    failed, sent = await late_bot.slack.wait_for_responses(2, url=acked.url)
    assert failed.status == 500
    assert sent.status == 200 and sent.body["blocks"] == failed.body["blocks"]  # same reply
    assert all_text(sent.body).startswith("Approved response for")
    assert [r.text for r in late_bot.queries()] == ["traffic offenses"]


async def test_a_late_answer_slack_failed_twice_is_logged_in_one_line(late_bot, caplog):
    late_bot.slack.fail_next_response(status=502, body="bad_gateway")
    late_bot.slack.fail_next_response(status=503, body="unavailable")
    with caplog.at_level(logging.WARNING, logger="facts_bot"):
        acked = await late_bot.command("traffic offenses")
        posts = await late_bot.slack.wait_for_responses(2, url=acked.url)
        assert await late_bot.service.bot.inflight.wait_idle(10)
    assert [p.status for p in posts] == [502, 503]
    assert len(late_bot.slack.responses(acked.url)) == 2  # once more, not again and again
    [lost] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "not delivered" in lost.getMessage() and "503" in lost.getMessage()
    assert lost.exc_info is None and "\n" not in lost.getMessage()
    assert [r.text for r in late_bot.queries()] == ["traffic offenses"]  # the row is kept
