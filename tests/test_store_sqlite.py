"""Behaviour of the SQLite query log that the bot and the comms team rely on."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.store import (
    ALERT_FAILED,
    ALERT_OK,
    ALERT_PENDING,
    AuditRecord,
    QueryRecord,
    SqliteLogStore,
    open_store,
)
from bot.store.sqlite import MIGRATIONS

T0 = datetime(2009, 4, 26, 11, 0, tzinfo=UTC)


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


def count_rows(path: Path, table: str) -> int:
    """Count rows through a brand-new connection: what another process would see."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "queries.db"


@pytest.fixture
async def store(db_path: Path):
    s = SqliteLogStore(db_path)
    yield s
    await s.close()


# -- writes ----------------------------------------------------------------------------


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


async def test_row_is_committed_when_record_query_returns(store, db_path):
    await store.record_query(make_query(1))
    # Not closed, nothing flushed by hand: an independent connection already sees it.
    assert count_rows(db_path, "queries") == 1
    await store.record_audit(make_audit(1))
    assert count_rows(db_path, "audit") == 1


async def test_group_commit_shares_transactions(store):
    await asyncio.gather(*(store.record_query(make_query(i)) for i in range(500)))
    assert store.rows_written == 500
    assert 1 <= store.commits <= 25, store.commits


async def test_max_batch_caps_rows_per_transaction(db_path):
    s = SqliteLogStore(db_path, max_batch=10)
    try:
        await asyncio.gather(*(s.record_query(make_query(i)) for i in range(100)))
        assert s.rows_written == 100
        assert s.commits >= 10
    finally:
        await s.close()


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


