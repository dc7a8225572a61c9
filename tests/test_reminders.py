"""Review reminders in fake time: a week before the review date and on the day, exactly once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.content import load_snapshot
from bot.content.currency import Approval, Currency
from bot.service.clock import FakeClock
from test_alerts import local, posts, running_bot

PLAN = "ice-secure-communities-2009-04"
OWNER = "U0OWNER01"


def plan_with_owner(knowledge_copy: Path, owner: str | None = OWNER):
    document = knowledge_copy / PLAN / "document.yaml"
    text = document.read_text()
    if owner:
        text = text.replace("  review_by:", f"  owner: {owner}\n  review_by:")
    document.write_text(text)
    return load_snapshot(knowledge_copy)


def said(call) -> str:
    return call.params["blocks"][0]["text"]["text"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "facts.db"


async def test_the_owner_hears_a_week_before_and_on_the_day_once_each(slack, db, knowledge_copy):
    snapshot = plan_with_owner(knowledge_copy)
    clock = FakeClock(local(7, 14))
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        await clock.run_until(local(7, 15, 6, 59))
        assert posts(slack) == []
        await clock.run_until(local(7, 15, 12))
        [week] = posts(slack)
        await clock.run_until(local(7, 21, 23))
        assert len(posts(slack)) == 1
        await clock.run_until(local(7, 31))
        statuses = [s.key for s in store.list_alerts()]
    week, day = posts(slack)
    assert week.params["channel"] == OWNER and day.params["channel"] == OWNER
    assert "Review due in 7 days" in said(week) and "by 2009-07-22" in said(week)
    assert "Review due today" in said(day) and f"/facts approve {PLAN}" in said(day)
    assert "28 approved responses were last approved on 2009-04-23" in said(day)
    assert statuses == [f"review:{PLAN}:2009-07-22:week-before",
                        f"review:{PLAN}:2009-07-22:on-the-day"]


async def test_restarts_and_a_second_copy_post_nothing_twice(slack, db, knowledge_copy):
    snapshot = plan_with_owner(knowledge_copy)
    clock = FakeClock(local(7, 15, 6))
    async with running_bot(db, slack, clock, lambda: snapshot, owner="copy-1"):
        await clock.run_until(local(7, 15, 12))
    async with (running_bot(db, slack, clock, lambda: snapshot, owner="copy-2"),
                running_bot(db, slack, clock, lambda: snapshot, owner="copy-3")):
        await clock.run_until(local(7, 23), sleepers=2)
    assert [p.params["channel"] for p in posts(slack)] == [OWNER, OWNER]


async def test_without_an_owner_the_alert_channel_hears(slack, db, knowledge_copy):
    snapshot = plan_with_owner(knowledge_copy, owner=None)
    clock = FakeClock(local(7, 22, 6))
    async with running_bot(db, slack, clock, lambda: snapshot):
        await clock.run_until(local(7, 22, 12))
    [day] = posts(slack)
    assert day.params["channel"] == "#press-office" and "Review due today" in said(day)


async def test_a_re_approval_moves_the_reminders_to_the_new_date(slack, db, knowledge_copy):
    snapshot = plan_with_owner(knowledge_copy)
    clock = FakeClock(local(7, 15, 6))
    currency = Currency()

    def current() -> Currency:
        return currency
    async with running_bot(db, slack, clock, lambda: snapshot, currency=current):
        await clock.run_until(local(7, 16, 12))
        currency = Currency.of([Approval(PLAN, dt.date(2009, 7, 16), dt.date(2009, 10, 14))])
        await clock.run_until(local(10, 15), sleepers=1)
    days = [(p.params["channel"], said(p).split(":")[0]) for p in posts(slack)]
    assert days == [(OWNER, "Review due in 7 days")] * 2 + [(OWNER, "Review due today")]
    assert "by 2009-10-14" in said(posts(slack)[-1])
