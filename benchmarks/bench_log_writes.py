"""How many queries per second can the SQLite log commit, and how long does a caller wait?

Run: .venv/bin/python benchmarks/bench_log_writes.py [--n 20000] [--producers 50]

Each producer behaves like a request handler: it builds a QueryRecord and awaits
record_query, which returns only once the row is committed (WAL, synchronous=FULL).
Latency is measured from the call to its return, i.e. what a Slack answer would wait.
Prints numbers only; the target is >= 1,000 logged queries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bot.store import QueryRecord  # noqa: E402
from bot.store.sqlite import SqliteLogStore  # noqa: E402


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
    store: SqliteLogStore, pid: int, count: int, base: datetime, latencies: list[float]
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


async def run(n: int, producers: int, path: Path) -> None:
    store = SqliteLogStore(path)
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
    print(f"file            {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"rows            {rows} from {producers} concurrent producers")
    print(f"elapsed         {elapsed:.2f} s")
    print(f"throughput      {rows / elapsed:,.0f} rows/s")
    print(f"commits         {commits} ({rows / max(commits, 1):.1f} rows per commit)")
    print(
        f"latency ms      p50 {percentile(ms, 50):.2f}  p99 {percentile(ms, 99):.2f}  "
        f"max {ms[-1]:.2f}  mean {statistics.fmean(ms):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="records to write")
    ap.add_argument("--producers", type=int, default=50, help="concurrent asyncio producers")
    ap.add_argument("--path", type=Path, help="database file to use (default: a temp file)")
    args = ap.parse_args()
    if args.path is not None:
        asyncio.run(run(args.n, args.producers, args.path))
        return
    with tempfile.TemporaryDirectory(prefix="bench-log-") as tmp:
        asyncio.run(run(args.n, args.producers, Path(tmp) / "queries.db"))


if __name__ == "__main__":
    main()
