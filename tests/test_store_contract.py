"""The LogStore contract: every backend must pass every test here.

Each test runs twice, as `[sqlite]` and `[postgres]`. The PostgreSQL runs need a server:
set FACTS_TEST_POSTGRES_URL to a postgresql:// URL of a database the tests may create
schemas in (`scripts/postgres-for-tests.sh` starts a throwaway one and prints its URL).
Without it they are skipped, counted with their reason just above pytest's closing line
(tests/conftest.py). Set FACTS_TEST_POSTGRES_REQUIRED=1 (CI does) to turn "server
unreachable" into a failure, so a broken CI database cannot pass as a skip.

Each PostgreSQL test gets a schema of its own (via the URL's search_path), dropped after
the test: a fresh "database" per test without the cost of CREATE DATABASE.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import bot.store
from bot.store import (
    ALERT_FAILED,
    ALERT_OK,
    ALERT_PENDING,
    AuditRecord,
    LogStore,
    QueryRecord,
    SqliteLogStore,
    open_store,
)
from bot.store.sqlite import MIGRATIONS as SQLITE_MIGRATIONS

T0 = datetime(2009, 4, 26, 11, 0, tzinfo=UTC)
PG_ENV = "FACTS_TEST_POSTGRES_URL"
PG_REQUIRED_ENV = "FACTS_TEST_POSTGRES_REQUIRED"


def make_query(i: int = 0, *, ts: datetime | None = None, **overrides: object) -> QueryRecord:
    fields: dict[str, object] = {
        "ts": ts if ts is not None else T0 + timedelta(seconds=i),
        "request_id": f"req-{i}",
        "user_id": f"U{i:05d}",
        "user_name": "Zoë Ñúñez",
        "channel_id": "C123",
        "team_id": "T1",
        "text": f"does secure communities lead to racial profiling? “{i}” ✓ 日本",
        "status": "answer",
        "top_id": "sb-color-blind",
        "top_score": 0.875,
        "shown_ids": ("sb-color-blind", "tp-biometrics"),
        "content_version": "v2009-04-23",
        "latency_ms": 12.5,
        "source": "slack",
    }
    fields.update(overrides)
    return QueryRecord(**fields)  # type: ignore[arg-type]


def make_audit(i: int = 0, *, kind: str = "feedback", **overrides: object) -> AuditRecord:
    fields: dict[str, object] = {
        "ts": T0 + timedelta(seconds=i),
        "kind": kind,
        "user_id": "U1",
        "user_name": "Gillian",
        "channel_id": "C123",
        "team_id": "T1",
        "request_id": f"req-{i}",
        "detail": {"vote": "up", "note": "très utile ✓", "ids": ["a", "b"], "n": 3, "x": None},
        "content_version": "v1",
    }
    fields.update(overrides)
    return AuditRecord(**fields)  # type: ignore[arg-type]


# -- backends ----------------------------------------------------------------------------


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def raw_sql(target: str, sql: str) -> list[tuple[Any, ...]]:
    """Run `sql` on a brand-new driver connection (autocommit): what another process sees."""
    if is_postgres(target):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def count_rows(target: str, table: str) -> int:
    return raw_sql(target, f"SELECT COUNT(*) FROM {table}")[0][0]


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}', safe='')}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL, checked once per session; skips (or fails in CI) without it."""
    url = os.environ.get(PG_ENV, "").strip()
    required = bool(os.environ.get(PG_REQUIRED_ENV))
    where = "<unparseable URL>"
    if not url:
        reason = (
            f"PostgreSQL tests skipped: no server at ${PG_ENV} / set it to run them "
            "(scripts/postgres-for-tests.sh starts one and prints the URL)"
        )
        if required:
            pytest.fail(f"{PG_REQUIRED_ENV} is set but {PG_ENV} is not", pytrace=False)
        pytest.skip(reason)
    try:
        import psycopg

        from bot.store.postgres import redact

        where = redact(url)
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        reason = (
            f"PostgreSQL tests skipped: no server at ${PG_ENV} ({where}): "
            f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        )
        if required:
            pytest.fail(reason.replace("skipped", "required but failed"), pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_target(postgres_url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema; the schema is dropped afterwards."""
    schema = f"facts_test_{uuid.uuid4().hex[:12]}"
    raw_sql(postgres_url, f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(postgres_url, schema)
    finally:
        raw_sql(postgres_url, f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "sqlite-writer-process", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> str:
    """What `open_store` is given: a fresh SQLite file, or a fresh PostgreSQL schema.

    `sqlite-writer-process`: every store these tests open writes its rows from a writer
    process, as `facts-bot serve`'s does (bot/store/writer_process.py).
    """
    if request.param == "sqlite-writer-process":
        monkeypatch.setitem(globals(), "open_store",
                            functools.partial(bot.store.open_store, writer_process=True))
    if request.param.startswith("sqlite"):
        return str(tmp_path / "logs" / "queries.db")
    return request.getfixturevalue("postgres_target")


@pytest.fixture
async def store(store_target: str):
    s = open_store(store_target)
    yield s
    await s.close()


# -- writes ------------------------------------------------------------------------------


async def test_concurrent_writes_all_readable_in_ts_order_with_fields_intact(store):
    recs = [make_query(i) for i in range(500)]
    recs[7] = make_query(7, top_id=None, top_score=None, shown_ids=(), status="no_match")
    recs[8] = make_query(8, text="", shown_ids=["only-one"])  # list in, tuple out
    shuffled = recs[:]
    random.Random(1).shuffle(shuffled)

    await asyncio.gather(*(store.record_query(r) for r in shuffled))

    got = list(store.query_rows())
    assert got == recs  # ordered by ts, every field equal after the round trip
    assert got[7].top_id is None and got[7].top_score is None and got[7].shown_ids == ()
    assert got[8].shown_ids == ("only-one",)
    assert got[0].ts.tzinfo is not None and got[0].ts.utcoffset() == timedelta(0)


async def test_equal_timestamps_read_back_in_write_order(store):
    recs = [make_query(i, ts=T0) for i in range(50)]
    for r in recs:
        await store.record_query(r)
    assert [r.request_id for r in store.query_rows()] == [r.request_id for r in recs]


async def test_row_is_committed_when_record_query_returns(store, store_target):
    await store.record_query(make_query(1))
    # Not closed, nothing flushed by hand: an independent connection already sees it.
    assert count_rows(store_target, "queries") == 1
    await store.record_audit(make_audit(1))
    assert count_rows(store_target, "audit") == 1
    other = open_store(store_target)  # and so does another store, e.g. another replica
    try:
        assert [r.request_id for r in other.query_rows()] == ["req-1"]
    finally:
        await other.close()


async def test_group_commit_shares_transactions(store):
    await asyncio.gather(*(store.record_query(make_query(i)) for i in range(500)))
    assert store.rows_written == 500
    assert 1 <= store.commits <= 25, store.commits


async def test_non_utc_timestamps_are_stored_as_utc_and_sort_correctly(store):
    plus2 = timezone(timedelta(hours=2))
    # 12:30+02:00 is 10:30 UTC: earlier than 11:00 UTC despite the larger wall-clock hour.
    early = make_query(1, ts=datetime(2009, 4, 26, 12, 30, tzinfo=plus2))
    late = make_query(2, ts=T0)
    await store.record_query(late)
    await store.record_query(early)
    got = list(store.query_rows())
    assert [r.request_id for r in got] == ["req-1", "req-2"]
    assert got[0].ts == datetime(2009, 4, 26, 10, 30, tzinfo=UTC)


async def test_a_lone_surrogate_is_stored_as_a_replacement_and_fails_nobody_else(store):
    """Socket Mode payloads are JSON, and JSON can spell half a character ("\\udc80")."""
    bad = make_query(1, text="profiling \udc80?", user_name="\ud800x")
    await asyncio.gather(store.record_query(make_query(0)), store.record_query(bad),
                         store.record_query(make_query(2)),
                         store.record_audit(make_audit(3, user_name="\udfff")))
    assert [r.text for r in store.query_rows()] == [
        make_query(0).text, "profiling \ufffd?", make_query(2).text]
    assert [r.user_name for r in store.query_rows()][1] == "\ufffdx"
    assert [r.user_name for r in store.audit_rows()] == ["\ufffd"]
    assert store.failed_batches == 0


async def test_invalid_records_are_refused_at_the_call_site(store, store_target):
    with pytest.raises(ValueError, match="timezone-aware"):
        make_query(ts=datetime(2009, 4, 26, 11, 0))
    with pytest.raises(ValueError, match="unknown query status"):
        await store.record_query(make_query(status="answered"))
    with pytest.raises(TypeError):
        make_query(shown_ids="sb-color-blind")
    with pytest.raises(TypeError):  # not JSON-serialisable
        await store.record_audit(make_audit(detail={"when": datetime.now(UTC)}))
    assert count_rows(store_target, "queries") == 0
    assert count_rows(store_target, "audit") == 0
    assert store.failed_batches == 0  # refused before reaching the writer


# -- reads -------------------------------------------------------------------------------


async def test_filters_since_until_status(store):
    statuses = ["answer", "suggestions", "no_match", "help", "command"]
    recs = [make_query(i, status=statuses[i % 5]) for i in range(20)]
    await asyncio.gather(*(store.record_query(r) for r in recs))

    def ids(rows):
        return [int(r.request_id.split("-")[1]) for r in rows]

    since, until = T0 + timedelta(seconds=5), T0 + timedelta(seconds=10)
    assert ids(store.query_rows(since=since)) == list(range(5, 20))  # since inclusive
    assert ids(store.query_rows(until=until)) == list(range(10))  # until exclusive
    assert ids(store.query_rows(since=since, until=until)) == [5, 6, 7, 8, 9]
    assert ids(store.query_rows(status="no_match")) == [2, 7, 12, 17]
    assert ids(store.query_rows(since=since, until=until, status="answer")) == [5]
    assert list(store.query_rows(status="nonexistent")) == []
    # A naive bound is as ambiguous as a naive record.
    with pytest.raises(ValueError, match="timezone-aware"):
        store.query_rows(since=datetime(2009, 4, 26))


async def test_reads_stream_and_can_stop_early(store):
    await asyncio.gather(*(store.record_query(make_query(i)) for i in range(1200)))
    it = store.query_rows()
    first = [next(it) for _ in range(3)]
    assert [r.request_id for r in first] == ["req-0", "req-1", "req-2"]
    it.close()  # releases its connection
    # Writes still work while/after a reader was open.
    await store.record_query(make_query(5000))
    assert sum(1 for _ in store.query_rows()) == 1201


async def test_audit_round_trip_and_kind_filter(store):
    fb = make_audit(1, kind="feedback")
    share = make_audit(2, kind="share", detail={"to": "#press-office", "entry": "sb-x"})
    refusal = make_audit(3, kind="refusal", detail={})
    nested = make_audit(
        4,
        kind="reload",
        detail={"z": 1.0, "a": [1, 2.5, "x", None, True], "deep": {"k": {"é": "✓"}}, "big": 1e300},
    )
    await asyncio.gather(*(store.record_audit(r) for r in (nested, refusal, share, fb)))

    assert list(store.audit_rows()) == [fb, share, refusal, nested]
    assert list(store.audit_rows(kind="share")) == [share]
    assert list(store.audit_rows(since=T0 + timedelta(seconds=2))) == [share, refusal, nested]
    assert list(store.audit_rows(until=T0 + timedelta(seconds=2))) == [fb]
    assert next(iter(store.audit_rows(kind="feedback"))).detail["note"] == "très utile ✓"
    got = next(iter(store.audit_rows(kind="reload"))).detail
    assert got == nested.detail
    assert list(got) == ["z", "a", "deep", "big"]  # key order kept
    assert type(got["z"]) is float and type(got["big"]) is float  # 1.0 is not 1


async def test_feedback_on_one_reply_is_read_back_for_that_person_oldest_first(store):
    mine = [make_audit(i, request_id="req-x", detail={"helpful": i == 1, "entry_id": "e"})
            for i in (1, 2)]
    others = [make_audit(3, request_id="req-x", user_id="U2"),
              make_audit(4, request_id="req-y"),
              make_audit(5, kind="share", request_id="req-x")]
    for record in [*mine, *others]:
        await store.record_audit(record)
    assert store.feedback_on("req-x", "U1") == mine
    assert store.feedback_on("req-z", "U1") == []


# -- purge -------------------------------------------------------------------------------


async def test_purge_before_removes_only_older_rows(store):
    await asyncio.gather(*(store.record_query(make_query(i)) for i in range(10)))
    await asyncio.gather(*(store.record_audit(make_audit(i)) for i in range(10)))
    assert store.claim_alert("old-alert", "p1", T0)

    removed = store.purge_before(T0 + timedelta(seconds=4))

    assert removed == 8  # 4 queries + 4 audit rows, strictly older than the cutoff
    assert [r.request_id for r in store.query_rows()][0] == "req-4"
    assert len(list(store.query_rows())) == 6
    assert len(list(store.audit_rows())) == 6
    assert store.alert_status("old-alert") is not None  # claims survive purges
    assert store.purge_before(T0) == 0


async def test_a_purge_bigger_than_one_chunk_removes_every_old_row(store, monkeypatch):
    """Purges delete in chunks (short transactions); all the chunks must run, in both
    tables, down to a last one that is exactly full or empty."""
    import bot.store.sql_store

    monkeypatch.setattr(bot.store.sql_store, "PURGE_CHUNK", 3)
    await asyncio.gather(*(store.record_query(make_query(i)) for i in range(11)))
    await asyncio.gather(*(store.record_audit(make_audit(i)) for i in range(7)))

    removed = store.purge_before(T0 + timedelta(seconds=9))  # 9 queries (3 full chunks), 7 audit

    assert removed == 9 + 7
    assert [r.request_id for r in store.query_rows()] == ["req-9", "req-10"]
    assert list(store.audit_rows()) == []
    assert store.purge_before(T0 + timedelta(days=1)) == 2


# -- alert claims ------------------------------------------------------------------------


async def test_alert_claim_lifecycle(store):
    key = "ice-secure-communities-2009-04:event-x:2009-04-26"
    assert store.alert_status(key) is None
    assert store.claim_alert(key, "proc-a", T0) is True
    assert store.claim_alert(key, "proc-b", T0) is False  # pending: never taken over
    st = store.alert_status(key)
    assert st is not None
    assert (st.owner, st.state, st.attempts, st.finished_at) == ("proc-a", ALERT_PENDING, 1, None)

    store.finish_alert(key, ok=False, detail="slack: channel_not_found", now=T0)
    assert store.alert_status(key).state == ALERT_FAILED  # type: ignore[union-attr]
    later = T0 + timedelta(minutes=5)
    assert store.claim_alert(key, "proc-b", later) is True  # a failure may be retried
    assert store.claim_alert(key, "proc-a", later) is False
    st = store.alert_status(key)
    assert st is not None
    assert (st.owner, st.state, st.attempts, st.claimed_at) == ("proc-b", ALERT_PENDING, 2, later)

    store.finish_alert(key, ok=True, detail="ts=1234.5678", now=later)
    st = store.alert_status(key)
    assert st is not None
    assert (st.state, st.detail, st.finished_at) == (ALERT_OK, "ts=1234.5678", later)
    assert st.finished_at is not None and st.finished_at.utcoffset() == timedelta(0)
    assert store.claim_alert(key, "proc-c", later) is False  # posted: never again

    with pytest.raises(LookupError):
        store.finish_alert(key, ok=True, detail="", now=later)  # nothing pending
    with pytest.raises(LookupError):
        store.finish_alert("never-claimed", ok=True, detail="", now=later)


async def test_list_alerts(store):
    for i in range(3):
        assert store.claim_alert(f"k{i}", "p", T0 + timedelta(hours=i))
    assert [a.key for a in store.list_alerts()] == ["k0", "k1", "k2"]
    assert [a.key for a in store.list_alerts(since=T0 + timedelta(hours=1))] == ["k1", "k2"]


def race_claim(stores: list[LogStore], key: str, threads_per_store: int = 4) -> list[bool]:
    """Every thread calls claim_alert(key) at the same instant; return who won."""
    barrier = threading.Barrier(len(stores) * threads_per_store)
    results: list[bool] = []
    lock = threading.Lock()

    def claim(s: LogStore, owner: str) -> None:
        barrier.wait()
        won = s.claim_alert(key, owner, T0)
        with lock:
            results.append(won)

    threads = [
        threading.Thread(target=claim, args=(s, f"proc{i}-thread{n}"))
        for i, s in enumerate(stores)
        for n in range(threads_per_store)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


async def test_two_stores_racing_for_one_alert_exactly_one_wins(store_target):
    a, b = open_store(store_target), open_store(store_target)  # like two replicas
    try:
        for round_no in range(5):
            results = race_claim([a, b], f"race-{round_no}")
            assert sorted(results) == [False] * 7 + [True]
        # A failed attempt is re-claimed by exactly one racer too.
        a.finish_alert("race-0", ok=False, detail="timeout", now=T0)
        assert sorted(race_claim([a, b], "race-0")) == [False] * 7 + [True]
        st = b.alert_status("race-0")
        assert st is not None and (st.state, st.attempts) == (ALERT_PENDING, 2)
    finally:
        await a.close()
        await b.close()


# -- replicas: versions and reload requests ----------------------------------------------


async def test_replica_versions_report_latest_version_of_live_replicas(store):
    assert store.replica_versions(since=T0) == {}
    store.publish_content_version("replica-a", "v1", T0)
    store.publish_content_version("replica-b", "v1", T0)
    store.publish_content_version("replica-a", "v2", T0 + timedelta(seconds=10))  # upsert

    assert store.replica_versions(since=T0) == {"replica-a": "v2", "replica-b": "v1"}
    # replica-b has not been heard from since: it no longer counts.
    assert store.replica_versions(since=T0 + timedelta(seconds=5)) == {"replica-a": "v2"}
    with pytest.raises(ValueError, match="timezone-aware"):
        store.publish_content_version("replica-a", "v3", datetime(2009, 4, 26))


async def test_reload_requests_reach_every_replica_in_order(store_target):
    a, b = open_store(store_target), open_store(store_target)  # two copies of the bot
    try:
        assert a.reload_requests_after(0) == []
        s1 = a.request_reload("v2", T0)
        assert b.reload_requests_after(0) == [(s1, "v2")]  # b sees a's request
        s2 = b.request_reload("", T0)  # a hint is optional
        assert s2 > s1
        assert a.reload_requests_after(s1) == [(s2, "")]
        assert a.reload_requests_after(s2) == []

        # Many concurrent requests from both copies: unique, and the log is gap-free
        # for a poller, i.e. polling from any seen seq returns exactly the newer ones.
        barrier = threading.Barrier(16)
        got: list[int] = []
        lock = threading.Lock()

        def req(s: LogStore, n: int) -> None:
            barrier.wait()
            seq = s.request_reload(f"hint-{n}", T0)
            with lock:
                got.append(seq)

        threads = [threading.Thread(target=req, args=((a, b)[n % 2], n)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log = a.reload_requests_after(s2)
        assert sorted(got) == [seq for seq, _ in log]
        assert len(set(got)) == 16
        assert sorted(h for _, h in log) == sorted(f"hint-{n}" for n in range(16))
        mid = log[7][0]
        assert b.reload_requests_after(mid) == log[8:]
    finally:
        await a.close()
        await b.close()


# -- opening, migrations, closing --------------------------------------------------------


def schema_versions(target: str) -> list[tuple[int, str]]:
    return [
        (v, str(at))
        for v, at in raw_sql(target, "SELECT version, applied_at FROM schema_version")
    ]


async def test_reopen_keeps_data_and_does_not_rerun_migrations(store_target):
    s = open_store(store_target)
    await s.record_query(make_query(1))
    await s.record_audit(make_audit(1))
    assert s.claim_alert("k", "p", T0)
    s.publish_content_version("r1", "v1", T0)
    seq = s.request_reload("v1", T0)
    await s.close()

    before = schema_versions(store_target)
    assert sorted(v for v, _ in before) == [v for v, _ in SQLITE_MIGRATIONS]

    s2 = open_store(store_target)
    try:
        assert schema_versions(store_target) == before  # same rows, same applied_at
        assert [r.request_id for r in s2.query_rows()] == ["req-1"]
        assert len(list(s2.audit_rows())) == 1
        assert s2.claim_alert("k", "p2", T0) is False
        assert s2.replica_versions(since=T0) == {"r1": "v1"}
        assert s2.reload_requests_after(0) == [(seq, "v1")]
    finally:
        await s2.close()


async def test_four_stores_opening_a_fresh_database_at_once(store_target):
    opened, errors = open_four_at_once(store_target)
    try:
        assert errors == []
        assert len(opened) == 4
        assert count_rows(store_target, "schema_version") == len(SQLITE_MIGRATIONS)
        await asyncio.gather(*(s.record_query(make_query(i)) for i, s in enumerate(opened)))
        assert count_rows(store_target, "queries") == 4
    finally:
        for s in opened:
            await s.close()


def open_four_at_once(target: str) -> tuple[list[LogStore], list[BaseException]]:
    """Open four stores on `target` from four threads released at the same instant."""
    opened: list[LogStore] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        try:
            s = open_store(target)
        except BaseException as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)
        else:
            opened.append(s)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return opened, errors


async def test_four_stores_upgrading_an_old_schema_at_once(store_target, monkeypatch):
    import bot.store.postgres
    import bot.store.sqlite

    backend = bot.store.postgres if is_postgres(store_target) else bot.store.sqlite
    # A database made by a release that only knew migration 1, holding data.
    with monkeypatch.context() as m:
        m.setattr(backend, "MIGRATIONS", backend.MIGRATIONS[:1])
        old = open_store(store_target)
        await old.record_query(make_query(1))
        await old.close()
    assert [v for v, _ in schema_versions(store_target)] == [1]

    opened, errors = open_four_at_once(store_target)
    try:
        assert errors == []
        assert sorted(v for v, _ in schema_versions(store_target)) == [
            v for v, _ in backend.MIGRATIONS
        ]
        assert [r.request_id for r in opened[0].query_rows()] == ["req-1"]
        opened[1].publish_content_version("r1", "v2", T0)  # the new tables work
        assert opened[2].replica_versions(since=T0) == {"r1": "v2"}
    finally:
        for s in opened:
            await s.close()


async def test_newer_schema_is_refused(store_target):
    await open_store(store_target).close()
    raw_sql(
        store_target,
        "INSERT INTO schema_version VALUES (999, '2099-01-01T00:00:00.000000+00:00')",
    )
    with pytest.raises(RuntimeError, match="newer than this code"):
        open_store(store_target)


async def test_close_flushes_pending_writes(store_target):
    s = open_store(store_target)
    tasks = [asyncio.create_task(s.record_query(make_query(i))) for i in range(300)]
    tasks.append(asyncio.create_task(s.record_audit(make_audit(1))))
    await asyncio.sleep(0)  # let every task enqueue its row; none is committed-and-woken yet
    await s.close()
    await asyncio.gather(*tasks)  # every caller was told "committed", none failed
    assert count_rows(store_target, "queries") == 300
    assert count_rows(store_target, "audit") == 1
    await s.close()  # idempotent


async def test_closed_store_refuses_work(store_target):
    s = open_store(store_target)
    await s.close()
    assert s.closed  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="closed"):
        await s.record_query(make_query())
    with pytest.raises(RuntimeError, match="closed"):
        s.query_rows()
    with pytest.raises(RuntimeError, match="closed"):
        s.claim_alert("k", "p", T0)
    with pytest.raises(RuntimeError, match="closed"):
        s.request_reload("v", T0)
    with pytest.raises(RuntimeError, match="closed"):
        s.replica_versions(since=T0)


async def test_async_context_manager_closes(store_target):
    async with open_store(store_target) as s:
        await s.record_query(make_query())
    assert s.closed  # type: ignore[attr-defined]
    assert count_rows(store_target, "queries") == 1


async def test_open_store_picks_the_backend_from_the_target(store_target):
    s = open_store(store_target)
    try:
        if is_postgres(store_target):
            from bot.store.postgres import PostgresLogStore

            assert isinstance(s, PostgresLogStore)
        else:
            assert isinstance(s, SqliteLogStore)
    finally:
        await s.close()


# -- PostgreSQL only ---------------------------------------------------------------------


async def test_postgres_url_spellings(postgres_target):
    from bot.store.postgres import PostgresLogStore

    rest = postgres_target.partition("://")[2]
    for url in (f"postgres://{rest}", f"postgresql+psycopg://{rest}"):
        s = open_store(url)
        try:
            assert isinstance(s, PostgresLogStore)
            await s.record_query(make_query(1))
        finally:
            await s.close()
    assert count_rows(postgres_target, "queries") == 2


async def test_postgres_stores_nul_characters_instead_of_failing_the_batch(postgres_target):
    s = open_store(postgres_target)
    try:
        await asyncio.gather(
            s.record_query(make_query(1, text="nul\x00here")),
            s.record_query(make_query(2)),
            s.record_audit(make_audit(1, detail={"raw": "a\x00b"})),
        )
        got = list(s.query_rows())
        assert [r.text for r in got][0] == "nul\ufffdhere"
        assert len(got) == 2
        assert next(iter(s.audit_rows())).detail == {"raw": "a\x00b"}  # JSON escapes it
    finally:
        await s.close()


async def test_postgres_reconnects_after_the_server_drops_its_sessions(postgres_target):
    import psycopg

    from bot.store.postgres import PostgresLogStore

    app = f"facts_drop_{uuid.uuid4().hex[:8]}"  # so we terminate only this store's sessions
    s = open_store(f"{postgres_target}&application_name={app}")
    assert isinstance(s, PostgresLogStore)
    try:
        await s.record_query(make_query(1))
        assert s.claim_alert("before-drop", "p", T0)
        # What a server restart or failover does to every session: terminate them.
        dropped = raw_sql(
            postgres_target,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{app}'",
        )
        assert len(dropped) == 2  # the writer and the admin connection
        # The first use of each dropped connection fails (its outcome is unknown, so it
        # is not retried behind the caller's back); the next use reconnects.
        with contextlib.suppress(psycopg.OperationalError):
            await s.record_query(make_query(2))
        with contextlib.suppress(psycopg.OperationalError):
            s.alert_status("before-drop")
        await s.record_query(make_query(3))
        assert s.claim_alert("after-drop", "p", T0)
        assert "req-3" in [r.request_id for r in s.query_rows()]
    finally:
        await s.close()
