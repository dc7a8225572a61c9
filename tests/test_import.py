"""`facts-bot import`: plan documents of any office, in .docx, .md and .txt, become plan folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.content import BUNDLED_KNOWLEDGE, check_knowledge, load_snapshot
from bot.content.importing.plan import ImportOptions, draft_plan
from bot.content.source_check import normalise
from plans.fixtures import (
    Plan,
    markdown_plan,
    nested_markdown_plan,
    table_word_plan,
    text_plan,
    typed_word_plan,
    word_plan,
)

PLAN = "ice-secure-communities-2009-04"
SEED = "ice-secure-communities-media-plan-2009-04-23.txt"


def seed_source() -> Path:
    shared = Path(__file__).resolve().parents[2] / "shared" / "sources" / SEED
    return shared if shared.is_file() else BUNDLED_KNOWLEDGE / PLAN / SEED


def found(entries: list[dict], kind: str, text: str, supporting=(), question=None) -> bool:
    """An entry of this kind with exactly this text, these points and this question."""
    return any(e["kind"] == kind and e["text"] == text
               and tuple(e.get("supporting", ())) == tuple(supporting)
               and e.get("question") == question for e in entries)


def score(plan: Plan, entries: list[dict]) -> tuple[int, int]:
    """(entries found with the right kind and exact text, entries in the plan)."""
    right = sum(any(e["kind"] == x.kind and normalise(e["text"]) == normalise(x.text)
                    and tuple(e.get("supporting", ())) == x.supporting
                    and e.get("question") == x.question for e in entries)
                for x in plan.expected)
    return right, len(plan.expected)


def test_importing_the_seed_reproduces_every_shipped_text_exactly(snapshot):
    draft = draft_plan(seed_source(), ImportOptions(plan_id=PLAN))
    shipped = [e for e in snapshot.entries if e.document.id == PLAN]
    missing = [e.id for e in shipped
               if not found(draft.entries, e.kind, e.text, e.supporting, e.question)]
    assert not missing, f"not reproduced: {missing}"
    assert len(shipped) == 28 and not draft.unplaced
    document = draft.document
    assert (document["title"], document["office"]) == (
        "Get the Facts: Secure Communities media plan for April 26-30",
        "U.S. Immigration and Customs Enforcement")
    assert document["contact"] == {"name": "Gillian Brigham", "phone": "202-732-4217"}
    assert str(document["date"]) == "2009-04-23" and str(document["review_by"]) == "2009-07-22"
    assert document["events"]["places"][-1] == "Raleigh, N.C."


def test_the_seed_imports_to_a_folder_that_validates_with_topics_and_schedules(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["import", str(seed_source()), "--out", str(out), "--id", PLAN]) == 0
    printed = capsys.readouterr().out
    written = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.yaml"))
    assert "&id0" not in written and "*id0" not in written  # no YAML anchors or aliases
    assert "Sound bite: 3" in printed and "Talking point: 9" in printed and "Q&A: 3" in printed
    assert f"{out}: validates, 28 entries" in printed
    snapshot = load_snapshot(out)
    assert (out / SEED).read_bytes() == seed_source().read_bytes()
    [op_ed] = [e for e in snapshot.entries if e.text.startswith("On Sunday, April 25")]
    [sheriffs] = [e for e in snapshot.entries if e.text.startswith("PAOs will also")]
    assert sheriffs.schedule.undated and not sheriffs.schedule.as_written
    assert (op_ed.schedule.as_written, op_ed.schedule.owner) == ("Sunday, April 25", "OPA")
    assert op_ed.schedule.spokespeople == ("A/S Morton",)
    warnings = [str(w) for w in snapshot.warnings]
    assert any("'Sunday, April 25'" in w and "Saturday" in w for w in warnings)
    ifa = [e for e in snapshot.entries if e.kind == "if_asked"]
    assert all(e.topic.startswith("If asked about allegations of racial profiling") for e in ifa)
    qa = [e for e in snapshot.entries if e.kind == "qa"]
    assert all(e.questions == (e.question,) for e in qa)  # prefilled matching aid


PLANS = [word_plan, typed_word_plan, table_word_plan, markdown_plan, nested_markdown_plan,
         text_plan]
PLAN_IDS = ["docx-styles", "docx-typed", "docx-table", "markdown", "markdown-nested",
            "text-wrapped"]


@pytest.mark.parametrize("make", PLANS, ids=PLAN_IDS)
def test_other_offices_plans_in_every_format(make, tmp_path):
    plan = make(tmp_path)
    draft = draft_plan(plan.path)
    right, total = score(plan, draft.entries)
    assert (right, total) == (total, total)
    assert len(draft.entries) == total and not draft.unplaced
    assert draft.document["contact"]["phone"] != "(not stated)"


@pytest.mark.parametrize("make", PLANS, ids=PLAN_IDS)
def test_each_imported_folder_validates_against_its_own_source(make, tmp_path, capsys):
    plan = make(tmp_path)
    out = tmp_path / "out"
    assert main(["import", str(plan.path), "--out", str(out)]) == 0
    assert "validates" in capsys.readouterr().out
    snapshot, problems = check_knowledge(out)
    assert snapshot is not None, [str(p) for p in problems]
    document = next(iter(snapshot.documents.values()))
    assert document.source_file == plan.path.name and (out / plan.path.name).is_file()


def test_an_imported_entry_edited_afterwards_fails_the_verbatim_check(tmp_path):
    plan = word_plan(tmp_path)
    out = tmp_path / "out"
    assert main(["import", str(plan.path), "--out", str(out)]) == 0
    bites = out / "sound_bites.yaml"
    bites.write_text(bites.read_text().replace("41,000 acres", "14,000 acres"))
    snapshot, problems = check_knowledge(out)
    assert snapshot is None
    [error] = [str(p) for p in problems if p.severity == "error"]
    assert "sound_bites.yaml" in error and ".supporting" in error and "“14,000" in error


def test_a_time_zone_stated_in_passing_is_used(tmp_path):
    draft = draft_plan(typed_word_plan(tmp_path).path, ImportOptions(timezone="Europe/Paris"))
    assert draft.document["timezone"] == "America/New_York" and not draft.checks
    draft = draft_plan(markdown_plan(tmp_path).path, ImportOptions(timezone="Europe/Paris"))
    assert draft.document["timezone"] == "Europe/Paris"
    assert any("states none; set to Europe/Paris" in check for check in draft.checks)


def test_review_by_follows_the_review_period_setting(tmp_path, monkeypatch):
    plan = text_plan(tmp_path)
    monkeypatch.setenv("FACTS_REVIEW_DAYS", "30")
    assert main(["import", str(plan.path), "--out", str(tmp_path / "a")]) == 0
    assert str(load_snapshot(tmp_path / "a").documents["blue-line-closure-2025-03"]
               .review_by) == "2025-04-02"
    assert main(["import", str(plan.path), "--out", str(tmp_path / "b"), "--review-days", "7"]) == 0
    [again] = load_snapshot(tmp_path / "b").documents.values()  # beside "a": its own id
    assert str(again.review_by) == "2025-03-10"


def test_a_dated_action_gets_its_date_owner_and_spokesperson(tmp_path):
    draft = draft_plan(word_plan(tmp_path).path)
    [briefing] = [e for e in draft.entries if "briefing" in e["text"]]
    schedule = briefing["schedule"]
    assert (schedule["as_written"], str(schedule["date"])) == ("Tuesday, June 10", "2025-06-10")
    assert schedule["owner"] == "Press Office"


def test_ids_are_stable_across_imports(tmp_path):
    first = draft_plan(markdown_plan(tmp_path).path)
    again = draft_plan(markdown_plan(tmp_path).path)
    assert [e["id"] for e in first.entries] == [e["id"] for e in again.entries]
    assert len({e["id"] for e in first.entries}) == len(first.entries)


def test_what_cannot_be_placed_is_reported_with_its_line(tmp_path, capsys):
    source = tmp_path / "odd.md"
    source.write_text("# Harbor dredging media plan\n\nMay 2, 2025\n\nContact: Al Reyes, "
                      "555-010-2000\n\n## Sound bites\n\n- Dredging keeps the port open.\n\n"
                      "## Logistics\n\nParking is behind building C.\n", encoding="utf-8")
    assert main(["import", str(source), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "not placed, line 13: 'Parking is behind building C.'" in printed
    assert "“Logistics”" in printed


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfe\x00bad", "not UTF-8 text"),
    (b"PK\x03\x04 not really a zip", "not a readable Word document"),
    (b"", "found nothing to import"),
    (b"Lunch menu\n\nSoup of the day.\n", "found nothing to import"),
])
def test_broken_input_is_one_clear_line(tmp_path, capsys, content, expected):
    suffix = ".docx" if content.startswith(b"PK") else ".txt"
    source = tmp_path / f"plan{suffix}"
    source.write_bytes(content)
    code = main(["import", str(source), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and expected in err and "Traceback" not in err


def test_refuses_other_formats_bad_ids_and_an_occupied_folder(tmp_path, capsys):
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert main(["import", str(pdf)]) == 1
    assert "not a format we read" in capsys.readouterr().err
    plan = text_plan(tmp_path)
    assert main(["import", str(plan.path), "--id", "Bad Id!"]) == 2
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.yaml").write_text("entries: []\n")
    assert main(["import", str(plan.path), "--out", str(out)]) == 1
    assert "already holds keep.yaml" in capsys.readouterr().err
    assert (out / "keep.yaml").read_text() == "entries: []\n"


def test_written_yaml_keeps_text_as_literal_blocks(tmp_path):
    plan = markdown_plan(tmp_path)
    out = tmp_path / "out"
    assert main(["import", str(plan.path), "--out", str(out)]) == 0
    raw = (out / "qa.yaml").read_text(encoding="utf-8")
    assert "  text: |-\n    Yes. The CDC recommends" in raw
    data = yaml.safe_load(raw)
    assert data["entries"][0]["question"] == "Is the flu shot safe for pregnant women?"


def test_text_that_looks_like_yaml_or_formulas_survives_word_for_word(tmp_path):
    tricky = ["- &anchor *alias !!python/object: {x: 1}", "=SUM(A1:A9) @channel <!here>",
              "Key: value # not a comment", "'quoted' \"double\" — dash … ellipsis",
              "--- not a document start", "   trailing and leading spaces are ours   "]
    source = tmp_path / "tricky.md"
    source.write_text("# Tricky media plan\n\nMay 5, 2025\n\nContact: Bo Chan, 555-010-3000\n\n"
                      "## Talking points\n\n" + "".join(f"* {t}\n" for t in tricky),
                      encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    texts = {e.text for e in load_snapshot(out).entries if e.kind == "talking_point"}
    assert texts == {t.strip() for t in tricky}


def test_a_source_over_the_size_limit_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    from bot.content.importing import reading
    monkeypatch.setattr(reading, "MAX_SOURCE_BYTES", 1000)
    source = tmp_path / "huge.txt"
    source.write_text("Sound bites:\n\n" + "- word\n" * 500, encoding="utf-8")
    assert main(["import", str(source), "--out", str(tmp_path / "out")]) == 1
    assert "too large for a media plan" in capsys.readouterr().err


WRITTEN = Path(__file__).parent / "plans"


@pytest.mark.parametrize("name", ["harbor-tunnel.txt", "school-year.md", "hurricane-week.txt"])
def test_plans_written_before_the_importer_saw_them(name, tmp_path):
    from plans.fixtures import Expected
    expected = yaml.safe_load((WRITTEN / "expected.yaml").read_text(encoding="utf-8"))[name]
    plan = Plan(WRITTEN / name, [Expected(e["kind"], e["text"], tuple(e.get("supporting", ())),
                                          e.get("question")) for e in expected])
    draft = draft_plan(plan.path)
    assert score(plan, draft.entries) == (len(expected), len(expected))
    assert len(draft.entries) == len(expected) and not draft.unplaced
    out = tmp_path / "out"
    assert main(["import", str(plan.path), "--out", str(out)]) == 0
    assert len(load_snapshot(out).entries) == len(expected)


@pytest.mark.parametrize("title", ["Budget Announcement communications plan",
                                   "School Year Rollout media plan",
                                   "Storm Season Press Conferences strategy"])
def test_a_plan_title_naming_a_kind_of_section_stays_the_title(title, tmp_path, capsys):
    """"Announcement", "rollout", "press conferences" name outreach sections; in the plan's
    own title they must not turn its office, date and contact lines into planned actions."""
    source = tmp_path / "plan.md"
    source.write_text(f"# {title}\n\nCity Budget Office\n\nMay 1, 2026\n\n"
                      "Contact: Ana Cruz, 555-010-7777\n\n## Key messages\n\n"
                      "- The budget is balanced.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Media outreach" not in printed and "check: document.title" not in printed
    entries = load_snapshot(out).entries
    assert sorted(e.kind for e in entries) == ["contact", "sound_bite"]
    document = yaml.safe_load((out / "document.yaml").read_text(encoding="utf-8"))["document"]
    assert (document["title"], document["office"]) == (title, "City Budget Office")


def test_an_outreach_plan_heading_after_the_header_is_still_a_section(tmp_path, capsys):
    source = tmp_path / "plan.md"
    source.write_text("City Budget Office\n\nMay 1, 2026\n\nContact: Ana Cruz, 555-010-7777\n\n"
                      "## Outreach plan\n\n- The Mayor will speak on May 3.\n\n## Key messages\n\n"
                      "- The budget is balanced.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    assert "Media outreach: 1" in capsys.readouterr().out
    [action] = [e for e in load_snapshot(out).entries if e.kind == "media_action"]
    assert action.text == "The Mayor will speak on May 3."


def _weekly_plan(folder: Path, day: int, bite: str) -> Path:
    """A plan like last week's: same office, title and contact, one new sound bite."""
    source = folder / f"harbor-{day}.md"
    source.write_text(f"# Harbor Dredging media plan\n\nPort Authority\n\nMay {day}, 2025\n\n"
                      "Contact: Al Reyes, 555-010-2000\n\n## Sound bites\n\n"
                      f"- Dredging keeps the port open.\n- {bite}\n", encoding="utf-8")
    return source


