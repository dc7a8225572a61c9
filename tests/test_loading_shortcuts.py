"""Loading's shortcuts change nothing a content author sees: the verbatim check
normalises exactly as before, problems come in the same order with the same words,
and a plan that needs no source is not asked for one.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from pathlib import Path

from bot.content import check_knowledge, load_snapshot
from bot.content.files import knowledge_files
from bot.content.loading import MANY_FILES
from bot.content.source_check import normalise
from conftest import TODAY

PLAN = "ice-secure-communities-2009-04"

_SINGLE = str.maketrans({c: "'" for c in "‘’‚‛′`´"})
_DOUBLE = str.maketrans({c: '"' for c in "“”„‟″«»"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_MARKER = re.compile(r"(?m)^[ \t]*(?:[-*+•◦▪▫‣●○■□]|\(?\d{1,2}[.)]|\(?[a-z][.)])[ \t]+")


def normalise_as_specified(text: str) -> str:
    """The verbatim check's normalisation written plainly, every step on every text."""
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    text = _MARKER.sub("", text)
    text = text.translate(_SINGLE).translate(_DOUBLE).translate(_DASHES)
    return re.sub(r"\s+", " ", text).strip()


PIECES = list("ab Z1.2)(-*+•◦▪ \t\n\r\x0b\x0c\x1c\x85\u2028\u3000\ufeff\u00a0\u200b"
              "‘’`´“”«»–—−\"'é") + ["a) ", "12. ", "- ", "\n- ", " (3) ", "\n  • "]


def test_normalise_is_the_plain_definition_on_any_text():
    rng = random.Random(16)
    for _ in range(30_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 20)))
        assert normalise(text) == normalise_as_specified(text), repr(text)


def test_problems_keep_their_order_unknown_fields_then_the_specs(knowledge_copy):
    (knowledge_copy / PLAN / "odd.yaml").write_text(
        f"entries:\n  - id: odd\n    zzz: 1\n    document: {PLAN}\n    kind: nonsense\n"
        "    keywords: [fine, '  ']\n    aaa: 2\n")
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    assert snapshot is None
    assert [(p.line, p.field, p.message.split(";")[0]) for p in problems
            if p.severity == "error"] == [
        (3, "entry odd.zzz", "unknown field"),
        (7, "entry odd.aaa", "unknown field"),
        (5, "entry odd.kind", "'nonsense' is not a kind"),
        (2, "entry odd.title", "missing required field"),
        (2, "entry odd.section", "missing required field"),
        (2, "entry odd.text", "missing required field"),
        (6, "entry odd.keywords", "item 2 must not be empty"),  # which one, not the list
    ]


def test_a_plan_whose_entries_all_opt_out_needs_no_source(knowledge_copy):
    plan = knowledge_copy / "no-source-plan"
    plan.mkdir()
    (plan / "document.yaml").write_text(
        "document:\n  id: no-source-plan\n  title: A plan with no source\n  office: Office\n"
        "  date: 2026-11-01\n  timezone: America/New_York\n  review_by: 2027-01-01\n"
        "  contact: {name: Press Office, phone: 555-0100}\n"
        "entries:\n  - id: tp-without-source\n    document: no-source-plan\n"
        "    kind: talking_point\n    title: Words\n    section: Talking points\n"
        "    text: Words approved by hand.\n    source_check: none\n"
        "    approved_by: Gillian Brigham\n    approved_on: 2026-11-02\n")
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert snapshot is not None and snapshot.by_id["tp-without-source"]


