"""Withdrawn language never reaches people: expiry set on one entry, end to end.

The tests elsewhere only ever expire a whole plan; here single entries carry
their own `expires`, and every way approved words leave the bot is checked on
the expiry day itself (still served) and the day after (never served): the
answer to a question, `/facts show`, *Show this* and *Share in channel*
buttons taken while the entry was still approved, and the morning alert's
"word for word" key messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

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
from test_slack_app import Harness, all_text, button_values, settings_for

PLAN = "ice-secure-communities-2009-04"
NEW_YORK = ZoneInfo("America/New_York")
EXPIRY = dt.date(2009, 4, 27)  # the last day tp-drug-dui-charges may be used
DUI = "tp-drug-dui-charges"
DUI_TITLE = "Most common charges are drugs, then serious traffic offenses (DUI)"
TRANSPARENCY = "tp-transparency"  # approved from the day after EXPIRY only
STARTS = EXPIRY + dt.timedelta(days=1)


def expire_entry(knowledge: Path, file_name: str, entry_id: str, day: dt.date,
                 field: str = "expires") -> None:
    """Give one entry (not its plan) an expiry (or, with `field`, a start) date."""
    path = knowledge / PLAN / file_name
    text = path.read_text()
    marker = f"  - id: {entry_id}\n"
    assert marker in text
    path.write_text(text.replace(marker, f"{marker}    {field}: {day.isoformat()}\n", 1))


def date_plan(knowledge: Path, effective: str, expires: str) -> None:
    """The whole plan's dates, wider than its entries' own: the narrower must win."""
    path = knowledge / PLAN / "document.yaml"
    text = path.read_text()
    assert "  date: 2009-04-23\n" in text
    path.write_text(text.replace("  date: 2009-04-23\n", f"  date: 2009-04-23\n"
                                 f"  effective: {effective}\n  expires: {expires}\n", 1))


def noon_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), dt.UTC)


@pytest.fixture
async def withdrawn_bot(slack, tmp_path, knowledge_copy):
    """The bot on the DUI talking point's expiry day, with a clock the test moves on.

    The plan itself runs from April 1 to May 31: the entry's own dates are narrower.
    """
    date_plan(knowledge_copy, "2009-04-01", "2009-05-31")
    expire_entry(knowledge_copy, "talking_points.yaml", DUI, EXPIRY)
    expire_entry(knowledge_copy, "talking_points.yaml", TRANSPARENCY, STARTS, "effective")
    clock = FakeClock(noon_utc(EXPIRY))
    service = await start_service(settings_for(slack, tmp_path, knowledge_dir=knowledge_copy),
                                  clock)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db"), clock
    await service.stop()


def shows_entry(body: dict, entry_id: str, text: str) -> bool:
    """Whether a reply shows this entry's words or offers it on any button."""
    offered = [v["entry"] for action in ("facts_show", "facts_share", "facts_helpful")
               for v in button_values(body, action)]
    return escape(text) in all_text(body) or entry_id in offered


async def test_an_entry_is_answered_on_its_expiry_day_and_never_after(withdrawn_bot, snapshot):
    bot, clock = withdrawn_bot
    text = snapshot.by_id[DUI].text
    on_the_day = await bot.ask(DUI_TITLE)
    assert escape(text) in all_text(on_the_day)
    assert button_values(on_the_day, "facts_share")[0]["entry"] == DUI
    clock.set(noon_utc(EXPIRY + dt.timedelta(days=1)))
    for query in (DUI_TITLE, "traffic offenses"):
        after = await bot.ask(query)
        assert not shows_entry(after, DUI, text), query
    assert [row.top_id for row in bot.queries()][1:] != [DUI, DUI]
    assert all(DUI not in row.shown_ids for row in bot.queries()[1:])


