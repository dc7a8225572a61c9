"""The approved content: verbatim against its source, and every validator error class."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.content import KnowledgeError, check_knowledge, load_snapshot
from conftest import TODAY

PLAN = "ice-secure-communities-2009-04"


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def test_every_approved_word_is_exactly_as_the_source_has_it(snapshot):
    checked = 0
    for entry in snapshot.entries:
        source_file = Path(snapshot.directory) / PLAN / entry.document.source_file
        source = source_file.read_text(encoding="utf-8")
        approved = [*paragraphs(entry.text), *entry.supporting]
        approved += [entry.question] if entry.question else []
        approved += [entry.topic] if entry.topic else []
        for passage in approved:
            assert passage in source, f"{entry.id}: not verbatim in the source: {passage[:80]!r}"
            checked += 1
    assert checked >= 40


def test_bundled_source_copy_is_the_shared_original(snapshot):
    shared = Path(__file__).resolve().parents[2] / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip("no ../shared/sources beside this checkout")
    for document in snapshot.documents.values():
        bundled = Path(snapshot.directory) / PLAN / document.source_file
        assert bundled.read_bytes() == (shared / document.source_file).read_bytes()


def test_the_whole_plan_is_transcribed(snapshot):
    kinds = [e.kind for e in snapshot.entries]
    assert kinds.count("sound_bite") == 3
    assert kinds.count("talking_point") == 9
    assert kinds.count("if_asked") == 3
    assert kinds.count("qa") == 3
    assert "event" in kinds and "contact" in kinds and "reference" in kinds
    event = next(e for e in snapshot.entries if e.kind == "event")
    assert len(event.schedule.cities) == 8
    assert (event.schedule.date, event.schedule.end) == (dt.date(2009, 4, 26), dt.date(2009, 4, 30))
    document = snapshot.documents[PLAN]
    assert (document.contact.name, document.contact.phone) == ("Gillian Brigham", "202-732-4217")
    assert document.date == dt.date(2009, 4, 23)


def test_sound_bites_are_shown_with_their_supporting_points(snapshot):
    bite = next(e for e in snapshot.entries if e.kind == "sound_bite" and len(e.supporting) == 2)
    shown = bite.display_text
    assert shown.startswith(bite.text)
    assert all(point in shown for point in bite.supporting)


def test_weekday_conflicts_are_flagged_not_silently_fixed(snapshot):
    messages = [str(w) for w in snapshot.warnings]
    assert any("'Sunday, April 25'" in m and "Saturday" in m for m in messages)
    assert any("'Monday, April 23'" in m and "Thursday" in m for m in messages)
    assert all(re.match(r"warning: \S+\.yaml:\d+:", m) for m in messages)


def test_content_version_changes_with_the_content_and_only_then(knowledge_copy):
    first = load_snapshot(knowledge_copy).version
    assert load_snapshot(knowledge_copy).version == first
    synonyms = knowledge_copy / "synonyms.yaml"
    synonyms.write_text(synonyms.read_text() + "  - [press officer, spokesperson]\n")
    assert load_snapshot(knowledge_copy).version != first


def test_content_version_is_the_same_whichever_sha256_computes_it(knowledge_copy, monkeypatch):
    """Loading hashes with CPython's built-in SHA-256 (no OpenSSL to load); every copy of
    the bot, on any Python, must still report the same version for the same files."""
    import hashlib

    import bot.content.loading

    ours = load_snapshot(knowledge_copy).version
    monkeypatch.setattr(bot.content.loading, "sha256", hashlib.sha256)
    assert load_snapshot(knowledge_copy).version == ours


def test_snapshot_cannot_be_changed_in_place(snapshot):
    with pytest.raises(AttributeError):
        snapshot.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.by_id["new"] = snapshot.entries[0]  # type: ignore[index]


# ---------------------------------------------------------------- broken copies


def break_file(root: Path, name: str, old: str, new: str) -> None:
    path = root / PLAN / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def errors_of(root: Path) -> list[str]:
    snapshot, problems = check_knowledge(root, TODAY)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert snapshot is None and errors
    return errors


def line_of(root: Path, name: str, needle: str) -> int:
    lines = (root / PLAN / name).read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_bad_yaml_names_file_and_line(knowledge_copy):
    break_file(knowledge_copy, "qa.yaml", "    kind: qa\n", "    kind: [qa\n")
    errors = errors_of(knowledge_copy)
    assert any(re.match(rf"error: {PLAN}/qa\.yaml:\d+: not valid YAML", e) for e in errors)


@pytest.mark.parametrize("broken", [b"", b"document:\n  id: [unclosed\n",
                                    b"document:\n  title: \"caf\xe9\"\n"])
def test_a_broken_document_file_is_the_error_not_every_entry_naming_it(knowledge_copy, broken):
    """An empty, unparsable or non-UTF-8 document.yaml: the file is named first, and each
    entry file says once that its entries' document is missing, pointing at it (not one
    error per entry, which buried the cause under 28 lines)."""
    (knowledge_copy / PLAN / "document.yaml").write_bytes(broken)
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    shown = [str(p) for p in problems]
    assert snapshot is None
    assert f"{PLAN}/document.yaml" in shown[0]
    assert any(word in shown[0] for word in ("is empty", "not valid YAML", "not UTF-8"))
    follow_on = shown[1:]
    entry_files = {p.path for p in problems[1:]}
    assert len(follow_on) == len(entry_files) == 5
    assert all("unknown document" in line and f"{PLAN}/document.yaml added nothing" in line
               for line in follow_on)


def test_a_file_that_is_not_utf8_names_the_byte_and_its_line(knowledge_copy):
    path = knowledge_copy / PLAN / "qa.yaml"
    text = path.read_bytes()
    cut = text.index(b"\n", 100) + 1
    path.write_bytes(text[:cut] + b"  # caf\xe9\n" + text[cut:])
    [error] = errors_of(knowledge_copy)
    line = text[:cut].count(b"\n") + 1
    assert error == (f"error: {PLAN}/qa.yaml:{line}: not UTF-8 text: byte 0xe9 at byte "
                     f"{cut + 7:,}; save the file as UTF-8")


def test_unknown_field_is_named_with_its_line_and_a_suggestion(knowledge_copy):
    break_file(knowledge_copy, "talking_points.yaml", "    keywords:", "    keywrods:")
    line = line_of(knowledge_copy, "talking_points.yaml", "keywrods:")
    [error] = errors_of(knowledge_copy)
    assert f"{PLAN}/talking_points.yaml:{line}:" in error
    assert "keywrods" in error and "unknown field" in error and "'keywords'" in error


def test_missing_field(knowledge_copy):
    break_file(knowledge_copy, "sound_bites.yaml", '    section: "Sound bites"\n', "")
    errors = errors_of(knowledge_copy)
    assert any("sound_bites.yaml" in e and ".section: missing required field" in e for e in errors)


def test_wrong_type(knowledge_copy):
    break_file(knowledge_copy, "qa.yaml", "    kind: qa\n", "    kind: qa\n    supporting: 7\n")
    errors = errors_of(knowledge_copy)
    assert any("qa.yaml" in e and ".supporting: must be a list of text, not int 7" in e
               for e in errors)


def test_duplicate_id_across_files(knowledge_copy):
    break_file(knowledge_copy, "qa.yaml", "id: qa-level-2-3", "id: tp-ice-mission")
    errors = errors_of(knowledge_copy)
    assert any("qa.yaml" in e and "duplicate id 'tp-ice-mission'" in e
               and "talking_points.yaml" in e for e in errors)


def test_reference_to_unknown_document(knowledge_copy):
    break_file(knowledge_copy, "qa.yaml", f"document: {PLAN}", "document: no-such-plan")
    line = line_of(knowledge_copy, "qa.yaml", "document: no-such-plan")
    errors = errors_of(knowledge_copy)
    assert any(f"qa.yaml:{line}:" in e and "unknown document 'no-such-plan'" in e
               for e in errors)


def test_empty_text(knowledge_copy):
    path = knowledge_copy / PLAN / "extra.yaml"
    path.write_text(f"entries:\n  - id: empty-one\n    document: {PLAN}\n    kind: talking_point\n"
                    "    title: Empty\n    section: Talking Points\n    text: '   '\n")
    [error] = errors_of(knowledge_copy)
    assert error.startswith(f"error: {PLAN}/extra.yaml:7: ")
    assert error.endswith(".text: must not be empty")


def test_date_that_does_not_parse(knowledge_copy):
    break_file(knowledge_copy, "document.yaml", "date: 2009-04-23", "date: 2009-04-31")
    errors = errors_of(knowledge_copy)
    assert any(f"{PLAN}/document.yaml:5: document.date: '2009-04-31' is not a date" in e
               for e in errors)


def test_unknown_kind_and_time_zone(knowledge_copy):
    break_file(knowledge_copy, "document.yaml", "America/New_York", "America/Gotham")
    break_file(knowledge_copy, "qa.yaml", "kind: qa", "kind: faq")
    errors = errors_of(knowledge_copy)
    assert any("'America/Gotham' is not a known time zone" in e for e in errors)
    assert any("'faq' is not a kind" in e for e in errors)


def test_load_refuses_broken_content_with_every_problem(knowledge_copy):
    break_file(knowledge_copy, "qa.yaml", "kind: qa", "kind: faq")
    with pytest.raises(KnowledgeError) as raised:
        load_snapshot(knowledge_copy)
    assert any("faq" in str(p) for p in raised.value.problems)


def test_expired_content_warns_lists_and_is_never_served(knowledge_copy):
    break_file(knowledge_copy, "document.yaml", "date: 2009-04-23",
               "date: 2009-04-23\n  expires: 2009-05-31")
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    assert snapshot is not None
    assert any(p.severity == "warning" and "expired on 2009-05-31" in p.message for p in problems)
    assert snapshot.entries and not snapshot.served(TODAY)
    assert len(snapshot.served(dt.date(2009, 4, 27))) == len(snapshot.entries)


# ---------------------------------------------------------------- rules of a kind, or of two fields


def write_entry(root: Path, entry_yaml: str) -> None:
    """One extra entry in its own file; `entry_yaml` is its fields, four-space indented."""
    (root / PLAN / "extra.yaml").write_text(
        f"entries:\n  - id: new-one\n    document: {PLAN}\n    title: New\n"
        f"    section: New section\n    text: Approved words.\n    source_check: none\n"
        f"    approved_by: Test author\n    approved_on: 2009-04-23\n{entry_yaml}")


@pytest.mark.parametrize("kind, needed, extra", [
    ("qa", "question", "    topic: Anything\n"),
    ("qa", "question", "    question:\n"),  # present, but empty
    ("if_asked", "topic", "    topic:\n"),
    ("if_asked", "topic", "    question: Anything?\n"),
    ("event", "schedule", "    question: Anything?\n    topic: Anything\n"),
])
def test_a_kind_without_what_it_needs_is_an_error(knowledge_copy, kind, needed, extra):
    write_entry(knowledge_copy, f"    kind: {kind}\n{extra}")
    [error] = errors_of(knowledge_copy)
    assert error == (f"error: {PLAN}/extra.yaml:2: entry new-one.{needed}: "
                     f"required for kind {kind}")


@pytest.mark.parametrize("kind, given", [
    ("qa", "    question: Is it new?\n"),
    ("if_asked", "    topic: If asked about new things\n"),
    ("event", "    schedule:\n      as_written: April 27\n      date: 2009-04-27\n"),
    ("talking_point", ""),
])
def test_a_kind_with_what_it_needs_loads(knowledge_copy, kind, given):
    write_entry(knowledge_copy, f"    kind: {kind}\n{given}")
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    assert snapshot is not None, [str(p) for p in problems]
    assert snapshot.by_id["new-one"].kind == kind


def test_a_schedule_that_ends_before_it_starts_is_an_error(knowledge_copy):
    write_entry(knowledge_copy, "    kind: media_action\n    schedule:\n"
                "      as_written: April 27-26\n      date: 2009-04-27\n      end: 2009-04-26\n")
    [error] = errors_of(knowledge_copy)
    assert error == (f"error: {PLAN}/extra.yaml:11: entry new-one.schedule.end: "
                     "ends before it starts")


def test_a_schedule_that_ends_the_day_it_starts_loads(knowledge_copy):
    write_entry(knowledge_copy, "    kind: media_action\n    schedule:\n"
                "      as_written: April 27\n      date: 2009-04-27\n      end: 2009-04-27\n")
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    assert snapshot is not None, [str(p) for p in problems]
    assert snapshot.by_id["new-one"].schedule.covers(dt.date(2009, 4, 27))


def test_a_rejected_document_is_named_by_the_entries_that_need_it(knowledge_copy):
    """A document refused for one field (a time zone that is a folder) exists, so
    'unknown document' alone would send the user looking for a typo in the id."""
    break_file(knowledge_copy, "document.yaml", "timezone: America/New_York",
               "timezone: America")
    errors = errors_of(knowledge_copy)
    assert "document.timezone" in errors[0] and "'America'" in errors[0]
    assert len(errors) == 6
    assert all(f"{PLAN}/document.yaml had its document rejected (see above)" in e
               for e in errors[1:])


@pytest.mark.parametrize("target", ["nowhere.yaml", "loop.yaml"])
def test_a_broken_link_to_a_content_file_is_an_error_not_skipped(knowledge_copy, target):
    """A link whose file is gone (or a link to itself) held content; skipping it in
    silence would drop approved entries without a word."""
    (knowledge_copy / PLAN / "loop.yaml").symlink_to(target)
    [error] = errors_of(knowledge_copy)
    assert error.startswith(f"error: {PLAN}/loop.yaml: cannot be read: ")


def test_a_linked_plan_folder_is_named_not_skipped_in_silence(knowledge_copy, tmp_path, capsys):
    """A link to a folder is not followed (a ConfigMap's hidden links must not load twice),
    but an admin who links a plan in got "OK" and none of its answers."""
    from bot.cli import main
    elsewhere = tmp_path / "elsewhere"
    (knowledge_copy / PLAN).rename(elsewhere)
    (knowledge_copy / "other").mkdir()
    (knowledge_copy / "other" / "plan").symlink_to(elsewhere)
    assert main(["validate", str(knowledge_copy)]) in (0, 1)
    printed = capsys.readouterr()
    assert "warning: other/plan: a link to a folder is not read" in printed.out + printed.err
