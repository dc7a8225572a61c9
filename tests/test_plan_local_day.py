"""An entry's `effective` and `expires` days are the plan's own days, in its time zone.

They were judged against the UTC date: at 01:00 UTC on April 28 (21:00 on
April 27 in New York, the plan's zone) an entry embargoed until the 28th was
served as approved, and one approved to the 27th was withdrawn hours before
its last day ended; a plan east of UTC (Auckland) served expired words for
up to 13 hours. Each way approved words leave the bot is asked here at
instants either side of the plan's local midnight, from the user's seat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from bot.alerts.sender import AlertScheduler, AlertSender
from bot.content import load_snapshot
from bot.service.clock import FakeClock
from bot.service.server import start_service
from bot.slack.api import slack_client
from bot.slack.render import escape
from bot.store import open_store
from test_alerts import posts, shown
from test_cli import run
from test_slack_app import Harness, all_text, button_values, settings_for
from test_withdrawn import (
    DUI,
    DUI_TITLE,
    EXPIRY,
    PLAN,
    STARTS,
    TRANSPARENCY,
    date_plan,
    expire_entry,
    shows_entry,
)

# 01:00 UTC on the 28th is 21:00 on the 27th in New York (EDT, UTC-4); 05:00 UTC is 01:00.
NEW_YORK_EVENING_OF_27 = dt.datetime(2009, 4, 28, 1, tzinfo=dt.UTC)
NEW_YORK_NIGHT_OF_28 = dt.datetime(2009, 4, 28, 5, tzinfo=dt.UTC)
# Auckland is UTC+12 in late April (NZST): 11:00 UTC on the 27th is 23:00 on the 27th there,
# 13:00 UTC on the 27th is already 01:00 on the 28th.
AUCKLAND_NIGHT_OF_27 = dt.datetime(2009, 4, 27, 11, tzinfo=dt.UTC)
AUCKLAND_NIGHT_OF_28 = dt.datetime(2009, 4, 27, 13, tzinfo=dt.UTC)


def move_plan_to(knowledge: Path, zone: str) -> None:
    path = knowledge / PLAN / "document.yaml"
    text = path.read_text()
    assert "  timezone: America/New_York\n" in text
    path.write_text(text.replace("  timezone: America/New_York\n", f"  timezone: {zone}\n", 1))


async def started(slack, tmp_path, knowledge: Path, at: dt.datetime):
    """The bot over `knowledge` with the DUI point approved to EXPIRY and the
    transparency point from STARTS, the clock at `at`."""
    date_plan(knowledge, "2009-04-01", "2009-05-31")
    expire_entry(knowledge, "talking_points.yaml", DUI, EXPIRY)
    expire_entry(knowledge, "talking_points.yaml", TRANSPARENCY, STARTS, "effective")
    clock = FakeClock(at)
    service = await start_service(settings_for(slack, tmp_path, knowledge_dir=knowledge), clock)
    return service, clock


@pytest.fixture
async def new_york_bot(slack, tmp_path, knowledge_copy):
    service, clock = await started(slack, tmp_path, knowledge_copy, NEW_YORK_EVENING_OF_27)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db"), clock
    await service.stop()


@pytest.fixture
async def auckland_bot(slack, tmp_path, knowledge_copy):
    move_plan_to(knowledge_copy, "Pacific/Auckland")
    service, clock = await started(slack, tmp_path, knowledge_copy, AUCKLAND_NIGHT_OF_27)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db"), clock
    await service.stop()


async def served(bot: Harness, entry_id: str, title: str, text: str) -> bool:
    """Is the entry the approved answer to its own title, shareable?"""
    body = await bot.ask(title)
    shares = [v["entry"] for v in button_values(body, "facts_share")]
    answered = escape(text) in all_text(body) and shares[:1] == [entry_id]
    assert answered or not shows_entry(body, entry_id, text)  # never half-offered
    return answered


async def test_at_nine_in_the_evening_in_new_york_it_is_still_the_plans_27th(
        new_york_bot, snapshot):
    bot, clock = new_york_bot
    dui, transparency = snapshot.by_id[DUI], snapshot.by_id[TRANSPARENCY]
    assert await served(bot, DUI, DUI_TITLE, dui.text)  # its last day, in New York
    assert not await served(bot, TRANSPARENCY, transparency.title, transparency.text)
    shown = await bot.ask(f"show {TRANSPARENCY}")
    assert f"not approved until {STARTS} and must not be used yet" in all_text(shown)
    assert button_values(shown, "facts_share") == []
    listed = all_text(await bot.ask("list talking_point"))
    assert f"`{DUI}` Talking point: {escape(DUI_TITLE)}\n" in listed + "\n"
    checked = all_text(await bot.ask(f"check {dui.text}"))
    assert "every sentence is approved, word for word" in checked
    [share] = button_values(await bot.ask(DUI_TITLE), "facts_share")

    clock.set(NEW_YORK_NIGHT_OF_28)  # the same UTC day; past midnight in New York
    assert not await served(bot, DUI, DUI_TITLE, dui.text)
    assert await served(bot, TRANSPARENCY, transparency.title, transparency.text)
    refused = await bot.click("facts_share", share, user_id="USHARER1")
    assert "no longer approved" in all_text(refused) and bot.audits("share") == []
    redraw = await bot.click("facts_show", share)
    assert "no longer approved" in all_text(redraw)
    shown = await bot.ask(f"show {DUI}")
    assert "has expired and must not be used" in all_text(shown)
    listed = all_text(await bot.ask("list talking_point"))
    assert f"`{DUI}` Talking point: {escape(DUI_TITLE)} _(expired, not served)_" in listed
    checked = all_text(await bot.ask(f"check {dui.text}"))
    assert "every sentence is approved" not in checked and "2 not approved" in checked


async def test_in_auckland_the_plans_day_turns_half_a_day_before_utcs(auckland_bot, snapshot):
    bot, clock = auckland_bot
    dui, transparency = snapshot.by_id[DUI], snapshot.by_id[TRANSPARENCY]
    assert await served(bot, DUI, DUI_TITLE, dui.text)
    assert not await served(bot, TRANSPARENCY, transparency.title, transparency.text)
    [share] = button_values(await bot.ask(DUI_TITLE), "facts_share")

    clock.set(AUCKLAND_NIGHT_OF_28)  # still the 27th in UTC; the 28th in Auckland
    assert not await served(bot, DUI, DUI_TITLE, dui.text)
    assert await served(bot, TRANSPARENCY, transparency.title, transparency.text)
    refused = await bot.click("facts_share", share, user_id="USHARER1")
    assert "no longer approved" in all_text(refused) and bot.audits("share") == []
    redraw = await bot.click("facts_show", share)
    assert "no longer approved" in all_text(redraw)
    shown = await bot.ask(f"show {DUI}")
    assert "has expired and must not be used" in all_text(shown)


def test_ask_date_on_the_command_line_is_that_calendar_day_in_the_plan(knowledge_copy):
    """`--date` is a day a person names: the plan's day, whatever its time zone."""
    move_plan_to(knowledge_copy, "Pacific/Auckland")
    expire_entry(knowledge_copy, "talking_points.yaml", DUI, EXPIRY)
    dui = ["--knowledge", str(knowledge_copy), DUI_TITLE]
    on_the_day = run("ask", "--date", str(EXPIRY), *dui).stdout
    assert on_the_day.startswith("Approved response:") and f"[{DUI}, score" in on_the_day
    after = run("ask", "--date", str(STARTS), *dui).stdout
    assert after.startswith("No approved response") and DUI not in after


