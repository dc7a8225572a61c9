"""Several plans loaded at once: the current one is preferred, every answer names its plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.content import load_snapshot
from bot.content.importing.plan import ImportOptions, draft_plan
from bot.content.importing.writer import write_plan
from bot.service.clock import FakeClock
from bot.service.server import start_service
from test_slack_app import PLAN, Harness, all_text, settings_for

NEW_PLAN = "sc-update-2026-11"
NEW_TITLE = "Secure Communities update media plan"
COLOR_BLIND = ("Secure Communities is a color blind system. Fingerprint-matching databases "
               "don't lie and they can't tell what race you are.")
NEW_SOURCE = f"""U.S. Immigration and Customs Enforcement
{NEW_TITLE}
November 20, 2026
Contact: Jordan Lee, 202-555-0170

Sound bites:

- {COLOR_BLIND}
 - Every booking is checked the same way, whoever is arrested.

Talking points:

- Secure Communities now covers every county in the country.
"""


@pytest.fixture
def two_plans(knowledge_copy: Path, tmp_path: Path) -> Path:
    """The 2009 plan (overdue) and a current plan repeating its color-blind sound bite."""
    source = tmp_path / "sc-update.txt"
    source.write_text(NEW_SOURCE, encoding="utf-8")
    draft = draft_plan(source, ImportOptions(plan_id=NEW_PLAN))
    write_plan(draft, source, knowledge_copy / NEW_PLAN)
    return knowledge_copy


@pytest.fixture
async def bot_two_plans(slack, tmp_path, two_plans):
    clock = FakeClock(dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC))
    service = await start_service(settings_for(slack, tmp_path, knowledge_dir=two_plans), clock)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


def test_the_two_plans_load_and_the_twins_tie_without_a_preference(two_plans):
    snapshot = load_snapshot(two_plans)
    twins = [e for e in snapshot.entries if e.text == COLOR_BLIND]
    assert {e.document.id for e in twins} == {PLAN, NEW_PLAN}
    assert str(snapshot.documents[NEW_PLAN].review_by) == "2027-02-18"


async def test_the_current_plan_answers_and_says_which_plan_it_is(bot_two_plans):
    body = await bot_two_plans.ask("color blind fingerprint databases")
    shown = all_text(body)
    assert shown.startswith("Approved response for")
    answer = body["blocks"][2]["elements"][0]["text"]  # the answer's source line
    assert NEW_TITLE in answer and "Not re-approved" not in answer
    assert "Every booking is checked the same way" in shown
    # The 2009 twin is still offered, labelled, and named by its plan.
    assert "Get the Facts: Secure Communities media plan" in shown
    assert "Not re-approved since 2009-04-23" in shown


async def test_list_groups_by_plan_and_labels_the_overdue_one(bot_two_plans):
    shown = all_text(await bot_two_plans.ask("list sound_bite"))
    old = shown.index(f"`{PLAN}`, 2009-04-23)")
    new = shown.index(f"`{NEW_PLAN}`, 2026-11-20)")
    assert old < new and "Not re-approved since 2009-04-23" in shown[old:new]
    assert shown.count("Not re-approved") == 1
    assert shown.index("`sb-color-blind`") > old


def test_the_command_line_prefers_the_current_plan_too(two_plans, capsys, monkeypatch):
    monkeypatch.delenv("FACTS_DB", raising=False)
    assert main(["ask", "--knowledge", str(two_plans), "--date", "2026-11-25",
                 "color blind fingerprint databases"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Approved response:")
    first = out.split("\n\n")[1]
    assert NEW_TITLE in first and "!!" not in first


def test_a_clearly_better_overdue_response_is_not_pushed_aside(snapshot):
    from bot.matching import ANSWER, SUGGESTIONS, Match, MatchSettings, Result
    from bot.matching.preference import prefer_current

    old, new = snapshot.by_id["sb-color-blind"], snapshot.by_id["tp-biometrics"]
    overdue = {old.id}.__contains__

    def ranked(old_score: float, new_score: float) -> Match:
        match = Match("q", SUGGESTIONS, (Result(old, old_score), Result(new, new_score)))
        return prefer_current(match, lambda e: overdue(e.id), MatchSettings())
    close = ranked(100, 93)
    assert [r.entry.id for r in close.results] == [new.id, old.id] and close.status == ANSWER
    far = ranked(100, 85)
    assert [r.entry.id for r in far.results] == [old.id, new.id] and far.status == SUGGESTIONS
    weak = ranked(70, 65)  # neither is confident: reordered, but still only suggestions
    assert [r.entry.id for r in weak.results] == [new.id, old.id] and weak.status == SUGGESTIONS