async def test_invalid_records_are_refused_at_the_call_site(store, db_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        make_query(ts=datetime(2009, 4, 26, 11, 0))
    with pytest.raises(ValueError, match="unknown query status"):
        await store.record_query(make_query(status="answered"))
    with pytest.raises(TypeError):
        make_query(shown_ids="sb-color-blind")
    with pytest.raises(TypeError):  # not JSON-serialisable
        await store.record_audit(make_audit(detail={"when": datetime.now(UTC)}))
    assert count_rows(db_path, "queries") == 0
    assert count_rows(db_path, "audit") == 0
    assert store.failed_batches == 0  # refused before reaching the writer


# -- reads -----------------------------------------------------------------------------


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
    await asyncio.gather(*(store.record_audit(r) for r in (refusal, share, fb)))

    assert list(store.audit_rows()) == [fb, share, refusal]
    assert list(store.audit_rows(kind="share")) == [share]
    assert list(store.audit_rows(since=T0 + timedelta(seconds=2))) == [share, refusal]
    assert list(store.audit_rows(until=T0 + timedelta(seconds=2))) == [fb]
    assert next(iter(store.audit_rows(kind="feedback"))).detail["note"] == "très utile ✓"


# -- purge -----------------------------------------------------------------------------


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


# -- alert claims ----------------------------------------------------------------------


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


def race_claim(stores: list[SqliteLogStore], key: str, threads_per_store: int = 4) -> list[bool]:
    """Every thread calls claim_alert(key) at the same instant; return who won."""
    barrier = threading.Barrier(len(stores) * threads_per_store)
    results: list[bool] = []
    lock = threading.Lock()

    def claim(s: SqliteLogStore, owner: str) -> None:
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


async def test_two_stores_racing_for_one_alert_exactly_one_wins(db_path):
    a, b = SqliteLogStore(db_path), SqliteLogStore(db_path)  # like two processes
    try:
        for round_no in range(5):
            results = race_claim([a, b], f"race-{round_no}")
            assert sorted(results) == [False] * 7 + [True]
        # A failed attempt is re-claimed by exactly one racer too.
        a.finish_alert("race-0", ok=False, detail="timeout", now=T0)
        assert sorted(race_claim([a, b], "race-0")) == [False] * 7 + [True]
    finally:
        await a.close()
        await b.close()


# -- opening, migrations, closing ------------------------------------------------------


async def test_reopen_keeps_data_and_does_not_rerun_migrations(db_path):
    s = open_store(str(db_path))
    await s.record_query(make_query(1))
    await s.record_audit(make_audit(1))
    assert s.claim_alert("k", "p", T0)
    await s.close()

    def versions() -> list[tuple[int, str]]:
        conn = sqlite3.connect(db_path)
        try:
            return conn.execute("SELECT version, applied_at FROM schema_version").fetchall()
        finally:
            conn.close()

    before = versions()
    assert [v for v, _ in before] == [v for v, _ in MIGRATIONS]

    s2 = open_store(f"sqlite:///{db_path}")  # absolute path → four slashes
    try:
        assert versions() == before  # same rows, same applied_at: nothing re-ran
        assert [r.request_id for r in s2.query_rows()] == ["req-1"]
        assert len(list(s2.audit_rows())) == 1
        assert s2.claim_alert("k", "p2", T0) is False
    finally:
        await s2.close()


async def test_two_processes_opening_a_fresh_file_at_once(db_path):
    opened: list[SqliteLogStore] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(SqliteLogStore(db_path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert count_rows(db_path, "schema_version") == len(MIGRATIONS)
        assert all(s.journal_mode == "wal" for s in opened)
        await asyncio.gather(*(s.record_query(make_query(i)) for i, s in enumerate(opened)))
        assert count_rows(db_path, "queries") == 4
    finally:
        for s in opened:
            await s.close()


async def test_newer_schema_is_refused(db_path):
    s = SqliteLogStore(db_path)
    await s.close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO schema_version VALUES (999, '2099-01-01T00:00:00.000000+00:00')")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this code"):
        SqliteLogStore(db_path)


async def test_close_flushes_pending_writes(db_path):
    s = SqliteLogStore(db_path)
    tasks = [asyncio.create_task(s.record_query(make_query(i))) for i in range(300)]
    tasks.append(asyncio.create_task(s.record_audit(make_audit(1))))
    await asyncio.sleep(0)  # let every task enqueue its row; none is committed-and-woken yet
    await s.close()
    await asyncio.gather(*tasks)  # every caller was told "committed", none failed
    assert count_rows(db_path, "queries") == 300
    assert count_rows(db_path, "audit") == 1
    await s.close()  # idempotent


async def test_closed_store_refuses_work(db_path):
    s = SqliteLogStore(db_path)
    await s.close()
    assert s.closed
    with pytest.raises(RuntimeError, match="closed"):
        await s.record_query(make_query())
    with pytest.raises(RuntimeError, match="closed"):
        s.query_rows()
    with pytest.raises(RuntimeError, match="closed"):
        s.claim_alert("k", "p", T0)


async def test_async_context_manager_closes(db_path):
    async with SqliteLogStore(db_path) as s:
        await s.record_query(make_query())
    assert s.closed
    assert count_rows(db_path, "queries") == 1


async def test_write_error_rejects_waiters_and_writer_keeps_going(db_path):
    s = SqliteLogStore(db_path, busy_timeout=0.05)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(
                asyncio.gather(*(s.record_query(make_query(i)) for i in range(5))), timeout=10
            )
        assert s.failed_batches >= 1
        blocker.execute("ROLLBACK")

        await asyncio.wait_for(s.record_query(make_query(99)), timeout=10)
        assert [r.request_id for r in s.query_rows()] == ["req-99"]
    finally:
        blocker.close()
        await s.close()


# -- open_store ------------------------------------------------------------------------


async def test_open_store_chooses_backend(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for target in ("plain.db", tmp_path / "pathlike.db", "sqlite:///rel/url.db"):
        s = open_store(target)  # type: ignore[arg-type]
        assert isinstance(s, SqliteLogStore)
        await s.close()
    assert (tmp_path / "plain.db").exists()
    assert (tmp_path / "pathlike.db").exists()
    assert (tmp_path / "rel" / "url.db").exists()

    for url in ("postgresql://bot@db/facts", "postgres://db/facts"):
        with pytest.raises(ValueError, match="PostgreSQL store not available yet"):
            open_store(url)
    with pytest.raises(ValueError, match="unknown log store scheme"):
        open_store("mysql://db/facts")
    with pytest.raises(ValueError):
        open_store(":memory:")
