"""Event-day alerts, end to end: fake time, the fake Slack, the real client and database.

A whole events week runs in fake time; every test checks what the press office
would see in its channel: which posts, where, at what local time, saying what,
and never the same alert twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.plan import (
    Alert,
    KeyMessage,
    ScheduledItem,
    alert_message,
    alert_plan,
    describe_status,
    escape,
    upcoming_alerts,
)
from bot.alerts.sender import AlertScheduler, AlertSender, recent_statuses
from bot.content import Snapshot, load_snapshot
from bot.service.clock import FakeClock
from bot.service.settings import load_settings
from bot.slack.api import slack_client
from bot.store import ALERT_FAILED, ALERT_OK, LogStore, open_store
from fakeslack import ApiCall, FakeSlack

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
NEW_YORK = ZoneInfo("America/New_York")
PLAN = "ice-secure-communities-2009-04"
CHANNEL = "#press-office"
CITIES = ["San Bernardino, Calif", "Miami", "Morristown, N.J.", "New York City", "Atlanta",
          "Washington, DC", "Houston, Texas", "Raleigh, N.C."]
WEEK = ["2009-04-25", "2009-04-26", "2009-04-27", "2009-04-28", "2009-04-29", "2009-04-30"]


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2009, month, day, hour, minute, tzinfo=NEW_YORK)


def key(day: str) -> str:
    kind = "heads-up" if day == "2009-04-25" else "event-day"
    return f"{PLAN}:{day}:{kind}"


def posts(slack: FakeSlack) -> list[ApiCall]:
    return slack.calls("chat.postMessage", ok=True)


def shown(call: ApiCall) -> str:
    """Everything a reader sees in the posted blocks, one text."""
    texts = []
    for block in call.params["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element["text"] for element in block.get("elements", [])]
    return "\n".join(texts)


def headline(call: ApiCall) -> str:
    return call.params["blocks"][0]["text"]["text"]


def keys_posted(store: LogStore) -> list[str]:
    return [s.key for s in store.list_alerts() if s.state == ALERT_OK]


@contextlib.asynccontextmanager
async def running_bot(db: Path, slack: FakeSlack, clock: FakeClock,
                      snapshot: Callable[[], Snapshot], owner: str = "bot-a",
                      **options) -> AsyncIterator[LogStore]:
    """One running copy of the bot's alert loop, with its own store and Slack client."""
    store = open_store(db)
    sender = AlertSender(store, slack_client("xoxb-test", slack.api_url), clock, owner)
    scheduler = AlertScheduler(sender, snapshot, clock, **options)
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        yield store
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "facts.db"


async def test_event_week_posts_a_heads_up_and_each_event_day_once_at_seven(
        slack, db, snapshot):
    clock = FakeClock(local(4, 24))
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        await clock.run_until(local(5, 1, 23, 59))
        statuses = {s.key: s for s in store.list_alerts()}

    assert [headline(p) for p in posts(slack)] == [
        "Heads-up: events tomorrow, Sunday, April 26, 2009",
        "Event day: Sunday, April 26, 2009",
        "Event day: Monday, April 27, 2009",
        "Event day: Tuesday, April 28, 2009",
        "Event day: Wednesday, April 29, 2009",
        "Event day: Thursday, April 30, 2009",
    ]
    assert {p.params["channel"] for p in posts(slack)} == {CHANNEL}
    assert slack.calls("chat.postMessage", ok=False) == []
    assert sorted(statuses) == [key(day) for day in WEEK]
    for day in WEEK:
        status = statuses[key(day)]
        seven = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(7), NEW_YORK)
        assert (status.state, status.attempts) == (ALERT_OK, 1)
        assert status.claimed_at == seven.astimezone(dt.UTC)
        assert "late" not in status.detail
    assert all("late" not in shown(p) for p in posts(slack))


