"""The verbatim guarantee: approved text that departs from its source never loads."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import check_knowledge, load_snapshot
from bot.matching import Index, MatchSettings
from bot.service.live import LiveKnowledge
from conftest import TODAY

PLAN = "ice-secure-communities-2009-04"
SOURCE = "ice-secure-communities-media-plan-2009-04-23.txt"


def edit(root: Path, name: str, old: str, new: str) -> int:
    """Replace `old` by `new` in a plan file; the line where it was."""
    path = root / PLAN / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def errors(root: Path) -> list[str]:
    snapshot, problems = check_knowledge(root, TODAY)
    found = [str(p) for p in problems if p.severity == "error"]
    assert snapshot is None and found
    return found


def test_the_bundled_plan_is_verbatim(snapshot):
    assert not [w for w in snapshot.warnings if "source" in w.field]


def test_an_edited_word_is_an_error_naming_entry_file_line_and_words(knowledge_copy, capsys):
    line = edit(knowledge_copy, "sound_bites.yaml", "Fingerprint-matching databases don't lie",
                "Fingerprint databases never lie")
    assert main(["validate", str(knowledge_copy)]) == 1
    err = capsys.readouterr().err
    assert f"error: {PLAN}/sound_bites.yaml:{line - 1}: entry sb-color-blind.text:" in err
    assert "it has “Fingerprint databases never lie" in err
    assert "has “Fingerprint-matching databases don't lie" in err
    assert "OK" not in capsys.readouterr().out


def test_a_changed_number_is_an_error(knowledge_copy):
    edit(knowledge_copy, "talking_points.yaml", "than 18,000 aliens", "than 19,000 aliens")
    [error] = errors(knowledge_copy)
    assert "entry tp-level-1-numbers.text" in error and "“19,000" in error and "“18,000" in error


def test_a_dropped_last_supporting_point_is_an_error(knowledge_copy):
    edit(knowledge_copy, "sound_bites.yaml",
         "      - |-\n        Also, because biometrics are unique", "      # Also, biometrics")
    [error] = errors(knowledge_copy)
    assert "entry sb-color-blind.supporting" in error and "one more supporting point" in error
    assert "Also, because biometrics are unique" in error


def test_a_dropped_middle_supporting_point_is_an_error(knowledge_copy):
    point = ("      - |-\n        Secure Communities reduces the opportunity for allegations of "
             "racial and ethnic profiling because the fingerprints of every individual arrested "
             "and booked into custody are checked against immigration records, not just those "
             "manually submitted by local officers\n")
    edit(knowledge_copy, "sound_bites.yaml", point, "")
    [error] = errors(knowledge_copy)
    assert "entry sb-color-blind.supporting" in error and "in that order" in error


def test_an_edited_question_is_an_error(knowledge_copy):
    edit(knowledge_copy, "qa.yaml", "HOW DOES SOMEONE FILE A COMPLAINT?", "HOW DO I COMPLAIN?")
    [error] = errors(knowledge_copy)
    assert "entry qa-profiling-complaint.question" in error and "it has “DO I COMPLAIN?”" in error


def test_a_topic_edited_in_every_entry_sharing_it_is_an_error_for_each(knowledge_copy):
    """Entries share a topic (an if-asked section heads each of its entries with it): edited,
    each is told, on its own line (held here for any shortcut over repeated passages)."""
    topic = 'topic: "If asked about allegations of racial profiling or other abuses raised'
    lines = [edit(knowledge_copy, "if_asked.yaml", topic, topic.replace("abuses", "wrongs"))
             for _ in range(3)]
    found = errors(knowledge_copy)
    assert len(found) == 3
    for line, error in zip(lines, found, strict=True):
        assert f"if_asked.yaml:{line}: entry " in error and ".topic: not as the source" in error
        assert "it has “wrongs raised by non-governmental" in error


def test_whitespace_quotes_dashes_and_markers_may_differ(knowledge_copy):
    edit(knowledge_copy, "talking_points.yaml", "that ICE’s criminal alien",
         "that ICE's   criminal\n      alien")
    edit(knowledge_copy, "sound_bites.yaml", "kidnapping — 4,000", "kidnapping -- 4,000")
    [error] = errors(knowledge_copy)  # a doubled dash is a change of punctuation, not style
    assert "sb-fewer-murderers" in error
    edit(knowledge_copy, "sound_bites.yaml", "kidnapping -- 4,000", "kidnapping - 4,000")
    assert load_snapshot(knowledge_copy).by_id["tp-open-dialogue"]


def test_an_opt_out_needs_who_and_when_and_is_listed(knowledge_copy, capsys):
    edit(knowledge_copy, "sound_bites.yaml", "Fingerprint-matching databases don't lie",
         "Fingerprint databases never lie")
    edit(knowledge_copy, "sound_bites.yaml", "  - id: sb-color-blind\n",
         "  - id: sb-color-blind\n    source_check: none\n")
    [error] = errors(knowledge_copy)
    assert "sb-color-blind.source_check" in error and "approved_by and approved_on" in error
    edit(knowledge_copy, "sound_bites.yaml", "    source_check: none\n",
         "    source_check: none\n    approved_by: Gillian Brigham\n    approved_on: 2009-04-24\n")
    assert main(["validate", str(knowledge_copy)]) == 0
    out = capsys.readouterr().out
    assert "sb-color-blind.source_check: not checked against the source: approved by " \
           "Gillian Brigham on 2009-04-24" in out


def test_only_none_is_an_opt_out(knowledge_copy):
    edit(knowledge_copy, "sound_bites.yaml", "  - id: sb-color-blind\n",
         "  - id: sb-color-blind\n    source_check: skip\n")
    [error] = errors(knowledge_copy)
    assert "'skip': the only value is none" in error


@pytest.mark.parametrize("change, expected", [
    ("missing", "cannot be read"),
    ("latin-1", "not UTF-8 text"),
    ("outside", "must be a file in the plan's folder"),
    ("unset", "document.source_file: missing"),
])
def test_a_source_that_cannot_be_read_is_one_clear_error(knowledge_copy, change, expected):
    source = knowledge_copy / PLAN / SOURCE
    if change == "missing":
        source.unlink()
    elif change == "latin-1":
        source.write_bytes(source.read_text(encoding="utf-8").encode("latin-1", "replace"))
    elif change == "outside":
        edit(knowledge_copy, "document.yaml", f"source_file: {SOURCE}",
             "source_file: ../../../../etc/passwd")
    else:
        edit(knowledge_copy, "document.yaml", f"  source_file: {SOURCE}\n", "")
    [error] = errors(knowledge_copy)
    assert f"{PLAN}/document.yaml" in error and expected in error and "\n" not in error


async def test_a_reload_with_an_edited_entry_keeps_the_old_content_serving(knowledge_copy):
    live = LiveKnowledge.load(knowledge_copy, MatchSettings(), TODAY)
    before = live.snapshot.version
    edit(knowledge_copy, "sound_bites.yaml", "Fingerprint-matching databases don't lie",
         "Fingerprint databases never lie")
    outcome = await live.reload(TODAY)
    assert not outcome.ok and any("sb-color-blind.text" in str(p) for p in outcome.errors)
    assert live.snapshot.version == before
    match = live.current.search("color blind fingerprint databases", TODAY)
    assert "don't lie" in match.results[0].entry.text


def test_index_still_builds_on_the_checked_snapshot(snapshot):
    assert Index(snapshot).search("racial profiling", dt.date(2009, 4, 27)).results
    assert asyncio  # imported for the async test above


@pytest.mark.parametrize("name, old, new", [
    ("if_asked.yaml", "so that it may take appropriate action. To date ICE has received no "
     "such information.", "so that it may take appropriate"),  # cut off mid-sentence
    ("if_asked.yaml", "ICE has routinely encouraged these organizations to provide specific "
     "cases where racial profiling or other abuses are suspected so that it may take "
     "appropriate action. To date ICE has received no such information.",
     "racial profiling or other abuses"),  # a fragment from the middle of a sentence
    ("sound_bites.yaml", "Secure Communities is not about immigration. It's about",
     "about immigration. It's about"),  # "is not" dropped from the front
    ("sound_bites.yaml", "Secure Communities is a color blind system. Fingerprint-matching",
     "matching"),  # after a hyphen, inside a word
])
def test_a_passage_cut_out_of_a_sentence_is_an_error(knowledge_copy, capsys, name, old, new):
    """Every word is in the source, in order, but not the sentence: "The county pays"
    out of "The county pays for every shot." says something the plan does not."""
    edit(knowledge_copy, name, old, new)
    assert main(["validate", str(knowledge_copy)]) == 1
    err = capsys.readouterr().err
    assert ".text: not as the source has it" in err and "a sentence" in err


def test_one_whole_sentence_of_a_paragraph_is_still_verbatim(knowledge_copy, capsys):
    edit(knowledge_copy, "sound_bites.yaml", "Secure Communities is not about immigration. It's",
         "It's")
    assert main(["validate", str(knowledge_copy)]) == 0, capsys.readouterr().err