async def test_an_entry_is_not_answered_before_its_own_start_day(withdrawn_bot, snapshot):
    bot, clock = withdrawn_bot
    entry = snapshot.by_id[TRANSPARENCY]
    before = await bot.ask(entry.title)
    assert not shows_entry(before, TRANSPARENCY, entry.text)
    shown = await bot.ask(f"show {TRANSPARENCY}")
    assert f"not approved until {STARTS} and must not be used yet" in all_text(shown)
    assert "expired" not in all_text(shown) and button_values(shown, "facts_share") == []
    clock.set(noon_utc(STARTS))
    on_the_day = await bot.ask(entry.title)
    assert escape(entry.text) in all_text(on_the_day)
    assert button_values(on_the_day, "facts_share")[0]["entry"] == TRANSPARENCY


async def test_show_by_id_warns_once_the_entry_has_expired(withdrawn_bot, snapshot):
    bot, clock = withdrawn_bot
    on_the_day = await bot.ask(f"show {DUI}")
    assert "expired" not in all_text(on_the_day)
    assert button_values(on_the_day, "facts_share")
    clock.set(noon_utc(EXPIRY + dt.timedelta(days=1)))
    after = await bot.ask(f"show {DUI}")
    assert "has expired and must not be used" in all_text(after)
    assert after["blocks"][0]["text"]["text"].startswith(":warning:")  # before the words
    assert button_values(after, "facts_share") == []  # nothing to share it with
    listed = all_text(await bot.ask("list talking_point"))
    assert f"`{DUI}`" in listed and "_(expired, not served)_" in listed



async def test_the_notification_of_a_withdrawn_entry_warns_too(withdrawn_bot, snapshot):
    """The notification (and screen reader) text read the words bare, as if approved
    (probe S, finding S19): the warning was only in the blocks."""
    bot, clock = withdrawn_bot
    ahead = await bot.ask(f"show {TRANSPARENCY}")
    assert ahead["text"].startswith(f"Not approved until {STARTS}: must not be used yet.")
    clock.set(noon_utc(EXPIRY + dt.timedelta(days=1)))
    after = await bot.ask(f"show {DUI}")
    assert after["text"].startswith("Expired: must not be used.")
    assert escape(snapshot.by_id[DUI].text)[:40] in after["text"]


async def test_show_this_after_expiry_does_not_offer_the_expired_one_among_the_others(
        withdrawn_bot, snapshot):
    """*Show this* redraws the reply with the other close responses of the original
    question; one of them expired since was listed with its opening words (probe S23)."""
    bot, clock = withdrawn_bot
    body = await bot.ask("drugs")  # several fit: the DUI point is offered among others
    offered = [v for v in button_values(body, "facts_show") if v["entry"] != DUI]
    assert DUI in {v["entry"] for action in ("facts_show", "facts_share")
                   for v in button_values(body, action)} and offered
    clock.set(noon_utc(EXPIRY + dt.timedelta(days=1)))
    redraw = await bot.click("facts_show", offered[0])
    assert not shows_entry(redraw, DUI, snapshot.by_id[DUI].opening())


async def test_buttons_taken_before_expiry_refuse_after_it(withdrawn_bot, snapshot):
    bot, clock = withdrawn_bot
    body = await bot.ask(DUI_TITLE)
    [share] = button_values(body, "facts_share")
    assert share["entry"] == DUI
    clock.set(noon_utc(EXPIRY + dt.timedelta(days=1)))
    refused = await bot.click("facts_share", share, user_id="USHARER1")
    assert refused["response_type"] == "ephemeral"  # never posted in the channel
    assert "no longer approved" in all_text(refused) and "not shared" in all_text(refused)
    assert escape(snapshot.by_id[DUI].text) not in all_text(refused)
    assert bot.audits("share") == []
    show = dict(share)
    redraw = await bot.click("facts_show", show)
    assert "no longer approved" in all_text(redraw)
    assert escape(snapshot.by_id[DUI].text) not in all_text(redraw)
    assert redraw.get("replace_original") is not True  # the old answer is not redrawn