async def test_posts_say_where_events_are_what_we_do_and_the_sound_bites_verbatim(
        slack, db, snapshot):
    clock = FakeClock(local(4, 24))
    async with running_bot(db, slack, clock, lambda: snapshot):
        await clock.run_until(local(4, 27, 12))
    heads_up, _, monday = posts(slack)
    sound_bites = [e for e in snapshot.entries if e.kind == "sound_bite"]
    assert len(sound_bites) == 3

    for call in (heads_up, monday):
        blocks, text = shown(call), call.params["text"]
        for city in CITIES:
            assert city in blocks and city in text
        for bite in sound_bites:
            assert escape(bite.display_text) in blocks
            assert escape(bite.display_text) in text
        assert "/facts" in blocks and "/facts" in text
        assert "Gillian Brigham, 202-732-4217" in blocks
        assert len(call.params["blocks"]) <= 50
        assert all(len(b["text"]["text"]) <= 3000 for b in call.params["blocks"]
                   if b["type"] == "section")

    assert "Events tomorrow" in shown(heads_up)
    assert '"Secure Communities: Get the Facts" op-ed signed by A/S Morton' in shown(heads_up)
    assert "Owner: OPA" in shown(heads_up) and "Spokespeople: A/S Morton" in shown(heads_up)

    monday_text = shown(monday)
    assert "Events today" in monday_text
    assert "BBC's \"The World\" interview request" in monday_text
    assert "Spokespeople: A/S Morton, Dave Venturella" in monday_text
    assert "Owner: Regional PAOs" in monday_text and "Spokespeople: FODs" in monday_text
    assert "op-ed" not in monday_text  # that was Saturday's action


async def test_a_restarted_bot_posts_nothing_twice(slack, db, snapshot):
    clock = FakeClock(local(4, 24))
    async with running_bot(db, slack, clock, lambda: snapshot):
        await clock.run_until(local(4, 27, 12))
    assert len(posts(slack)) == 3

    async with running_bot(db, slack, clock, lambda: snapshot, owner="bot-restarted") as store:
        await clock.run_until(local(4, 27, 23))
        assert len(posts(slack)) == 3
        await clock.run_until(local(4, 28, 8))
        assert keys_posted(store) == [key(day) for day in WEEK[:4]]
    assert len(posts(slack)) == 4


async def test_down_at_seven_and_back_the_same_afternoon_posts_marked_late(
        slack, db, snapshot):
    clock = FakeClock(local(4, 24))
    async with running_bot(db, slack, clock, lambda: snapshot):
        await clock.run_until(local(4, 26, 12))
    clock.set(local(4, 27, 15))  # the bot was down at 07:00 on Monday
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        await clock.run_until(local(4, 27, 16))
        monday = store.alert_status(key("2009-04-27"))

    *_, late_post = posts(slack)
    assert headline(late_post) == "Event day: Monday, April 27, 2009"
    assert "Posted late: this alert was due at 07:00 EDT." in shown(late_post)
    assert monday.state == ALERT_OK and "late" in monday.detail
    assert monday.claimed_at == local(4, 27, 15).astimezone(dt.UTC)


async def test_a_day_missed_entirely_is_never_posted(slack, db, snapshot):
    clock = FakeClock(local(4, 24))
    async with running_bot(db, slack, clock, lambda: snapshot):
        await clock.run_until(local(4, 26, 12))
    clock.set(local(4, 28, 6, 30))  # down all of Monday
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        await clock.run_until(local(5, 1, 12))
        assert store.alert_status(key("2009-04-27")) is None
        tuesday = store.alert_status(key("2009-04-28"))

    assert [headline(p)[-14:] for p in posts(slack)] == [
        "April 26, 2009", "April 26, 2009", "April 28, 2009", "April 29, 2009",
        "April 30, 2009"]
    assert tuesday.claimed_at == local(4, 28, 7).astimezone(dt.UTC)
    assert "late" not in tuesday.detail


async def test_two_copies_racing_on_one_database_post_each_alert_once(slack, db, snapshot):
    clock = FakeClock(local(4, 24))
    async with (running_bot(db, slack, clock, lambda: snapshot, owner="copy-1") as store,
                running_bot(db, slack, clock, lambda: snapshot, owner="copy-2")):
        await clock.run_until(local(5, 1, 12), sleepers=2)
        statuses = store.list_alerts()

    assert len(posts(slack)) == len(WEEK)
    assert len({headline(p) for p in posts(slack)}) == len(WEEK)
    assert [s.key for s in statuses] == [key(day) for day in WEEK]
    assert all(s.state == ALERT_OK and s.attempts == 1 for s in statuses)


