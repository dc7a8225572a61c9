"""How many queries per second can the query log commit, and how long does a caller wait?

Run: .venv/bin/python benchmarks/bench_log_writes.py [--n 20000] [--producers 50]

Runs against SQLite and, when FACTS_TEST_POSTGRES_URL (or --postgres-url) names a
server, against PostgreSQL too, in a throwaway schema that is dropped afterwards
(`scripts/postgres-for-tests.sh` prints a URL for a local test server).

Each producer behaves like a request handler: it builds a QueryRecord and awaits
record_query, which returns only once the row is committed (SQLite: WAL, synchronous=FULL;
PostgreSQL: synchronous_commit=on). Latency is measured from the call to its return, i.e.
what a Slack answer would wait. Prints numbers only; the target is >= 1,000 logged
queries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bot.store import QueryRecord  # noqa: E402
from bot.store.postgres import PostgresLogStore, redact  # noqa: E402
from bot.store.sqlite import SqliteLogStore  # noqa: E402

Store = SqliteLogStore | PostgresLogStore


def make_record(producer: int, i: int, base: datetime) -> QueryRecord:
    return QueryRecord(
        ts=base + timedelta(microseconds=producer * 1_000_000 + i),
        request_id=f"bench-{producer}-{i}",
        user_id=f"U{producer:05d}",
        user_name=f"Press Officer {producer}",
        channel_id="C0BENCH",
        team_id="T0BENCH",
        text="does secure communities lead to racial profiling of hispanic residents?",
        status="answer" if i % 4 else "suggestions",
        top_id="sb-color-blind",
        top_score=0.91,
        shown_ids=("sb-color-blind", "tp-biometrics", "qa-fingerprints"),
        content_version="2009-04-23.1",
        latency_ms=3.2,
        source="bench",
    )


async def producer(
    store: Store, pid: int, count: int, base: datetime, latencies: list[float]
) -> None:
    for i in range(count):
        rec = make_record(pid, i, base)
        t0 = time.perf_counter()
        await store.record_query(rec)
        latencies.append(time.perf_counter() - t0)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


async def run(n: int, producers: int, open_store: Callable[[], Store], label: str) -> float:
    """Write `n` rows from `producers` concurrent producers; print stats; return rows/s."""
    store = open_store()
    base = datetime.now(UTC)
    per, extra = divmod(n, producers)
    latencies: list[float] = []
    t0 = time.perf_counter()
    try:
        await asyncio.gather(
            *(
                producer(store, p, per + (1 if p < extra else 0), base, latencies)
                for p in range(producers)
            )
        )
        elapsed = time.perf_counter() - t0
        commits, rows = store.commits, store.rows_written
    finally:
        await store.close()

    latencies.sort()
    ms = [v * 1000 for v in latencies]
    print(f"store           {label}")
    print(f"rows            {rows} from {producers} concurrent producers")
    print(f"elapsed         {elapsed:.2f} s")
    print(f"throughput      {rows / elapsed:,.0f} rows/s")
    print(f"commits         {commits} ({rows / max(commits, 1):.1f} rows per commit)")
    print(
        f"latency ms      p50 {percentile(ms, 50):.2f}  p99 {percentile(ms, 99):.2f}  "
        f"max {ms[-1]:.2f}  mean {statistics.fmean(ms):.2f}"
    )
    print()
    return rows / elapsed


def run_sqlite(n: int, producers: int, path: Path | None) -> float:
    def go(p: Path) -> float:
        rate = asyncio.run(run(n, producers, lambda: SqliteLogStore(p), f"sqlite {p}"))
        print(f"                ({p.stat().st_size / 1e6:.1f} MB file)\n")
        return rate

    if path is not None:
        return go(path)
    with tempfile.TemporaryDirectory(prefix="bench-log-") as tmp:
        return go(Path(tmp) / "queries.db")


def run_postgres(n: int, producers: int, url: str) -> float:
    """Benchmark in a fresh schema (so the tables start empty), dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    target = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        return asyncio.run(
            run(n, producers, lambda: PostgresLogStore(target), f"postgresql {redact(url)}")
        )
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="records to write")
    ap.add_argument("--producers", type=int, default=50, help="concurrent asyncio producers")
    ap.add_argument("--path", type=Path, help="SQLite file to use (default: a temp file)")
    ap.add_argument(
        "--postgres-url",
        default=os.environ.get("FACTS_TEST_POSTGRES_URL") or None,
        help="PostgreSQL server to benchmark too (default: $FACTS_TEST_POSTGRES_URL)",
    )
    args = ap.parse_args()
    rates = {"sqlite": run_sqlite(args.n, args.producers, args.path)}
    if args.postgres_url:
        rates["postgresql"] = run_postgres(args.n, args.producers, args.postgres_url)
    else:
        print("postgresql      skipped: set FACTS_TEST_POSTGRES_URL (or --postgres-url)\n")
    for name, rate in rates.items():
        print(f"{name:<15} {rate:,.0f} rows/s")


if __name__ == "__main__":
    main()