async def test_a_share_on_the_expiry_day_itself_is_posted(withdrawn_bot, snapshot):
    bot, _ = withdrawn_bot
    [share] = button_values(await bot.ask(DUI_TITLE), "facts_share")
    posted = await bot.click("facts_share", share, user_id="USHARER1")
    assert posted["response_type"] == "in_channel"
    assert escape(snapshot.by_id[DUI].text) in all_text(posted)


async def test_the_morning_alert_leaves_out_expired_sound_bites_and_actions(
        slack, tmp_path, knowledge_copy):
    """Key messages are posted "word for word": a withdrawn one must not be among them."""
    expire_entry(knowledge_copy, "sound_bites.yaml", "sb-fewer-murderers", EXPIRY
                 - dt.timedelta(days=1))
    expire_entry(knowledge_copy, "sound_bites.yaml", "sb-color-blind", EXPIRY)
    expire_entry(knowledge_copy, "outreach.yaml", "action-national-interviews", EXPIRY)
    expire_entry(knowledge_copy, "outreach.yaml", "action-bbc-the-world",
                 EXPIRY - dt.timedelta(days=1))
    snapshot = load_snapshot(knowledge_copy)
    clock = FakeClock(dt.datetime(2009, 4, 27, 0, 1, tzinfo=NEW_YORK))
    store = open_store(str(tmp_path / "facts.db"))
    sender = AlertSender(store, slack_client("xoxb-test", slack.api_url), clock, "bot-a")
    scheduler = AlertScheduler(sender, lambda: snapshot, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        await clock.run_until(dt.datetime(2009, 4, 28, 12, tzinfo=NEW_YORK))
    finally:
        stop.set()
        await task
        await store.close()
    monday, tuesday = posts(slack)
    assert "Monday, April 27" in shown(monday) and "Tuesday, April 28" in shown(tuesday)
    bites = {e.id: escape(e.display_text) for e in snapshot.entries if e.kind == "sound_bite"}
    assert bites["sb-fewer-murderers"] not in shown(monday)
    assert bites["sb-fewer-murderers"] not in monday.params["text"]
    assert bites["sb-color-blind"] in shown(monday)  # its expiry day: still approved
    assert bites["sb-color-blind"] not in shown(tuesday)
    assert bites["sb-color-blind"] not in tuesday.params["text"]
    assert bites["sb-information-sharing"] in shown(tuesday)
    assert "Regional PAOs reach out to local reporters" in shown(monday)  # dated, the 27th
    assert "The World" not in shown(monday)  # dated the 27th, but withdrawn the day before
    interviews = "National-level interviews with A/S Morton"  # Apr 26-30, approved to the 27th
    assert interviews in shown(monday) and interviews not in shown(tuesday)
    assert interviews not in tuesday.params["text"]


async def test_no_event_day_alert_once_the_event_itself_is_withdrawn(
        slack, tmp_path, knowledge_copy):
    """The week's events were approved to the 27th: the 28th gets no event-day post."""
    expire_entry(knowledge_copy, "outreach.yaml", "event-week", EXPIRY)
    snapshot = load_snapshot(knowledge_copy)
    clock = FakeClock(dt.datetime(2009, 4, 27, 0, 1, tzinfo=NEW_YORK))
    store = open_store(str(tmp_path / "facts.db"))
    sender = AlertSender(store, slack_client("xoxb-test", slack.api_url), clock, "bot-a")
    stop = asyncio.Event()
    task = asyncio.create_task(AlertScheduler(sender, lambda: snapshot, clock).run(stop))
    try:
        await clock.run_until(dt.datetime(2009, 4, 30, 12, tzinfo=NEW_YORK))
    finally:
        stop.set()
        await task
        await store.close()
    [monday] = posts(slack)
    assert "Monday, April 27" in shown(monday)