async def test_many_senders_at_the_same_instant_post_once(slack, db, snapshot):
    plan = alert_plan(snapshot)
    clock = FakeClock(local(4, 27, 7))
    stores = [open_store(db) for _ in range(4)]
    senders = [AlertSender(s, slack_client("xoxb-test", slack.api_url), clock, f"copy-{n}")
               for n, s in enumerate(stores)]
    try:
        outcomes = await asyncio.gather(*(s.send_due(plan) for s in senders))
    finally:
        for store in stores:
            await store.close()
    assert sorted(o.result for (o,) in outcomes).count("posted") == 1
    assert [headline(p) for p in posts(slack)] == ["Event day: Monday, April 27, 2009"]


async def test_rate_limited_post_waits_and_posts_once(slack, db, snapshot):
    slack.rate_limit_next("chat.postMessage", retry_after=0)
    clock = FakeClock(local(4, 25, 6))
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        await clock.run_until(local(4, 25, 12))
        status = store.alert_status(key("2009-04-25"))
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
    assert len(posts(slack)) == 1
    assert (status.state, status.attempts) == (ALERT_OK, 1)


def _not_in_channel(slack: FakeSlack, broken: bool) -> None:
    if broken:
        slack.not_in_channel.add(CHANNEL)
    else:
        slack.not_in_channel.clear()


def _channel_not_found(slack: FakeSlack, broken: bool) -> None:
    if broken:
        slack.handlers["chat.postMessage"] = lambda params, token: {
            "ok": False, "error": "channel_not_found"}
    else:
        slack.handlers.pop("chat.postMessage")


@pytest.mark.parametrize("break_channel", [_not_in_channel, _channel_not_found])
async def test_channel_errors_are_recorded_shown_to_admins_and_retried_that_day(
        slack, db, snapshot, caplog, break_channel):
    error = break_channel.__name__.lstrip("_")
    break_channel(slack, True)
    clock = FakeClock(local(4, 25, 6))
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        with caplog.at_level(logging.ERROR, logger="facts_bot.alerts"):
            await clock.run_until(local(4, 25, 8))
        assert posts(slack) == []
        failures = recent_statuses(store, local(4, 25).astimezone(dt.UTC), failed_only=True)
        assert [s.key for s in failures] == [key("2009-04-25")]
        assert failures[0].state == ALERT_FAILED and failures[0].attempts > 1
        assert error in describe_status(failures[0])
        assert f"{key('2009-04-25')} NOT posted to {CHANNEL}: {error}" in caplog.text

        break_channel(slack, False)  # someone adds the bot / fixes the channel
        await clock.run_until(local(4, 25, 23))
        status = store.alert_status(key("2009-04-25"))

    assert len(posts(slack)) == 1
    assert headline(posts(slack)[0]).startswith("Heads-up")
    assert status.state == ALERT_OK


async def test_reload_changes_time_and_channel_without_restart(
        slack, db, snapshot, knowledge_copy):
    current = {"snapshot": snapshot}
    document = knowledge_copy / PLAN / "document.yaml"
    document.write_text(document.read_text()
                        .replace('time: "07:00"', 'time: "09:30"')
                        .replace(CHANNEL, "#comms-duty"))
    clock = FakeClock(local(4, 24))
    async with running_bot(db, slack, clock, lambda: current["snapshot"]) as store:
        await clock.run_until(local(4, 26, 8))
        current["snapshot"] = load_snapshot(knowledge_copy)  # what a reload does
        await clock.run_until(local(4, 27, 12))
        monday = store.alert_status(key("2009-04-27"))

    assert [p.params["channel"] for p in posts(slack)] == [CHANNEL, CHANNEL, "#comms-duty"]
    assert monday.claimed_at == local(4, 27, 9, 30).astimezone(dt.UTC)
    assert "late" not in shown(posts(slack)[-1])


async def test_alert_channel_setting_overrides_the_plans_channel(slack, db, snapshot):
    settings = load_settings({"FACTS_ALERT_CHANNEL": "C0ALERTS"})
    clock = FakeClock(local(4, 25, 6))
    async with running_bot(db, slack, clock, lambda: snapshot,
                           channel_override=settings.alert_channel):
        await clock.run_until(local(4, 25, 8))
    assert [p.params["channel"] for p in posts(slack)] == ["C0ALERTS"]


