"""The same approved words in two plans (last week's line repeated): shown once, from the
newest plan, in Slack and on the command line; never more confidently than before."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.content import load_snapshot
from bot.content.importing.plan import ImportOptions, draft_plan
from bot.content.importing.writer import write_plan
from bot.matching import ANSWER, SUGGESTIONS, Match, MatchSettings, Result
from bot.matching.preference import newest_copies
from bot.service.clock import FakeClock
from bot.service.server import start_service
from test_slack_app import Harness, all_text, button_values, settings_for

BITE = ("Every booking is checked the same way, whoever is arrested, and fingerprints "
        "are matched by machine.")
QUESTION = "every booking checked the same way fingerprints matched by machine"
OLD, NEW = "booking-2026-11-13", "booking-2026-11-20"


def plan_source(day: int) -> str:
    return f"""U.S. Immigration and Customs Enforcement
Booking checks media plan
November {day}, 2026
Contact: Jordan Lee, 202-555-0170

Sound bites:

- {BITE}

Talking points:

- Week {day}: the county jail joined the program this month.
"""


@pytest.fixture
def repeated(tmp_path: Path) -> Path:
    """Two weekly plans, a week apart, repeating one sound bite word for word."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for day, plan_id in ((13, OLD), (20, NEW)):
        source = tmp_path / f"{plan_id}.txt"
        source.write_text(plan_source(day), encoding="utf-8")
        taken: frozenset[str] = frozenset()
        if any(folder.iterdir()):  # as `facts-bot import` does: the ids already there
            loaded = load_snapshot(folder)
            taken = frozenset(loaded.by_id) | frozenset(loaded.documents)
        write_plan(draft_plan(source, ImportOptions(plan_id=plan_id, taken=taken)), source,
                   folder / plan_id)
    return folder


def ask_cli(folder: Path, capsys, *options: str) -> str:
    assert main(["ask", "--knowledge", str(folder), "--date", "2026-11-25", *options,
                 QUESTION]) == 0
    return capsys.readouterr().out


def test_both_plans_hold_the_words(repeated):
    twins = [e for e in load_snapshot(repeated).entries if e.text == BITE]
    assert sorted(e.document.id for e in twins) == [OLD, NEW]


def test_the_command_line_shows_the_words_once_from_the_newest_plan(repeated, capsys,
                                                                    monkeypatch):
    monkeypatch.delenv("FACTS_DB", raising=False)
    out = ask_cli(repeated, capsys)
    assert out.startswith("Several approved responses fit"), out  # in full, as before
    assert out.count(BITE) == 1, out
    assert "2026-11-20" in out and "2026-11-13" not in out
    assert "Also fitting" not in out
    found = json.loads(ask_cli(repeated, capsys, "--json"))
    assert found["status"] == SUGGESTIONS  # as sure as before, no surer
    assert [r["source"]["document_id"] for r in found["results"]] == [NEW]


@pytest.fixture
async def bot_repeated(slack, tmp_path, repeated):
    clock = FakeClock(dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC))
    service = await start_service(settings_for(slack, tmp_path, knowledge_dir=repeated), clock)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_slack_shows_the_words_once_from_the_newest_plan(bot_repeated):
    body = await bot_repeated.ask(QUESTION)
    shown = all_text(body)
    assert shown.count(BITE) <= 2  # the block and the notification text, never a second copy
    assert "2026-11-20" in shown and "2026-11-13" not in shown
    assert "Other approved responses that fit" not in shown  # no "Also fitting" repeat
    assert "no exact approved answer" not in shown.lower()  # still shown in full
    assert button_values(body, "facts_show") == []  # no "Show this" for the old copy
    [entry_id] = {v["entry"] for v in button_values(body, "facts_share")}
    assert bot_repeated.service.bot.live.snapshot.by_id[entry_id].document.id == NEW


def test_folding_copies_keeps_the_status_and_the_best_place(repeated):
    snapshot = load_snapshot(repeated)
    old, new = (next(e for e in snapshot.entries if e.text == BITE and e.document.id == plan)
                for plan in (OLD, NEW))
    other = next(e for e in snapshot.entries if e.document.id == NEW and e.text != BITE)
    for status in (SUGGESTIONS, ANSWER):
        match = Match("q", status, (Result(old, 95.0), Result(other, 90.0),
                                    Result(new, 88.0)))
        folded = newest_copies(match, MatchSettings())
        assert folded.status == status
        assert [(r.entry.id, r.score) for r in folded.results] == [(new.id, 95.0),
                                                                   (other.id, 90.0)]
        assert folded.copies == {new.id: (old,)}
    unlike = Match("q", SUGGESTIONS, (Result(old, 95.0), Result(other, 94.0)))
    assert newest_copies(unlike, MatchSettings()) == unlike


def test_a_current_copy_is_shown_before_a_newer_overdue_one(repeated):
    snapshot = load_snapshot(repeated)
    old, new = (next(e for e in snapshot.entries if e.text == BITE and e.document.id == plan)
                for plan in (OLD, NEW))
    match = Match("q", SUGGESTIONS, (Result(new, 95.0), Result(old, 95.0)))
    re_approved = newest_copies(match, MatchSettings(), overdue=lambda e: e.document.id == NEW)
    assert [r.entry.id for r in re_approved.results] == [old.id]
    assert [r.entry.id for r in newest_copies(match, MatchSettings()).results] == [new.id]


def test_folding_never_changes_whether_several_fit(repeated):
    """A reply framed as "closest, check before using" stays so, and a topic stays one."""
    snapshot = load_snapshot(repeated)
    old, new = (next(e for e in snapshot.entries if e.text == BITE and e.document.id == plan)
                for plan in (OLD, NEW))
    other = next(e for e in snapshot.entries if e.document.id == NEW and e.text != BITE)
    settings = MatchSettings()
    apart = Match("q", SUGGESTIONS, (Result(old, 85.0), Result(other, 78.0),
                                     Result(new, 84.0)))  # as an overdue copy is moved
    assert not apart.is_topic(settings.answer_min_score)
    folded = newest_copies(apart, settings)
    assert len(folded.results) == 2 and not folded.is_topic(settings.answer_min_score)
    together = Match("q", SUGGESTIONS, (Result(old, 91.0), Result(new, 91.0)))
    assert together.is_topic(settings.answer_min_score)
    folded = newest_copies(together, settings)
    assert len(folded.results) == 1 and folded.is_topic(settings.answer_min_score)
