# ruff: noqa: F811  (pytest passes imported fixtures by name)
"""Alerts and `/facts events` say only what the plan says about when.

An action the plan gives no date for is never "today's": it is listed under its
own heading. A date we resolved against the plan's own words says so. Read as
the press office reads it: `alerts preview`, the posts in the fake Slack over a
fake events week, and `/facts events` through signed requests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.alerts.sender import AlertScheduler, AlertSender
from bot.content import check_knowledge, load_snapshot
from bot.service.clock import FakeClock
from bot.service.server import start_service
from bot.slack.api import slack_client
from bot.store import open_store
from conftest import TODAY
from test_slack_app import Harness, all_text, settings_for

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
NEW_YORK = ZoneInfo("America/New_York")
PLAN = "ice-secure-communities-2009-04"
TODAY_HEADING = "Our planned actions today"
UNDATED_HEADING = "This week, no date given"
NO_DATE = ["National-level interviews with A/S Morton",
           "PAOs coordinate messaging with sheriffs' press officers"]
WEB_SITE = '"Secure Communities: Get the Facts" posted on ice.gov'
SUNDAY_NOTE = "the plan says Monday, April 26; April 26, 2009 was a Sunday"


def local(month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2009, month, day, hour, tzinfo=NEW_YORK)


def preview(day: str, knowledge: Path | None = None) -> str:
    extra = ["--knowledge", str(knowledge)] if knowledge else []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTS_", "SLACK_"))}
    done = subprocess.run([FACTS_BOT, "alerts", "preview", "--date", day, *extra],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def part(text: str, heading: str) -> str:
    """The lines under `heading` in plain text, up to the next blank line ('' if absent)."""
    lines = text.splitlines()
    if heading not in lines:
        return ""
    start = lines.index(heading) + 1
    end = next((n for n in range(start, len(lines)) if not lines[n].strip()), len(lines))
    return "\n".join(lines[start:end])


def block_part(blocks: list[dict], heading: str) -> str:
    """The section of a posted alert that opens with `heading` in bold ('' if none)."""
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section"
                     and b["text"]["text"].startswith(f"*{heading}*"))


def test_preview_lists_undated_actions_under_their_own_heading_not_today():
    for day in ("2009-04-26", "2009-04-28", "2009-04-30"):
        text = preview(day)
        today, undated = part(text, TODAY_HEADING), part(text, UNDATED_HEADING)
        for title in NO_DATE:
            assert title not in today, f"{day}: {title} listed as today's"
            assert title in undated, f"{day}: {title} not under {UNDATED_HEADING!r}"
        assert "Owner: Regional PAOs" in undated and "Spokespeople: A/S Morton" in undated
    assert "No planned actions today." in part(preview("2009-04-28"), TODAY_HEADING)


def test_preview_says_when_the_plans_weekday_does_not_match_its_date():
    sunday = part(preview("2009-04-26"), TODAY_HEADING)
    assert WEB_SITE in sunday
    assert f"Date: {SUNDAY_NOTE}" in sunday
    monday = part(preview("2009-04-27"), TODAY_HEADING)
    assert ("Date: the plan says Monday, April 23; April 23, 2009 was a Thursday; "
            "listed for Monday, April 27, 2009") in monday
    assert "BBC's \"The World\" interview request\n    Owner: OPA" in monday  # no false note


async def test_posted_alerts_keep_undated_actions_out_of_today_all_week(slack, tmp_path,
                                                                       snapshot):
    clock = FakeClock(local(4, 24))
    store = open_store(tmp_path / "facts.db")
    sender = AlertSender(store, slack_client("xoxb-test", slack.api_url), clock, "bot-a")
    scheduler = AlertScheduler(sender, lambda: snapshot, clock)
    try:
        for day in range(25, 31):
            await scheduler.tick(local(4, day, 7).astimezone(dt.UTC))
    finally:
        await store.close()
    posts = slack.calls("chat.postMessage", ok=True)
    assert len(posts) == 6
    for post in posts:
        blocks, fallback = post.params["blocks"], post.params["text"]
        today, undated = block_part(blocks, TODAY_HEADING), block_part(blocks, UNDATED_HEADING)
        for title in NO_DATE:
            assert title not in today
            assert title in undated
            assert title in part(fallback, UNDATED_HEADING)
            assert title not in part(fallback, TODAY_HEADING)
    sunday = posts[1]
    assert WEB_SITE in block_part(sunday.params["blocks"], TODAY_HEADING)
    assert SUNDAY_NOTE in block_part(sunday.params["blocks"], TODAY_HEADING)
    assert SUNDAY_NOTE in sunday.params["text"]


@pytest.fixture
async def bot_on_sunday(slack, tmp_path):
    """The bot at noon on Sunday, April 26, 2009 in Washington."""
    clock = FakeClock(local(4, 26, 12))
    service = await start_service(settings_for(slack, tmp_path), clock)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_facts_events_lists_undated_actions_apart_and_notes_the_wrong_weekday(
        bot_on_sunday):
    text = all_text(await bot_on_sunday.ask("events"))
    today = text.split("*Today*")[1].split(f"*{UNDATED_HEADING}*")[0]
    undated = text.split(f"*{UNDATED_HEADING}*")[1].split("*Coming up*")[0]
    assert "Get the Facts" in today and SUNDAY_NOTE in today
    for title in NO_DATE:
        assert title not in today
        assert title in undated
    assert "no date in the plan" in undated


# ---------------------------------------------------------------- any plan, not this one


def _edit(root: Path, old: str, new: str, name: str = "outreach.yaml") -> None:
    path = root / PLAN / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_any_undated_item_is_listed_apart_and_an_undated_event_makes_no_event_day(
        knowledge_copy):
    # The BBC request loses its day ("next week" only), and a second NGO event with no
    # date is expected the week after: neither may be listed as a day's.
    _edit(knowledge_copy, '      as_written: "Monday afternoon"\n      date: 2009-04-27\n',
          '      undated: true\n      as_written: "next week"\n      date: 2009-04-26\n'
          '      end: 2009-04-30\n')
    ngo = load_snapshot(knowledge_copy).by_id["bg-ngo-events"].text
    extra = knowledge_copy / PLAN / "extra.yaml"
    extra.write_text(
        f"entries:\n  - id: event-later\n    document: {PLAN}\n    kind: event\n"
        "    title: More NGO events, no date\n    section: Background\n"
        f"    text: {json.dumps(ngo)}\n    schedule:\n      undated: true\n"
        "      date: 2009-05-04\n      end: 2009-05-08\n      owner: NGOs\n")
    monday = preview("2009-04-27", knowledge_copy)
    undated = part(monday, UNDATED_HEADING)
    assert "BBC's \"The World\" interview request" in undated
    assert "Date: none in the plan, which says “next week”" in undated
    assert "BBC" not in part(monday, TODAY_HEADING)
    for day in ("2009-05-03", "2009-05-04", "2009-05-08"):
        assert preview(day, knowledge_copy).strip() == f"Nothing to post on {day}."


def _problems(root: Path) -> tuple[list[str], list[str]]:
    snapshot, problems = check_knowledge(root, TODAY)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert (snapshot is None) == bool(errors)
    return errors, [str(p) for p in problems if p.severity == "warning"]


@pytest.mark.parametrize(("schedule", "expected"), [
    ('      undated: true\n      as_written: "Monday afternoon"\n',
     "'Monday afternoon' names a day, but the schedule says undated: true"),
    ("      undated: yes please\n", ".undated: must be true or false, not str 'yes please'"),
    ("", ".schedule.as_written: missing required field (or `undated: true`"),
])
def test_a_schedule_is_dated_or_undated_never_both(knowledge_copy, schedule, expected):
    _edit(knowledge_copy, '      as_written: "Monday afternoon"\n', schedule)
    errors, _ = _problems(knowledge_copy)
    assert any(expected in e and "outreach.yaml:" in e and "action-bbc-the-world" in e
               for e in errors), errors


def test_written_words_that_name_no_day_are_a_warning_on_a_dated_schedule(knowledge_copy):
    _edit(knowledge_copy, '      as_written: "Monday afternoon"\n',
          '      as_written: "early next week"\n')
    errors, warnings = _problems(knowledge_copy)
    assert errors == []
    assert any("action-bbc-the-world.schedule.as_written: 'early next week' names no day"
               in w and "undated: true" in w for w in warnings), warnings