def test_alert_time_is_local_across_the_daylight_saving_change(knowledge_copy):
    outreach = knowledge_copy / PLAN / "outreach.yaml"
    outreach.write_text(outreach.read_text().replace(
        "date: 2009-04-26\n      end: 2009-04-30", "date: 2009-03-07\n      end: 2009-03-09"))
    plan = alert_plan(load_snapshot(knowledge_copy))
    due = {a.local_date.isoformat(): a.due_at.strftime("%H:%M") for a in plan
           if a.local_date.month == 3}
    # US clocks went forward on Sunday, March 8, 2009: 07:00 EST is 12:00 UTC, EDT 11:00
    assert due == {"2009-03-06": "12:00", "2009-03-07": "12:00", "2009-03-08": "11:00",
                   "2009-03-09": "11:00"}


def test_events_listing_shows_today_and_the_coming_days(snapshot):
    plan = alert_plan(snapshot)
    late_sunday = local(4, 26, 23, 30).astimezone(dt.UTC)  # already Monday in UTC
    assert [a.key for a in upcoming_alerts(plan, late_sunday, days=2)] == [
        key("2009-04-26"), key("2009-04-27"), key("2009-04-28")]
    assert upcoming_alerts(plan, local(5, 1, 7).astimezone(dt.UTC)) == []


def test_long_approved_text_is_split_to_fit_slack_and_escaped():
    long_text = " ".join(f"Point {n} & <more>." for n in range(900))
    alert = Alert(
        key="p:2009-04-27:event-day", document_id="p", plan_title="Plan", kind="event_day",
        local_date=dt.date(2009, 4, 27), timezone="America/New_York", local_time=dt.time(7),
        due_at=dt.datetime(2009, 4, 27, 11, tzinfo=dt.UTC), channel="C1",
        events=(ScheduledItem("e", "Rally", cities=("A & B",)),), actions=(),
        key_messages=tuple(KeyMessage(f"k{n}", f"Bite {n}", long_text) for n in range(3)),
        contact="Press, 555")
    blocks, text = alert_message(alert)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(blocks) <= 50
    assert all(len(s) <= 3000 for s in sections)
    assert "A &amp; B" in sections[0] and "<" not in "".join(sections)
    assert "".join(sections).replace("\n", " ").count("Point 899 &amp; &lt;more&gt;.") == 3
    assert "No planned actions today." in text


def _environment(**extra: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("FACTS_", "SLACK_"))}
    return {**kept, **extra}


def test_preview_prints_the_days_post_or_says_there_is_nothing(snapshot):
    monday = subprocess.run([FACTS_BOT, "alerts", "preview", "--date", "2009-04-27"],
                            capture_output=True, text=True, env=_environment(), timeout=60)
    assert monday.returncode == 0, monday.stderr
    assert f"To {CHANNEL} at 07:00 EDT America/New_York" in monday.stdout
    assert "Event day: Monday, April 27, 2009" in monday.stdout
    assert all(city in monday.stdout for city in CITIES)
    assert "Spokespeople: A/S Morton, Dave Venturella" in monday.stdout
    for bite in (e for e in snapshot.entries if e.kind == "sound_bite"):
        assert bite.display_text in monday.stdout
    assert "/facts" in monday.stdout

    quiet = subprocess.run([FACTS_BOT, "alerts", "preview", "--date", "2009-05-01"],
                           capture_output=True, text=True, env=_environment(), timeout=60)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() == "Nothing to post on 2009-05-01."


async def test_send_from_cron_posts_once_however_often_it_runs(slack, db):
    environment = _environment(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url,
                               FACTS_DB=str(db))
    outputs = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            FACTS_BOT, "alerts", "send", "--now", "2009-04-27T11:05:00Z", env=environment,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        outputs.append(out.decode())

    assert f"{key('2009-04-27')}: posted to {CHANNEL}" in outputs[0]
    assert f"{key('2009-04-27')}: already posted, not again" in outputs[1]
    assert [headline(p) for p in posts(slack)] == ["Event day: Monday, April 27, 2009"]
    assert "late" not in shown(posts(slack)[0])


async def test_send_without_a_token_is_a_settings_error(db):
    process = await asyncio.create_subprocess_exec(
        FACTS_BOT, "alerts", "send", env=_environment(FACTS_DB=str(db)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "SLACK_BOT_TOKEN" in err.decode()