def test_an_empty_required_field_is_a_problem_an_empty_optional_one_is_not(knowledge_copy):
    """An empty required field is a problem on its line; an empty optional one is none
    (held here for any quicker way of checking a mapping's fields)."""
    (knowledge_copy / PLAN / "empty.yaml").write_text(
        f"entries:\n  - id: empty-text\n    document: {PLAN}\n    kind: background\n"
        "    title: A title\n    section: Background\n    text:\n    notes:\n"
        f"  - id: empty-note\n    document: {PLAN}\n    kind: background\n"
        "    title: A title\n    section: Background\n    text: Words\n    notes:\n")
    snapshot, problems = check_knowledge(knowledge_copy, TODAY)
    assert snapshot is None
    assert [(p.path.rsplit("/", 1)[-1], p.line, p.field, p.message.split(":")[0])
            for p in problems if p.severity == "error" and p.path.endswith("empty.yaml")] == [
        ("empty.yaml", 7, "entry empty-text.text", "must not be empty"),
        # its fields passed (an empty note is none); its words are checked against the source
        ("empty.yaml", 14, "entry empty-note.text", "not as the source has it"),
    ]


def test_the_version_is_the_sha256_of_each_file_path_and_bytes_however_many_files(
        knowledge_copy):
    """Few files are hashed by CPython's SHA-256, many by OpenSSL's: the same version."""
    def expected() -> str:
        digest = hashlib.sha256()
        for path in knowledge_files(knowledge_copy):
            for part in (str(path.relative_to(knowledge_copy)).encode(), b"\0",
                         path.read_bytes(), b"\0"):
                digest.update(part)
        return digest.hexdigest()[:12]

    few = load_snapshot(knowledge_copy).version
    assert few == expected()
    for number in range(MANY_FILES + 1):
        (knowledge_copy / f"more-{number:02}.yaml").write_text(
            f"synonyms:\n  - [word{number}a, word{number}b]\n")
    many = load_snapshot(knowledge_copy).version
    assert many == expected() != few


def files_as_rglob_finds_them(directory: Path) -> list[Path]:
    """knowledge_files as first written: every path rglob("*") finds, filtered."""
    below = len(directory.parts)
    return sorted(
        path for path in directory.rglob("*")
        if path.suffix in (".yaml", ".yml")
        and not any(part.startswith(".") for part in path.parts[below:])
        and (path.is_file() or path.is_symlink()))


def test_the_content_files_are_the_ones_rglob_finds(tmp_path, monkeypatch):
    """Hidden files and folders, links to files, folders and nowhere, a link to itself,
    a folder and a pipe named .yaml, names that only look like YAML, a ConfigMap's layout."""
    root = tmp_path / "knowledge"
    for name in ("plan/a.yaml", "plan/b.yml", "plan/.hidden.yaml", "plan/.cache/c.yaml",
                 "plan/deep/er/d.yaml", "plan/e.yaml.", "plan/f.YAML", "plan/source.txt",
                 "folder.yaml/g.yaml", "elsewhere/h.yaml", "x.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("synonyms: []\n")
    (root / "plan" / "to-file.yaml").symlink_to(root / "x.yaml")
    (root / "plan" / "to-nowhere.yaml").symlink_to(root / "gone.yaml")
    (root / "plan" / "loop.yaml").symlink_to(root / "plan" / "loop.yaml")
    (root / "plan" / "to-folder").symlink_to(root / "elsewhere")
    (root / "plan" / "to-folder.yaml").symlink_to(root / "elsewhere")
    os.mkfifo(root / "plan" / "pipe.yaml")
    stamped = root / "configmap" / "..2026_11_26_06_00_00.1"
    stamped.mkdir(parents=True)
    (stamped / "i.yaml").write_text("synonyms: []\n")
    (root / "configmap" / "..data").symlink_to(stamped.name)
    (root / "configmap" / "i.yaml").symlink_to("..data/i.yaml")
    found = knowledge_files(root)
    assert found == files_as_rglob_finds_them(root)
    assert {path.name for path in found} >= {"a.yaml", "b.yml", "d.yaml", "g.yaml", "i.yaml",
                                             "to-nowhere.yaml", "loop.yaml", "to-folder.yaml"}
    monkeypatch.chdir(root)
    assert knowledge_files(Path(".")) == files_as_rglob_finds_them(Path("."))
    assert knowledge_files(Path("plan")) == files_as_rglob_finds_them(Path("plan"))
