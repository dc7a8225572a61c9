"""`facts-bot check`, run as a user (or a CI gate) runs it: the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.cli.check import MAX_DRAFT_BYTES

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
SENTENCE_KEYS = {"text", "status", "entry", "source", "approved_text", "differences"}
COLOR_BLIND = "Secure Communities is a color blind system."
INCEPTION = ("Since its inception in October 2008, Secure Communities has identified more than "
             "18,000 aliens charged with or convicted of Level 1 crimes, such as murder, rape "
             "and kidnapping — 4,000 of whom have already been removed from the United States.")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([FACTS_BOT, "check", *args], input=stdin, capture_output=True,
                          env={**os.environ, "FACTS_KNOWLEDGE_DIR": ""}, timeout=60)


def test_json_contract_in_draft_order_and_exit_1_when_off_message(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(f"Hi all,\n\n{COLOR_BLIND} {INCEPTION.replace('18,000', '20,000')}\n"
                     "ICE will stop all deportations next year.\n", encoding="utf-8")
    done = run("--json", str(draft))
    assert done.returncode == 1, done.stderr
    out = json.loads(done.stdout)
    assert out["summary"] == {"approved": 1, "changed": 1, "unapproved": 1, "neutral": 1}
    assert [s["status"] for s in out["sentences"]] == ["neutral", "approved", "changed",
                                                      "unapproved"]
    assert all(set(s) == SENTENCE_KEYS for s in out["sentences"])
    approved, changed = out["sentences"][1], out["sentences"][2]
    assert approved["entry"] == "sb-color-blind" and approved["approved_text"] == COLOR_BLIND
    assert approved["source"]["date"] == "2009-04-23" and approved["differences"] == []
    assert changed["approved_text"] == INCEPTION
    assert changed["differences"] == [{"removed": "18,000", "added": "20,000", "kind": "number"}]
    assert out["sentences"][0]["entry"] is None and out["sentences"][0]["source"] is None


def test_stdin_and_exit_0_when_on_message():
    done = run("-", stdin=f"{COLOR_BLIND}\n{INCEPTION}\n\nThanks,\nPat\n".encode())
    assert done.returncode == 0, done.stderr
    assert "On message" in done.stdout.decode() and "sb-color-blind" in done.stdout.decode()


def test_plain_output_names_the_changed_number_and_the_approved_line():
    done = run("-", stdin=INCEPTION.replace("18,000", "20,000").encode())
    assert done.returncode == 1
    assert "number: approved “18,000”, draft “20,000”" in done.stdout.decode()
    assert "NOT on message" in done.stdout.decode()


def test_unreadable_drafts_are_one_line_errors_with_exit_2(tmp_path):
    cases = {
        "not UTF-8": run("-", stdin=b"Secure \xff\xfe Communities"),
        "UTF-16": run("-", stdin="Secure".encode("utf-16")),
        "empty": run("-", stdin=b" \n\t\n"),
        "binary": run("-", stdin=b"abc\x00def"),
        "huge": run("-", stdin=b"a" * (MAX_DRAFT_BYTES + 1)),
        "missing": run(str(tmp_path / "nope.txt")),
        "a directory": run(str(tmp_path)),
    }
    for case, done in cases.items():
        assert done.returncode == 2, case
        assert done.stdout == b"", case
        lines = done.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("facts-bot check: "), (case, lines)
        assert "Traceback" not in done.stderr.decode(), case


def test_a_byte_order_mark_is_not_part_of_the_first_sentence():
    done = run("--json", "-", stdin=b"\xef\xbb\xbf" + COLOR_BLIND.encode())
    assert done.returncode == 0
    assert json.loads(done.stdout)["sentences"][0]["text"] == COLOR_BLIND


def test_broken_knowledge_is_exit_2(tmp_path):
    (tmp_path / "bad.yaml").write_text("entries: [oops\n", encoding="utf-8")
    done = run("--knowledge", str(tmp_path), "-", stdin=COLOR_BLIND.encode())
    assert done.returncode == 2
    assert len(done.stderr.decode().strip().splitlines()) == 1