def test_next_weeks_plan_joins_the_knowledge_folder_beside_last_weeks(tmp_path, capsys):
    """Same office, contact and title in the same month, a repeated sound bite: the
    second import must not collide with the first, or the folder loads nothing."""
    knowledge = tmp_path / "knowledge"
    first = _weekly_plan(tmp_path, 2, "Work stops at night near homes.")
    second = _weekly_plan(tmp_path, 9, "The east channel reopens on May 12.")
    assert main(["import", str(first), "--out", str(knowledge / "week-1")]) == 0
    capsys.readouterr()
    assert main(["import", str(second), "--out", str(knowledge / "week-2")]) == 0
    assert "'harbor-dredging-2025-05' is already in the knowledge folder; drafted as " \
        "'harbor-dredging-2025-05-09'" in capsys.readouterr().out
    assert main(["validate", str(knowledge)]) == 0, capsys.readouterr().err
    assert "6 entries in 2 document(s)" in capsys.readouterr().out
    assert main(["ask", "--knowledge", str(knowledge), "--json", "east channel reopen"]) == 0
    [best, *_] = json.loads(capsys.readouterr().out)["results"]
    assert best["text"] == "The east channel reopens on May 12."


def test_markdown_comments_are_not_approved_words(tmp_path, capsys):
    """An HTML comment is invisible wherever the plan is read: a line commented out is
    not approved, and a note in a comment is not part of the line beside it."""
    source = tmp_path / "pools.md"
    source.write_text("# Pool Safety media plan\n\nParks Department\n\nJune 1, 2026\n\n"
                      "Contact: Bo Lin, 555-010-1212\n\n## Key messages\n\n"
                      "- Lifeguards are on duty from 10 to 6. <!-- check hours with union -->\n"
                      "- Children under 8 swim with an adult.\n\n<!--\n"
                      "- Draft: pools may close early in July.\n-->\n\n"
                      "- Swim only where flags are green.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    assert "Sound bite: 3" in capsys.readouterr().out
    assert main(["ask", "--knowledge", str(out), "--json", "pools close early july"]) == 0
    shown = [r["text"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert not any("July" in text or "<!--" in text for text in shown)
    texts = sorted(e.text for e in load_snapshot(out).entries if e.kind == "sound_bite")
    assert texts == ["Children under 8 swim with an adult.",
                     "Lifeguards are on duty from 10 to 6.", "Swim only where flags are green."]


def test_a_document_already_in_the_plan_folder_is_imported_where_it_is(tmp_path, capsys):
    """The admin drops the plan into its new folder first, then imports it there."""
    folder = tmp_path / "knowledge" / "harbor"
    folder.mkdir(parents=True)
    source = _weekly_plan(folder, 2, "Work stops at night near homes.")
    written = source.read_bytes()
    assert main(["import", str(source), "--out", str(folder)]) == 0
    assert f"{folder}: validates, 3 entries" in capsys.readouterr().out
    assert source.read_bytes() == written


def test_lines_before_the_first_section_that_are_no_particulars_are_reported(tmp_path, capsys):
    """Only the title, office, date and contact are read from a plan's opening lines; a
    message written there was neither drafted nor reported."""
    source = tmp_path / "bridge.md"
    source.write_text("# Bridge Closure media plan\n\nCity Transport Office\n\nMay 1, 2026\n\n"
                      "Contact: Ana Cruz, 555-010-7777\n\n"
                      "The bridge is safe to cross until Friday.\n\n"
                      "- Detours are signed from Monday.\n\n## Key messages\n\n"
                      "- Tolls are waived during the works.\n", encoding="utf-8")
    assert main(["import", str(source), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "not placed, line 9: 'The bridge is safe to cross until Friday.'" in printed
    assert "not placed, line 11: 'Detours are signed from Monday.'" in printed
    assert "line 3:" not in printed and "line 5:" not in printed and "line 7:" not in printed


def test_a_date_that_reads_either_way_is_a_check_to_confirm(tmp_path, capsys):
    """05/04/2026 is May 4 in Washington and 5 April in London: read month first, and the
    author is told, or alerts go out on the wrong day."""
    source = tmp_path / "rail.md"
    source.write_text("# Rail Strike media plan\n\nDepartment for Transport\n\nDate: 03/04/2026\n\n"
                      "Contact: Ann Lee, 020 7946 0000\n\n## Key messages\n\n- Trains run on "
                      "Sunday.\n\n## Media actions\n\n- The Minister will speak to BBC Radio 4 "
                      "on 05/04/2026.\n- The Minister will visit depots on 04/25/2026.\n",
                      encoding="utf-8")
    assert main(["import", str(source), "--out", str(tmp_path / "out")]) == 0
    checks = [line for line in capsys.readouterr().out.splitlines() if "check:" in line]
    assert any("03/04/2026" in line and "March 4" in line and "3 April" in line
               for line in checks)
    assert any("05/04/2026" in line and "May 4" in line and "5 April" in line
               for line in checks)
    assert not any("04/25/2026" in line for line in checks)  # only one way to read it


def test_a_text_source_of_too_many_lines_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    """Every load reads the source again (the verbatim check): a 20 MB file of short lines
    took seconds at every `facts-bot ask`."""
    from bot.content.importing import reading
    monkeypatch.setattr(reading, "MAX_LINES", 40)
    source = tmp_path / "long.txt"
    source.write_text("Harbor media plan\n\nMay 2, 2025\n\nContact: Al Reyes, 555-010-2000\n\n"
                      "Talking points:\n\n" + "".join(f"- Point {n} is made.\n" for n in range(40)),
                      encoding="utf-8")
    code = main(["import", str(source), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "long.txt: 48 lines, too many for a media plan (at most 40)" in err


@pytest.mark.parametrize("label", ["Press office lead", "Press secretary", "Media lead",
                                   "Communications lead"])
def test_a_press_contact_under_another_title_is_the_contact(label, tmp_path, capsys):
    source = tmp_path / "plan.md"
    source.write_text(f"# Lead Pipe media plan\n\nCity Water Office\n\nOctober 14, 2026\n\n"
                      f"{label}: Ruth Okafor, 555-010-6060, rokafor@city.example.gov\n\n"
                      "## Key messages\n\n- Filters are free at every library.\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    assert "document.contact" not in capsys.readouterr().out
    contact = yaml.safe_load((out / "document.yaml").read_text(encoding="utf-8"))["document"][
        "contact"]
    assert contact == {"name": "Ruth Okafor", "phone": "555-010-6060",
                       "email": "rokafor@city.example.gov"}
