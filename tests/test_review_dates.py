"""Current, due for review, re-approved: what press officers see, and what admins do about it."""

from __future__ import annotations

import datetime as dt
import json

import aiohttp
import pytest

from bot.alerts.plan import alert_plan, alerts_on, preview_text
from bot.cli import main
from bot.content import check_knowledge, load_snapshot
from bot.content.currency import Approval, Currency
from bot.service.clock import FakeClock, SystemClock
from bot.service.server import start_service
from test_slack_app import ADMIN, PLAN, Harness, all_text, button_values, settings_for

LABEL = "Not re-approved since 2009-04-23: check it is still current"
COLOR_BLIND = "color blind fingerprint databases"


@pytest.fixture
async def bot_2026(slack, tmp_path):
    """The bundled 2009 plan (review_by 2009-07-22) served today."""
    service = await start_service(settings_for(slack, tmp_path), SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_overdue_content_is_served_with_the_label_everywhere_it_shows(bot_2026):
    body = await bot_2026.ask(COLOR_BLIND)
    shown = all_text(body)
    assert "Fingerprint-matching databases don't lie" in shown
    assert LABEL in shown and LABEL in body["text"]  # the notification says it too
    [share] = button_values(body, "facts_share")
    shared = await bot_2026.click("facts_share", share)
    assert LABEL in all_text(shared)
    assert LABEL in all_text(await bot_2026.ask("show sb-color-blind"))


async def test_current_content_carries_no_label(slack, tmp_path):
    clock = FakeClock(dt.datetime(2009, 4, 27, 14, 0, tzinfo=dt.UTC))
    service = await start_service(settings_for(slack, tmp_path), clock)
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            shown = all_text(await harness.ask(COLOR_BLIND))
        assert "Fingerprint-matching databases don't lie" in shown
        assert "Not re-approved" not in shown
    finally:
        await service.stop()


async def test_an_admin_re_approves_a_plan_and_the_label_goes(bot_2026):
    refused = all_text(await bot_2026.ask(f"approve {PLAN}"))
    assert "for the communications team's admins" in refused
    assert LABEL in all_text(await bot_2026.ask(COLOR_BLIND))
    reply = all_text(await bot_2026.ask(f"approve {PLAN}", user_id=ADMIN))
    today = dt.date.today()
    until = today + dt.timedelta(days=90)
    assert f"Plan `{PLAN}` (28 entries) re-approved on {today}" in reply
    assert f"current until {until}" in reply
    assert "Not re-approved" not in all_text(await bot_2026.ask(COLOR_BLIND))
    [audit] = bot_2026.audits("approve")
    assert audit.user_id == ADMIN and audit.detail["target"] == PLAN
    assert audit.detail["until"] == until.isoformat() and audit.detail["entries"] == 28


async def test_approving_one_entry_leaves_the_rest_of_the_plan_labelled(bot_2026):
    reply = all_text(await bot_2026.ask("approve sb-color-blind", user_id=ADMIN))
    assert "Entry `sb-color-blind` re-approved" in reply
    assert "Not re-approved" not in all_text(await bot_2026.ask(COLOR_BLIND))
    assert LABEL in all_text(await bot_2026.ask("show tp-ice-mission"))


@pytest.mark.parametrize("argument, expected", [
    ("approve no-such-thing", "No plan or entry has the id `no-such-thing`"),
    ("approve", "Usage: `/facts approve &lt;plan id or entry id&gt;`"),
    ("approve <!channel>", "`&lt;!channel&gt;`"),
])
async def test_approve_with_a_bad_id_says_so_and_records_nothing(bot_2026, argument, expected):
    assert expected in all_text(await bot_2026.ask(argument, user_id=ADMIN))
    assert not bot_2026.audits("approve")


def test_ask_json_carries_the_review_state(capsys, monkeypatch):
    monkeypatch.delenv("FACTS_DB", raising=False)
    assert main(["ask", "--json", "--date", "2026-11-25", COLOR_BLIND]) == 0
    [first, *_] = json.loads(capsys.readouterr().out)["results"]
    assert first["review"] == {"due": "2009-07-22", "overdue": True}
    assert main(["ask", "--json", "--date", "2009-05-01", COLOR_BLIND]) == 0
    [first, *_] = json.loads(capsys.readouterr().out)["results"]
    assert first["review"] == {"due": "2009-07-22", "overdue": False}


def test_the_terminal_says_it_too(capsys, monkeypatch):
    monkeypatch.delenv("FACTS_DB", raising=False)
    assert main(["ask", "--date", "2026-11-25", COLOR_BLIND]) == 0
    assert f"!! {LABEL}" in capsys.readouterr().out
    assert main(["ask", "--date", "2009-05-01", COLOR_BLIND]) == 0
    assert "Not re-approved" not in capsys.readouterr().out


def test_ask_reads_re_approvals_from_the_database(tmp_path, capsys, monkeypatch):
    import asyncio

    from bot.service.approvals import APPROVE, approval_detail
    from bot.store import AuditRecord, open_store

    db = tmp_path / "facts.db"

    async def record() -> None:
        async with open_store(str(db)) as store:
            approval = Approval(PLAN, dt.date(2026, 11, 1), dt.date(2027, 1, 30), ADMIN)
            await store.record_audit(AuditRecord(
                ts=dt.datetime.now(dt.UTC), kind=APPROVE, user_id=ADMIN, user_name="a",
                channel_id="C", team_id="T", request_id="r", content_version="v",
                detail=approval_detail(approval, 28)))
    asyncio.run(record())
    monkeypatch.setenv("FACTS_DB", str(db))
    assert main(["ask", "--json", "--date", "2026-11-25", COLOR_BLIND]) == 0
    [first, *_] = json.loads(capsys.readouterr().out)["results"]
    assert first["review"] == {"due": "2027-01-30", "overdue": False}


def test_event_day_alerts_label_overdue_key_messages(knowledge_copy):
    document = knowledge_copy / PLAN / "document.yaml"
    document.write_text(document.read_text().replace("review_by: 2009-07-22",
                                                     "review_by: 2009-04-25"))
    snapshot = load_snapshot(knowledge_copy)
    text = preview_text(alerts_on(alert_plan(snapshot), dt.date(2009, 4, 27)))
    assert f"⚠ {LABEL}" in text
    approved = Currency.of([Approval(PLAN, dt.date(2009, 4, 26), dt.date(2009, 7, 25))])
    text = preview_text(alerts_on(alert_plan(snapshot, currency=approved), dt.date(2009, 4, 27)))
    assert "Not re-approved" not in text and "Fingerprint-matching databases" in text


def test_a_plan_with_neither_review_by_nor_expires_is_a_warning(knowledge_copy):
    document = knowledge_copy / PLAN / "document.yaml"
    text = document.read_text()
    document.write_text("\n".join(line for line in text.splitlines() if "review_by" not in line))
    snapshot, problems = check_knowledge(knowledge_copy)
    assert snapshot is not None
    assert any(p.severity == "warning" and "neither review_by nor expires" in p.message
               for p in problems)
    document.write_text(text)
    _, problems = check_knowledge(knowledge_copy)
    assert not any("review_by" in p.message for p in problems)


def test_an_entry_may_have_its_own_review_date(knowledge_copy):
    bites = knowledge_copy / PLAN / "sound_bites.yaml"
    own_date = "  - id: sb-color-blind\n    review_by: 2027-01-01\n"
    bites.write_text(bites.read_text().replace("  - id: sb-color-blind\n", own_date))
    snapshot = load_snapshot(knowledge_copy)
    currency, today = Currency(), dt.date(2026, 11, 25)
    assert not currency.status(snapshot.by_id["sb-color-blind"], today).overdue
    assert currency.status(snapshot.by_id["sb-fewer-murderers"], today).overdue


def test_review_stale_lists_what_is_overdue_or_due_soon_with_owners(tmp_path, capsys,
                                                                     monkeypatch):
    monkeypatch.setenv("FACTS_DB", str(tmp_path / "none.db"))
    assert main(["review", "stale", "--date", "2026-11-25"]) == 0
    out = capsys.readouterr().out
    assert f"{PLAN}: OVERDUE since 2009-07-22; last approved 2009-04-23" in out
    assert "owner Gillian Brigham, 202-732-4217" in out
    assert main(["review", "stale", "--date", "2009-07-10"]) == 0
    assert f"{PLAN}: due 2009-07-22 (in 12 days)" in capsys.readouterr().out
    assert main(["review", "stale", "--date", "2009-07-07"]) == 0
    assert "Nothing is overdue or due for review within 14 days" in capsys.readouterr().out


def test_review_stale_names_entries_dated_on_their_own(knowledge_copy, capsys, monkeypatch):
    monkeypatch.setenv("FACTS_KNOWLEDGE_DIR", str(knowledge_copy))
    monkeypatch.setenv("FACTS_DB", str(knowledge_copy / "none.db"))
    bites = knowledge_copy / PLAN / "sound_bites.yaml"
    own_date = "  - id: sb-color-blind\n    review_by: 2009-05-01\n"
    bites.write_text(bites.read_text().replace("  - id: sb-color-blind\n", own_date))
    assert main(["review", "stale", "--date", "2009-04-25"]) == 0
    out = capsys.readouterr().out
    assert "sb-color-blind: due 2009-05-01 (in 6 days)" in out and f"{PLAN}:" not in out
