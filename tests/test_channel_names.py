# ruff: noqa: F811  (pytest passes the imported `bot` fixture by name)
"""Reports name channels as people know them (#press-office), never by raw id.

`/facts stats` through signed requests and `facts-bot review` (text and HTML)
against the fake Slack: each channel is looked up once with conversations.info
and cached; one that cannot be named shows its id, never an error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

import pytest

from bot.service.clock import FakeClock
from bot.slack.api import slack_client
from bot.slack.channels import ChannelNames
from fakeslack import DEFAULT_CHANNEL_ID, signed_slash_command
from test_review import query, seed
from test_slack_app import (
    ADMIN,
    SECRET,
    all_text,
    bot,  # noqa: F401  (a fixture, used by name below)
)

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
PRESS, GONE, DIRECT = "CPRESS001", "CGONE0001", "D0DIRECT1"


async def ask_in(bot, channel_id: str, text: str, user_id: str = "UPRESS01") -> dict:
    url = bot.slack.response_url()
    body, headers = signed_slash_command(SECRET, text=text, user_id=user_id,
                                         channel_id=channel_id, response_url=url)
    async with bot.http.post(bot.service.url + "/slack/events", data=body,
                             headers=headers) as response:
        assert response.status == 200
        raw = await response.read()
    if raw:  # answered in the ack itself
        return json.loads(raw)
    [post] = await bot.slack.wait_for_responses(1, url=url)
    return post.body


def lookups(slack) -> list[str]:
    return [call.params.get("channel") for call in slack.calls("conversations.info")]


async def test_stats_name_each_channel_looked_up_once(bot):
    bot.slack.channels[PRESS] = {"name": "press-office"}
    bot.slack.channels[GONE] = None  # deleted, or private without the bot
    for channel, text in ((PRESS, "traffic offenses"), (PRESS, "racial profiling"),
                          (GONE, "cost to local police"), (DIRECT, "aliases")):
        await ask_in(bot, channel, text)

    stats = all_text(await ask_in(bot, DEFAULT_CHANNEL_ID, "stats", user_id=ADMIN))
    assert "#press-office (2)" in stats
    assert f"{GONE} (1)" in stats and "direct message (1)" in stats
    assert PRESS not in stats and "channel_not_found" not in stats
    assert sorted(lookups(bot.slack)) == sorted([PRESS, GONE])  # a DM needs no lookup

    again = all_text(await ask_in(bot, DEFAULT_CHANNEL_ID, "stats", user_id=ADMIN))
    assert "#press-office (2)" in again
    # Each once: cached, the failure too (the first /facts stats, in the default
    # channel, is new to this one).
    assert sorted(lookups(bot.slack)) == sorted([PRESS, GONE, DEFAULT_CHANNEL_ID])


async def test_stats_show_ids_when_slack_will_not_name_channels(bot):
    bot.slack.fail_next("conversations.info", "missing_scope", times=5)
    await ask_in(bot, PRESS, "traffic offenses")
    stats = all_text(await ask_in(bot, PRESS, "stats", user_id=ADMIN))
    assert f"{PRESS} (1)" in stats and "missing_scope" not in stats
    assert "lookups by" in stats


# ---------------------------------------------------------------- the cache itself


async def test_names_are_cached_bounded_and_refreshed(slack):
    for n in range(1, 4):
        slack.channels[f"C{n}"] = {"name": f"team-{n}"}
    clock = FakeClock(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
    names = ChannelNames(slack_client("xoxb-test", slack.api_url), clock, size=2,
                         ttl_seconds=3600)
    assert await names.names(["C1", "C2", "", "C1"]) == {"C1": "#team-1", "C2": "#team-2"}
    assert await names.names(["C3"]) == {"C3": "#team-3"}  # C1, least recent, is dropped
    assert lookups(slack) == ["C1", "C2", "C3"]
    await names.names(["C2", "C3"])
    assert lookups(slack) == ["C1", "C2", "C3"]
    await names.names(["C1"])
    assert lookups(slack) == ["C1", "C2", "C3", "C1"]
    clock.advance(3601)
    await names.names(["C1"])
    assert lookups(slack) == ["C1", "C2", "C3", "C1", "C1"]


async def test_a_slow_slack_gives_ids_within_the_deadline(slack):
    slack.channels["C1"] = {"name": "team-1"}
    slack.rate_limit_next("conversations.info", retry_after=30)
    clock = FakeClock(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
    names = ChannelNames(slack_client("xoxb-test", slack.api_url), clock,
                         deadline_seconds=0.3)
    assert await asyncio.wait_for(names.names(["C1"]), 10) == {"C1": "C1"}
    assert await names.names(["C1"]) == {"C1": "#team-1"}  # not cached as a failure


async def test_without_a_client_ids_stay_ids():
    clock = FakeClock(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
    assert await ChannelNames(None, clock).names(["C1", "D1"]) == {"C1": "C1",
                                                                  "D1": "direct message"}


# ---------------------------------------------------------------- facts-bot review


@pytest.fixture
async def log_db(tmp_path: Path) -> Path:
    path = tmp_path / "log.db"
    await seed(path, [query("racial profiling", "answer", channel=PRESS, top_id="sb-color-blind",
                            score=95),
                      query("aliases", "answer", minute=1, channel=PRESS),
                      query("weather in Miami", minute=2, channel=GONE)], [])
    return path


async def review(db: Path, cwd: Path, **env: str) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FACTS_", "SLACK_"))}
    process = await asyncio.create_subprocess_exec(
        FACTS_BOT, "review", "--html", "report.html", cwd=cwd,
        env={**environment, "FACTS_DB": str(db), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


def channels_section(report: str) -> str:
    return report.split("Use per channel")[1].split("\n\n")[0]


async def test_review_names_channels_with_the_bots_token(slack, log_db, tmp_path):
    slack.channels[PRESS] = {"name": "press-office"}
    slack.channels[GONE] = None
    code, out, err = await review(log_db, tmp_path, SLACK_BOT_TOKEN="xoxb-test",
                                  SLACK_API_URL=slack.api_url)
    assert code == 0, err
    shown = channels_section(out)
    assert "#press-office" in shown and PRESS not in shown
    assert GONE in shown  # could not be named: its id, and no error
    assert "Traceback" not in err and "channel_not_found" not in out + err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "#press-office" in page and f">{PRESS}<" not in page
    assert sorted(lookups(slack)) == sorted([PRESS, GONE])


async def test_review_without_a_token_shows_ids_and_says_why(slack, log_db, tmp_path):
    code, out, err = await review(log_db, tmp_path)
    assert code == 0, err
    assert PRESS in channels_section(out) and "#press-office" not in out
    assert "SLACK_BOT_TOKEN" in err
    assert lookups(slack) == []
