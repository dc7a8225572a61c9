"""`facts-bot log`: the query log as the communications team exports it.

Run as a user runs it (the installed console script, FACTS_DB naming the log):
whole UTC days with both ends included, every id column in the CSV where a
spreadsheet can join on it, and user-typed text that a spreadsheet would run
as a formula kept inert.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import QueryRecord, open_store

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
DAY = datetime(2009, 4, 27, tzinfo=UTC)  # --until / --since 2009-04-27


def record(text: str, ts: datetime, n: int = 0, **changes) -> QueryRecord:
    fields = dict(ts=ts, request_id=f"req-{n}", user_id=f"U{n:04d}", user_name="pat.press",
                  channel_id=f"C{n:04d}", team_id=f"T{n:04d}", text=text, status="answer",
                  top_id="tp-drug-dui-charges", top_score=88.5,
                  shown_ids=("tp-drug-dui-charges", "tp-greatest-threat"),
                  content_version="abc123def456", latency_ms=3.25, source="slack")
    return QueryRecord(**{**fields, **changes})


async def seed(db: Path, records: list[QueryRecord]) -> None:
    async with open_store(str(db)) as store:
        for row in records:
            await store.record_query(row)


def log(db: Path, *args: str) -> str:
    done = subprocess.run([FACTS_BOT, "log", *args], capture_output=True, text=True,
                          env={**os.environ, "FACTS_DB": str(db)}, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
async def edges(tmp_path: Path) -> Path:
    """Rows a microsecond either side of the two midnights around DAY."""
    db = tmp_path / "facts.db"
    await seed(db, [
        record("the day before, last moment", DAY - timedelta(microseconds=1), 1),
        record("the day, first moment", DAY, 2),
        record("the day, last moment", DAY + timedelta(days=1, microseconds=-1), 3),
        record("the day after, first moment", DAY + timedelta(days=1), 4),
    ])
    return db


def texts(jsonl: str) -> list[str]:
    return [json.loads(line)["text"] for line in jsonl.splitlines()]


def test_until_includes_the_whole_of_its_day(edges):
    assert texts(log(edges, "--until", "2009-04-27", "--format", "jsonl")) == [
        "the day before, last moment", "the day, first moment", "the day, last moment"]


def test_since_starts_at_the_first_moment_of_its_day(edges):
    assert texts(log(edges, "--since", "2009-04-27", "--format", "jsonl")) == [
        "the day, first moment", "the day, last moment", "the day after, first moment"]


def test_since_and_until_the_same_day_is_that_whole_day(edges):
    one_day = log(edges, "--since", "2009-04-27", "--until", "2009-04-27", "--format", "csv")
    assert [row["text"] for row in csv.DictReader(io.StringIO(one_day))] == [
        "the day, first moment", "the day, last moment"]
    assert "(2 rows)" in log(edges, "--since", "2009-04-27", "--until", "2009-04-27")


async def test_csv_has_every_id_column_a_spreadsheet_joins_on(tmp_path):
    db = tmp_path / "facts.db"
    await seed(db, [record('a "quoted", multi-line\nquestion', DAY, 7),
                    record("parking at headquarters", DAY + timedelta(hours=1), 8,
                           status="no_match", top_id=None, top_score=None, shown_ids=())])
    rows = list(csv.DictReader(io.StringIO(log(db, "--format", "csv"))))
    assert list(rows[0]) == ["ts", "request_id", "user_id", "user_name", "channel_id",
                             "team_id", "text", "status", "top_id", "top_score", "shown_ids",
                             "content_version", "latency_ms", "source"]
    answered, unanswered = rows
    assert {key: answered[key] for key in ("request_id", "user_id", "channel_id", "team_id",
                                           "top_id", "shown_ids", "content_version")} == {
        "request_id": "req-7", "user_id": "U0007", "channel_id": "C0007", "team_id": "T0007",
        "top_id": "tp-drug-dui-charges", "shown_ids": "tp-drug-dui-charges tp-greatest-threat",
        "content_version": "abc123def456"}
    assert answered["text"] == 'a "quoted", multi-line\nquestion'
    assert answered["ts"] == DAY.isoformat() and float(answered["top_score"]) == 88.5
    assert (unanswered["request_id"], unanswered["status"]) == ("req-8", "no_match")
    assert (unanswered["top_id"], unanswered["top_score"], unanswered["shown_ids"]) == ("", "", "")


async def test_csv_keeps_formula_like_text_inert(tmp_path):
    """Whatever a user types must not run when the export is opened in a spreadsheet."""
    db = tmp_path / "facts.db"
    typed = ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0",
             "-2+3", "@SUM(A1:A9)", "\t=1+1", "plain question"]
    await seed(db, [record(text, DAY + timedelta(seconds=n), n, user_name=text)
                    for n, text in enumerate(typed)])
    rows = list(csv.DictReader(io.StringIO(log(db, "--format", "csv"))))
    for row, text in zip(rows, typed, strict=True):
        for cell in (row["text"], row["user_name"]):
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
            assert cell.removeprefix("'") == text  # nothing else changed
    assert rows[-1]["text"] == "plain question"
    exact = [json.loads(line)["text"] for line in log(db, "--format", "jsonl").splitlines()]
    assert exact == typed  # JSON lines keep the text exactly
