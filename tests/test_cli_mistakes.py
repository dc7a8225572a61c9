"""Ordinary command-line mistakes: one clear line and exit 2, never a traceback (issue 13).

Driven through the installed `facts-bot` script, as a user types it.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.store import AuditRecord, QueryRecord, open_store
from test_cli import FACTS_BOT, run

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    message = done.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    return message


def query(text: str, minute: int = 0, day: int = 0) -> QueryRecord:
    return QueryRecord(ts=T0 + dt.timedelta(days=day, minutes=minute), request_id=f"r{minute}",
                       user_id="U1", user_name="pat", channel_id="C1", team_id="T1", text=text,
                       status="no_match", top_id=None, top_score=None, shown_ids=(),
                       content_version="v1", latency_ms=1.0, source="slack")


def audit(kind: str, detail: dict, day: int = 0) -> AuditRecord:
    return AuditRecord(ts=T0 + dt.timedelta(days=day), kind=kind, user_id="U1",
                       user_name="pat", channel_id="C1", team_id="T1", request_id="r1",
                       detail=detail, content_version="v1")


def make_log(path: Path, queries=(), audits=()) -> Path:
    async def write() -> None:
        async with open_store(str(path)) as store:
            await asyncio.gather(*(store.record_query(q) for q in queries))
            await asyncio.gather(*(store.record_audit(a) for a in audits))
    asyncio.run(write())
    return path


# ------------------------------------------------------------ item 9


def test_batch_of_a_missing_file_or_a_folder_is_one_line(tmp_path):
    missing = one_line_error(run("ask", "--json", "--batch", str(tmp_path / "nope.txt")))
    assert "nope.txt" in missing and "no such file" in missing
    folder = one_line_error(run("ask", "--json", "--batch", str(tmp_path)))
    assert "folder" in folder


def test_batch_with_bytes_that_are_not_utf8_reads_them_as_stdin_does(tmp_path):
    batch = tmp_path / "queries.txt"
    batch.write_bytes(b"traffic offenses\ncaf\xe9 profiling\n")
    from_file = subprocess.run([FACTS_BOT, "ask", "--json", "--batch", str(batch)],
                               capture_output=True, timeout=60)
    from_stdin = subprocess.run([FACTS_BOT, "ask", "--json", "--batch", "-"],
                                input=batch.read_bytes(), capture_output=True, timeout=60)
    for done in (from_file, from_stdin):
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
        assert [line["query"] for line in lines] == ["traffic offenses", "caf\ufffd profiling"]


def test_log_into_a_pipe_closed_early_is_one_line(tmp_path):
    db = make_log(tmp_path / "facts.db", [query(f"question number {n} " + "x" * 60, n)
                                          for n in range(3000)])
    process = subprocess.Popen([FACTS_BOT, "log"], env={**os.environ, "FACTS_DB": str(db)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(b"time (UTC)")
    process.stdout.close()  # `| head -1`
    _, stderr = process.communicate(timeout=60)
    message = stderr.decode().strip()
    assert process.returncode == 2 and "Traceback" not in message, message
    assert len(message.splitlines()) == 1 and "output closed early" in message


def test_review_html_into_a_missing_folder_is_one_line(tmp_path):
    db = make_log(tmp_path / "facts.db", [query("parking")])
    done = run("review", "--html", str(tmp_path / "no" / "such" / "report.html"),
               env={"FACTS_DB": str(db)})
    assert "does not exist" in one_line_error(done)


def test_serve_with_a_read_only_database_is_one_line(tmp_path, small_tmpfs):
    db = make_log(small_tmpfs.path / "facts.db", [query("parking")])
    small_tmpfs.remount("ro")
    done = run("serve", env={"FACTS_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-test",
                             "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/",
                             "FACTS_PORT": "0"})
    message = one_line_error(done)
    assert "FACTS_DB" in message and "facts.db" in message


# ------------------------------------------------------------ item 10


def test_reading_the_log_never_creates_a_database(tmp_path):
    mistyped = tmp_path / "var" / "lib" / "facst-bot" / "facts.db"
    for args in (("log",), ("log", "--audit"), ("log", "purge", "--before", "2030-01-01")):
        message = one_line_error(run(*args, env={"FACTS_DB": str(mistyped)}))
        assert "no query log" in message and str(mistyped) in message
    sqlite_url = one_line_error(run("log", env={"FACTS_DB": f"sqlite:///{mistyped}"}))
    assert "no query log" in sqlite_url
    asked = run("ask", "DUI", env={"FACTS_DB": str(mistyped)})  # reads re-approvals from it
    assert asked.returncode == 0 and "no query log" in asked.stderr
    assert not (tmp_path / "var").exists()


# ------------------------------------------------------------ item 11


def test_log_audit_shows_clicks_shares_refusals_and_reloads(tmp_path):
    db = make_log(tmp_path / "facts.db", audits=[
        audit("share", {"entry_id": "tp-dui"}), audit("refusal", {"command": "reload"}, 1),
        audit("reload", {"ok": True, "version": "abc"}, 2)])
    env = {"FACTS_DB": str(db)}
    table = run("log", "--audit", env=env)
    assert table.returncode == 0, table.stderr
    assert "share" in table.stdout and "tp-dui" in table.stdout and "(3 rows)" in table.stdout
    rows = [json.loads(line) for line in run("log", "--audit", "--format", "jsonl",
                                             env=env).stdout.splitlines()]
    assert [r["kind"] for r in rows] == ["share", "refusal", "reload"]
    assert rows[1]["detail"] == {"command": "reload"}
    only = run("log", "--audit", "--kind", "refusal", "--format", "csv", env=env).stdout
    [row] = list(csv.DictReader(io.StringIO(only)))
    assert row["kind"] == "refusal" and json.loads(row["detail"]) == {"command": "reload"}
    since = run("log", "--audit", "--since", "2026-11-21", "--until", "2026-11-21", env=env)
    assert "refusal" in since.stdout and "(1 row)" in since.stdout


# ------------------------------------------------------------ item 12


def test_purge_says_how_many_and_asks_first(tmp_path):
    db = make_log(tmp_path / "facts.db", [query("old", 0), query("newer", 1, day=30)],
                  [audit("share", {})])
    env = {"FACTS_DB": str(db)}
    refused = run("log", "purge", "--before", "2030-01-01", env=env, stdin="")
    assert "3 log row(s)" in one_line_error(refused) and "--yes" in refused.stderr
    assert len(run("log", "--format", "jsonl", env=env).stdout.splitlines()) == 2
    done = run("log", "purge", "--before", "2026-12-01", "--yes", env=env)
    assert done.returncode == 0 and "purged 2 row(s)" in done.stdout
    assert [json.loads(line)["text"] for line in
            run("log", "--format", "jsonl", env=env).stdout.splitlines()] == ["newer"]


def test_purge_on_a_terminal_deletes_only_after_yes(tmp_path):
    from bot.cli.log import purge

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    async def scenario() -> tuple[int, int, int, list[str]]:
        async with open_store(str(tmp_path / "facts.db")) as store:
            await store.record_query(query("old"))
            asked: list[str] = []
            no = purge(store, dt.date(2030, 1, 1), False,
                       ask=lambda q: asked.append(q) or "n", stdin=Terminal())
            kept = len(list(store.query_rows()))
            yes = purge(store, dt.date(2030, 1, 1), False, ask=lambda q: "y", stdin=Terminal())
            return no, kept, yes, asked
    no, kept, yes, asked = asyncio.run(scenario())
    assert (no, kept, yes) == (1, 1, 0)
    assert asked == ["Delete 1 log row(s) (queries and audit) logged before 2030-01-01? [y/N] "]


# ------------------------------------------------------------ item 13


def test_a_yaml_error_in_the_settings_file_never_prints_the_value(tmp_path):
    settings = tmp_path / "settings.yaml"
    settings.write_text("SLACK_SIGNING_SECRET: s3cr3t-signing\n"
                        "SLACK_BOT_TOKEN: 'xoxb-very-secret-token\n")
    done = run("serve", env={"FACTS_SETTINGS": str(settings), "SLACK_BOT_TOKEN": ""})
    message = one_line_error(done)
    assert str(settings) in message and "line" in message or ":2" in message
    assert "xoxb" not in message and "secret" not in message


# ------------------------------------------------------------ item 14


def test_version():
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("facts-bot ")


def test_batch_with_extra_words_is_refused(tmp_path):
    batch = tmp_path / "q.txt"
    batch.write_text("DUI\n")
    message = one_line_error(run("ask", "--json", "--batch", str(batch), "extra", "words"))
    assert "extra words" in message


# ------------------------------------------------------------ item 4


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tindent", "\rreturn"]


def test_csv_export_neutralises_formulas(tmp_path):
    db = make_log(tmp_path / "facts.db", [query(text, n) for n, text in enumerate(FORMULAS)],
                  [audit("feedback", {"query": "=cmd"})])
    exported = subprocess.run([FACTS_BOT, "log", "--format", "csv"], capture_output=True,
                              env={**os.environ, "FACTS_DB": str(db)}, timeout=60)
    rows = list(csv.DictReader(io.StringIO(exported.stdout.decode(), newline="")))
    assert [row["text"] for row in rows] == ["'" + text for text in FORMULAS]
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r"))
               for row in rows for value in row.values())
    audited = run("log", "--audit", "--format", "csv", env={"FACTS_DB": str(db)})
    [row] = list(csv.DictReader(io.StringIO(audited.stdout, newline="")))
    assert row["detail"] == '{"query": "=cmd"}'  # JSON text: starts with {, nothing to run


@pytest.mark.parametrize("value", ["plain", "", "a=b", "1-2"])
def test_csv_leaves_ordinary_text_alone(value):
    from bot.cli.log import csv_cell
    assert csv_cell(value) == value


# ------------------------------------------------------------ item 6, from the command line


def test_ask_reads_the_first_500_characters_and_says_so(tmp_path):
    long = "traffic offenses " + "x" * 100_000
    out = json.loads(run("ask", "--json", long).stdout)
    assert len(out["query"]) == 500 and out["query_truncated"] is True
    plain = run("ask", long)
    assert plain.returncode == 0 and "Only the first 500 characters" in plain.stdout
    batch = tmp_path / "q.txt"
    batch.write_text(long + "\nDUI\n")
    lines = [json.loads(line) for line in
             run("ask", "--json", "--batch", str(batch)).stdout.splitlines()]
    assert [len(line["query"]) for line in lines] == [500, 3]
    assert "query_truncated" not in lines[1]


async def test_serve_starts_without_bolts_token_warning(slack, tmp_path):
    import signal as signals

    from test_serve import start_serve
    server = await start_serve(slack, tmp_path)  # SLACK_BOT_TOKEN is in its environment
    server.process.send_signal(signals.SIGTERM)
    assert await asyncio.wait_for(server.process.wait(), 30) == 0
    stderr = (await server.process.stderr.read()).decode()
    assert "will be unused" not in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("args, blamed", [
    (("ask", "-x", "racial", "profiling"), "facts-bot ask"),
    (("validate", "--nope"), "facts-bot validate"),
    (("--nope", "ask", "racial"), "facts-bot"),  # before the command: the program's own
])
def test_an_unknown_option_shows_the_usage_of_the_command_it_was_given_to(args, blamed):
    done = run(*args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    usage, error = done.stderr.strip().splitlines()[0], done.stderr.strip().splitlines()[-1]
    assert usage.startswith(f"usage: {blamed} [-h]")
    unknown = args[0] if blamed == "facts-bot" else args[1]
    assert error == f"{blamed}: error: unrecognized arguments: {unknown}"


@pytest.mark.parametrize("option, value, said", [
    ("--review-days", "99999999", "--review-days"),
    ("--timezone", "Mars/Base", "--timezone"),
])
def test_import_with_an_impossible_option_is_refused_and_writes_nothing(tmp_path, option,
                                                                        value, said):
    """A review period past year 9999 was a traceback; an unknown zone wrote a draft that
    could not validate. Both are argument mistakes: usage, then one line naming it."""
    source = tmp_path / "plan.md"
    source.write_text("# Harbor media plan\n\nMay 2, 2025\n\nContact: Al Reyes, 555-010-2000\n\n"
                      "## Sound bites\n\n- Dredging keeps the port open.\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run("import", str(source), "--out", str(out), option, value)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith(f"facts-bot import: error: argument {said}: {value!r} ")
    assert not out.exists()