async def test_an_alert_posted_in_another_zone_keeps_to_the_plans_day(
        slack, tmp_path, knowledge_copy):
    """A New York plan's alerts posted at 07:00 in Auckland go out at 15:00 the day
    before in New York: a sound bite embargoed until the plan's 28th is not in the
    Auckland 28th's post (still the 27th for the plan), and is in the 29th's."""
    path = knowledge_copy / PLAN / "document.yaml"
    text = path.read_text()
    assert '    time: "07:00"\n' in text
    path.write_text(text.replace('    time: "07:00"\n',
                                 '    time: "07:00"\n    timezone: Pacific/Auckland\n', 1))
    expire_entry(knowledge_copy, "sound_bites.yaml", "sb-color-blind", STARTS, "effective")
    snapshot = load_snapshot(knowledge_copy)
    bite = escape(snapshot.by_id["sb-color-blind"].display_text)
    clock = FakeClock(dt.datetime(2009, 4, 27, 12, tzinfo=dt.UTC))  # 00:00 on the 28th there
    store = open_store(str(tmp_path / "facts.db"))
    sender = AlertSender(store, slack_client("xoxb-test", slack.api_url), clock, "bot-a")
    stop = asyncio.Event()
    task = asyncio.create_task(AlertScheduler(sender, lambda: snapshot, clock).run(stop))
    try:
        await clock.run_until(dt.datetime(2009, 4, 28, 20, tzinfo=dt.UTC))  # past the 29th's
    finally:
        stop.set()
        await task
        await store.close()
    tuesday, wednesday = posts(slack)
    assert "Tuesday, April 28" in shown(tuesday) and "Wednesday, April 29" in shown(wednesday)
    assert bite not in shown(tuesday) and bite not in tuesday.params["text"]
    assert bite in shown(wednesday)
