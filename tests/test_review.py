"""The review of the query log, as the communications team and the admins see it."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import re
import sqlite3
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.content import check_knowledge
from bot.review.gaps import QueryTally, find_gaps, gaps_yaml, query_key
from bot.review.html import render_html
from bot.review.privacy import Pseudonymizer, pseudonymizer_for, purge_expired
from bot.review.summary import summarize, summarize_store
from bot.review.text import render_text, stats_mrkdwn
from bot.service.settings import ConfigError, Settings
from bot.store import AuditRecord, QueryRecord, open_store
from conftest import TODAY

FACTS_BOT = Path(sys.executable).with_name("facts-bot")
T0 = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
XSS = "<script>alert('x')</script> & co"


def query(text: str, status: str = "no_match", *, day: int = 0, minute: int = 0,
          top_id: str | None = None, score: float | None = None, channel: str = "C1",
          user: str = "U1", name: str = "Ann Officer") -> QueryRecord:
    return QueryRecord(
        ts=T0 + dt.timedelta(days=day, minutes=minute), request_id=f"r-{day}-{minute}",
        user_id=user, user_name=name, channel_id=channel, team_id="T1", text=text,
        status=status, top_id=top_id, top_score=score, shown_ids=(top_id,) if top_id else (),
        content_version="v1", latency_ms=3.0, source="slack")


def audit(kind: str, detail: dict, *, day: int = 0, user: str = "U1") -> AuditRecord:
    return AuditRecord(ts=T0 + dt.timedelta(days=day), kind=kind, user_id=user,
                       user_name="Ann Officer", channel_id="C1", team_id="T1",
                       request_id=f"a-{day}", detail=detail, content_version="v1")


def unhelpful(entry_id: str, text: str, day: int = 0) -> AuditRecord:
    return audit("feedback", {"helpful": False, "entry_id": entry_id, "query": text,
                              "query_request_id": "r"}, day=day)


# A week of use: day 2 is quiet; typo and word-order variants of the same unanswered
# questions; one query that tries to inject markup.
SEED_QUERIES = [
    query("racial profiling", "answer", day=0, top_id="sb-color-blind", score=95, user="U1"),
    query("Racial profiling?", "answer", day=0, minute=1, top_id="sb-color-blind", score=93,
          user="U2", channel="C2"),
    query("profiling, racial", "answer", day=1, top_id="sb-color-blind", score=95, user="U3"),
    query("fingerprints", "answer", day=1, minute=1, top_id="tp-biometrics", score=75),
    query("weather in Miami tomorrow", day=0, minute=2, user="U2"),
    query("Weather in miami tomorow?", day=3),
    query("tomorrow: weather, Miami", day=4, channel="C2"),
    query("fingerprint errors at the FBI", day=1, minute=2),
    query("FBI fingerprint errors", day=3, minute=1),
    query("fingreprint errors at the fbi", day=4, minute=1, channel="C2"),
    query("how accurate are the fingerprint checks", "suggestions", day=3, minute=2,
          top_id="tp-biometrics", score=68.8),
    query(XSS, day=4, minute=2),
    query("help", "help", day=4, minute=3),
]
SEED_AUDITS = [
    unhelpful("sb-color-blind", "racial profiling", day=0),
    audit("feedback", {"helpful": True, "entry_id": "sb-color-blind", "query": "racial profiling",
                       "query_request_id": "r"}, day=1, user="U2"),  # another person
    audit("share", {"entry_id": "sb-color-blind"}, day=1),
    audit("reload", {"ok": True, "version": "v2", "added": 1, "removed": 0, "changed": 0},
          day=3),
]


async def seed(path: Path, queries=SEED_QUERIES, audits=SEED_AUDITS) -> None:
    store = open_store(path)
    try:
        for record in queries:
            await store.record_query(record)
        for record in audits:
            await store.record_audit(record)
    finally:
        await store.close()


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "log.db"
    await seed(path)
    return path


@pytest.fixture
async def summary(db: Path):
    store = open_store(db)
    try:
        yield summarize_store(store)
    finally:
        await store.close()


# ---------------------------------------------------------------- summary


def test_summary_counts_lookups_outcomes_and_people(summary) -> None:
    assert summary.lookups == 12  # the help request is not a lookup...
    assert summary.other_uses == {"help": 1}  # ...but is counted apart
    assert summary.outcomes == {"answer": 4, "suggestions": 1, "no_match": 7}
    assert summary.share("no_match") == pytest.approx(7 / 12)
    assert summary.low_confidence_answers == 1  # "fingerprints", score 75
    assert summary.people == 3


def test_summary_has_every_day_including_quiet_ones(summary) -> None:
    days = {d.day.isoformat(): d.total for d in summary.per_day}
    assert days == {"2026-11-18": 3, "2026-11-19": 3, "2026-11-20": 0, "2026-11-21": 3,
                    "2026-11-22": 3}


def test_most_asked_counts_case_punctuation_and_order_variants_together(summary) -> None:
    top = summary.top_queries[0]
    assert (top.text, top.count, top.outcomes) == ("racial profiling", 3, {"answer": 3})


def test_most_served_entries_channels_and_unhelpful_answers(summary) -> None:
    assert summary.top_entries == (("sb-color-blind", 3), ("tp-biometrics", 1))
    assert summary.channels == (("C1", 10), ("C2", 3))  # every use, help included
    assert (summary.helpful, summary.not_helpful) == (1, 1)
    assert [(u.entry_id, u.query, u.count) for u in summary.unhelpful] == [
        ("sb-color-blind", "racial profiling", 1)]
    assert summary.audit_counts == {"feedback": 2, "share": 1, "reload": 1}


async def test_since_and_until_limit_the_review(db: Path) -> None:
    store = open_store(db)
    try:
        summary = summarize_store(store, since=T0 + dt.timedelta(days=3),
                                  until=T0 + dt.timedelta(days=4))
    finally:
        await store.close()
    assert summary.lookups == 3
    assert [d.day.isoformat() for d in summary.per_day] == ["2026-11-21"]


def test_terminal_report_reads_as_a_summary(summary, index) -> None:
    gaps = find_gaps(summary.gap_queries, index, TODAY)
    text = render_text(summary, gaps, {"sb-color-blind": "Secure Communities is color blind"})
    assert "12 lookups by 3 people" in text
    assert "No approved answer    58%" in text
    assert "sb-color-blind  (Secure Communities is color blind)" in text
    assert 'not helpful: sb-color-blind (Secure Communities is color blind) for "racial' in text
    assert "weather in Miami tomorrow" in text


# ---------------------------------------------------------------- gaps


def tallies_of(texts: list[str]) -> dict[str, QueryTally]:
    tallies: dict[str, QueryTally] = {}
    for number, text in enumerate(texts):
        ts = T0 + dt.timedelta(hours=number)
        tallies.setdefault(query_key(text), QueryTally.start(ts)).add(text, ts, "no_match")
    return tallies


def test_gaps_group_typos_and_word_order_and_keep_unrelated_apart() -> None:
    gaps = find_gaps(tallies_of([
        "weather in Miami tomorrow", "Weather in miami tomorow?", "tomorrow weather Miami",
        "weather in Miami tomorrow", "secure communities budget",
        "budget of secure comunities", "are children deported", "deportaton of children",
        "racial profiling in Miami", "weather in Atlanta",
    ]), None, TODAY)
    groups = [sorted(text for text, _ in gap.phrasings) for gap in gaps]
    assert groups[0] == ["Weather in miami tomorow?", "tomorrow weather Miami",
                         "weather in Miami tomorrow"]  # the largest group comes first
    assert sorted(groups) == [
        ["Weather in miami tomorow?", "tomorrow weather Miami", "weather in Miami tomorrow"],
        ["are children deported", "deportaton of children"],
        ["budget of secure comunities", "secure communities budget"],
        ["racial profiling in Miami"],
        ["weather in Atlanta"],
    ]
    assert gaps[0].count == 4
    assert gaps[0].phrasings[0] == ("weather in Miami tomorrow", 2)  # most asked first


def test_each_gap_has_dates_outcomes_and_the_closest_entry(summary, index) -> None:
    gaps = find_gaps(summary.gap_queries, index, TODAY)
    fbi = next(g for g in gaps if "fingerprint errors at the FBI" in dict(g.phrasings))
    assert fbi.count == 3
    assert (fbi.first_seen.date(), fbi.last_seen.date()) == (dt.date(2026, 11, 19),
                                                             dt.date(2026, 11, 22))
    assert fbi.outcomes == {"no_match": 3}
    assert fbi.closest is not None and fbi.closest.entry_id == "tp-biometrics"
    today = index.search(fbi.text, TODAY, limit=1)  # what /facts would give for it now
    assert (fbi.closest.score, fbi.closest.status) == (today.results[0].score, today.status)
    assert all(g.text != "fingerprints" for g in gaps)  # answered (scored 75): not a gap
    assert all(g.text != "racial profiling" for g in gaps)  # answered confidently


def test_gaps_yaml_starts_entries_but_never_writes_approved_text(
        summary, index, knowledge_copy: Path) -> None:
    gaps = find_gaps(summary.gap_queries, index, TODAY)
    plan = next(iter(index.snapshot.documents))  # for gaps with no close entry at all
    skeleton = gaps_yaml(gaps, default_document=plan, existing_ids=index.snapshot.by_id)
    entries = yaml.safe_load(skeleton)["entries"]
    assert len(entries) == len(gaps)
    weather = next(e for e in entries if "weather in Miami tomorrow" in e["questions"])
    assert set(weather["questions"]) == {"weather in Miami tomorrow",
                                         "Weather in miami tomorow?", "tomorrow: weather, Miami"}
    assert all(e["text"] == "" for e in entries)
    assert "TO BE WRITTEN by the communications team" in skeleton
    assert any(e["questions"] == [XSS] for e in entries)  # user text survives, quoted

    # Dropped into the knowledge as it is, only the missing text is refused...
    (knowledge_copy / "new.yaml").write_text(skeleton, encoding="utf-8")
    _, problems = check_knowledge(knowledge_copy)
    errors = [p for p in problems if p.severity == "error"]
    assert errors and all(p.field.endswith(".text") for p in errors)

    # ...words an author makes up are refused too (they are in no source document)...
    for entry in entries:
        entry["text"] = "Approved words written by the team."
    (knowledge_copy / "new.yaml").write_text(yaml.safe_dump({"entries": entries}))
    _, problems = check_knowledge(knowledge_copy)
    assert any("are nowhere in" in p.message for p in problems if p.severity == "error")

    # ...and once an author pastes them from the source, the entries load.
    for entry in entries:
        entry["text"] = ("ICE takes any concerns about the Secure Communities strategy "
                         "seriously and is committed to taking action should specific cases "
                         "be identified.")
    (knowledge_copy / "new.yaml").write_text(yaml.safe_dump({"entries": entries}))
    snapshot, problems = check_knowledge(knowledge_copy)
    assert snapshot is not None, [str(p) for p in problems]
    assert weather["id"] in snapshot.by_id


def test_gaps_yaml_for_no_gaps_is_still_valid_yaml() -> None:
    assert yaml.safe_load(gaps_yaml([])) == {"entries": []}


# ---------------------------------------------------------------- Slack


def test_stats_mrkdwn_summarises_and_escapes_user_text(summary, index) -> None:
    gaps = find_gaps(summary.gap_queries, index, TODAY)
    text = stats_mrkdwn(summary, gaps, limit=10)
    assert "12 lookups by 3 people" in text
    assert "No approved answer: *58%* (7)" in text
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; co" in text
    assert "<script>" not in text
    assert "tp-biometrics" in text  # the closest entry of the FBI fingerprint gap
    short = stats_mrkdwn(summary, gaps, limit=1)
    assert short.count("\n2. ") == 0


def test_stats_mrkdwn_for_a_quiet_week() -> None:
    empty = summarize([], [], since=NOW - dt.timedelta(days=7), until=NOW)
    assert "No lookups in this period." in stats_mrkdwn(empty, [], 5)


# ---------------------------------------------------------------- HTML


def test_html_is_self_contained_and_escapes_user_text(summary, index) -> None:
    gaps = find_gaps(summary.gap_queries, index, TODAY)
    page = render_html(summary, gaps, NOW, {e.id: e.title for e in index.entries})
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "url(" not in page and "@import" not in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    assert "<svg" in page and "Questions per day" in page
    assert "Secure Communities is color blind" in page  # entries by title, not only id


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the (filtered) pixel bytes of a PNG, without an image library."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    position, data = 8, b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"IDAT":
            data += png[position + 8:position + 8 + length]
        position += 12 + length
    return width, height, zlib.decompress(data)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                    reason="needs Debian's chromium (apt-get install -y chromium) to render")
def test_html_report_renders_in_headless_chromium(summary, index, tmp_path: Path) -> None:
    gaps = find_gaps(summary.gap_queries, index, TODAY)
    page = tmp_path / "report.html"
    page.write_text(render_html(summary, gaps, NOW), encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
        capture_output=True, timeout=120, check=True)
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 2000)
    assert len(set(pixels)) > 50  # text, charts and colours, not a blank page


# ---------------------------------------------------------------- command line


def facts_bot(*args: str, db: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTS_", "SLACK_"))}
    env["FACTS_DB"] = str(db)
    return subprocess.run([str(FACTS_BOT), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def test_cli_review_prints_the_summary_and_writes_html(db: Path, tmp_path: Path) -> None:
    out = facts_bot("review", "--html", "report.html", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Query log review: 2026-11-18 to 2026-11-22 (UTC)" in out.stdout
    assert "12 lookups by 3 people" in out.stdout
    assert "Gaps:" in out.stdout
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page and "<script" not in page


def test_cli_dates_are_whole_days_with_until_included(db: Path, tmp_path: Path) -> None:
    out = facts_bot("review", "--since", "2026-11-21", "--until", "2026-11-21", db=db,
                    cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "3 lookups" in out.stdout


def test_cli_review_gaps_yaml(db: Path, tmp_path: Path) -> None:
    out = facts_bot("review", "gaps", "--yaml", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    entries = yaml.safe_load(out.stdout)["entries"]
    assert any("fingerprint errors at the FBI" in e["questions"] for e in entries)
    assert all(e["text"] == "" for e in entries)


def test_cli_review_gaps_lists_only_gaps(db: Path, tmp_path: Path) -> None:
    out = facts_bot("review", "gaps", "--limit", "1", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Gaps:")
    assert out.stdout.count(" x \"") == 1


def test_cli_refuses_a_missing_log_and_misplaced_options(tmp_path: Path) -> None:
    missing = facts_bot("review", db=tmp_path / "nope.db", cwd=tmp_path)
    assert missing.returncode == 1 and "no query log" in missing.stderr
    assert not (tmp_path / "nope.db").exists()
    misplaced = facts_bot("review", "--yaml", db=tmp_path / "nope.db", cwd=tmp_path)
    assert misplaced.returncode == 2 and "review gaps --yaml" in misplaced.stderr


# ---------------------------------------------------------------- privacy

KEY = "a-test-key-of-more-than-16-chars"


def test_pseudonyms_are_stable_keyed_and_prefixed() -> None:
    one, other = Pseudonymizer(KEY), Pseudonymizer(KEY + "2")
    assert one.user_id("U012ABC") == one.user_id("U012ABC")
    assert one.user_id("U012ABC").startswith("anon-")
    assert one.user_id("U012ABC") != one.user_id("U012ABD")
    assert one.user_id("U012ABC") != other.user_id("U012ABC")
    assert one.user_name("Ann") != one.user_id("Ann")
    assert one.user_id(one.user_id("U012ABC")) == one.user_id("U012ABC")
    assert KEY not in repr(one)


def test_pseudonymizing_needs_a_real_key() -> None:
    assert pseudonymizer_for(Settings()) is None
    with pytest.raises(ConfigError, match="FACTS_PSEUDONYM_KEY is required"):
        pseudonymizer_for(Settings(log_pseudonymize=True))
    with pytest.raises(ConfigError, match="at least 16"):
        pseudonymizer_for(Settings(log_pseudonymize=True, pseudonym_key="short"))
    assert pseudonymizer_for(Settings(log_pseudonymize=True, pseudonym_key=KEY)) is not None


async def test_pseudonymized_log_never_holds_user_ids_or_names(tmp_path: Path) -> None:
    anon = Pseudonymizer(KEY)
    path = tmp_path / "log.db"
    records = [query("racial profiling", "answer", user="U0SECRET", name="Ann Secret",
                     top_id="sb-color-blind", score=95),
               query("racial profiling", "answer", minute=1, user="U0SECRET",
                     name="Ann Secret", top_id="sb-color-blind", score=95)]
    refusal = dataclasses.replace(audit("refusal", {"command": "reload"}), user_id="U0SECRET",
                                  user_name="Ann Secret")
    await seed(path, [anon.apply(r) for r in records], [anon.apply(refusal)])
    with sqlite3.connect(path) as raw:
        stored = (raw.execute("SELECT user_id, user_name FROM queries").fetchall()
                  + raw.execute("SELECT user_id, user_name FROM audit").fetchall())
        dump = "\n".join(raw.iterdump())
    assert "U0SECRET" not in dump and "Ann Secret" not in dump
    assert all(uid.startswith("anon-") and name.startswith("anon-") for uid, name in stored)
    store = open_store(path)
    try:
        assert summarize_store(store).people == 1  # the same person, counted once
    finally:
        await store.close()


async def test_purge_expired_removes_only_older_queries_and_audit_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    old, recent = NOW - dt.timedelta(days=31), NOW - dt.timedelta(days=29)
    await seed(path,
               [dataclasses.replace(query("old"), ts=old),
                dataclasses.replace(query("recent"), ts=recent)],
               [dataclasses.replace(audit("reload", {"ok": True}), ts=old),
                dataclasses.replace(audit("reload", {"ok": True}), ts=recent)])
    store = open_store(path)
    try:
        assert purge_expired(store, NOW, retention_days=30) == 2
        assert [q.text for q in store.query_rows()] == ["recent"]
        assert [a.ts for a in store.audit_rows()] == [recent]
        assert purge_expired(store, NOW, retention_days=30) == 0
    finally:
        await store.close()


# ---------------------------------------------------------------- what is a gap


def suggestion(text: str, request_id: str, score: float, top_id: str = "tp-biometrics"
               ) -> QueryRecord:
    return replace(query(text, "suggestions", top_id=top_id, score=score),
                   request_id=request_id)


def test_a_gap_is_a_question_with_no_fitting_response(tmp_path: Path) -> None:
    db = tmp_path / "gaps.db"
    asyncio.run(seed(db, queries=[
        query("weather in Miami tomorrow"),  # no match: a gap
        suggestion("racial profiling", "r-topic", 100.0, "sb-color-blind"),  # covered
        suggestion("how accurate are prints", "r-taken", 60.0),  # taken: shown and shared
        suggestion("are the fingerprint checks fair", "r-open", 60.0),  # not taken: a gap
        query("fingerprints", "answer", top_id="tp-biometrics", score=73),  # answered
    ], audits=[
        replace(audit("show", {"entry_id": "tp-biometrics"}), request_id="r-taken"),
    ]))
    out = facts_bot("review", "gaps", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "weather in Miami tomorrow" in out.stdout
    assert "are the fingerprint checks fair" in out.stdout
    for covered in ("racial profiling", "how accurate are prints", '"fingerprints"'):
        assert covered not in out.stdout, covered
    drafted = yaml.safe_load(facts_bot("review", "gaps", "--yaml", db=db, cwd=tmp_path).stdout)
    assert not any("profiling" in e["id"] for e in drafted["entries"])


def test_review_suggest_lists_phrasings_that_led_people_to_an_entry(tmp_path: Path) -> None:
    db = tmp_path / "suggest.db"
    asyncio.run(seed(db, queries=[
        suggestion("can the check dig up an old rap sheet", "r-1", 55.0, "qa-level-2-3"),
        suggestion("Can the check dig up an old rap sheet?", "r-2", 55.0, "qa-level-2-3"),
        suggestion("are fingerprint matches ever wrong", "r-3", 60.0),
        replace(query("traffic offenses", "answer", top_id="tp-drug-dui-charges", score=100),
                request_id="r-4"),
        suggestion("what do drunk drivers get", "r-5", 50.0, "tp-drug-dui-charges"),
    ], audits=[
        replace(audit("share", {"entry_id": "qa-charged-not-convicted"}, user="U7"),
                request_id="r-1"),
        audit("feedback", {"helpful": True, "entry_id": "qa-charged-not-convicted",
                           "query": "x", "query_request_id": "r-2"}, user="U8"),
        audit("feedback", {"helpful": True, "entry_id": "tp-biometrics",
                           "query": "are fingerprint matches ever wrong",
                           "query_request_id": "r-3"}),
        audit("feedback", {"helpful": False, "entry_id": "tp-biometrics",
                           "query": "are fingerprint matches ever wrong",
                           "query_request_id": "r-3"}),
        replace(audit("share", {"entry_id": "tp-drug-dui-charges"}), request_id="r-4"),
    ]))
    out = facts_bot("review", "suggest", "--yaml", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout) == {
        "qa-charged-not-convicted": ["can the check dig up an old rap sheet"]}
    text = facts_bot("review", "suggest", db=db, cwd=tmp_path).stdout
    assert '2 x "can the check dig up an old rap sheet"' in text
