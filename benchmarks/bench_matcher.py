"""Matcher benchmark: accuracy on the dev queries, lookup latency, load time, memory.

Run: .venv/bin/python benchmarks/bench_matcher.py [--dev PATH] [--misses]
Prints numbers; asserts nothing (targets are in the issue, results in the closing note).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from bot.content import BUNDLED_KNOWLEDGE, load_snapshot
from bot.matching import ANSWER, Index

DEV_QUERIES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_queries.yaml"
TODAY = dt.date(2026, 11, 25)


def accuracy(index: Index, dev_path: Path, show_misses: bool) -> None:
    data = yaml.safe_load(dev_path.read_text())
    top1 = top3 = 0
    for item in data["in_scope"]:
        match = index.search(item["q"], TODAY, limit=3)
        expected = [e.lower() for e in item["expect"]]
        hits = [any(e in r.entry.display_text.lower() for e in expected) for r in match.results]
        top1 += bool(hits[:1] and hits[0])
        top3 += any(hits)
        if show_misses and not (hits[:1] and hits[0]):
            got = [(r.entry.id, r.score) for r in match.results]
            print(f"  miss: {item['q']!r} -> {match.status} {got}")
    answered = 0
    for item in data["out_of_scope"]:
        match = index.search(item["q"], TODAY, limit=3)
        answered += match.status == ANSWER
        if show_misses and match.status == ANSWER:
            print(f"  out-of-scope answered: {item['q']!r} -> {match.results[0].entry.id}")
    total = len(data["in_scope"])
    print(
        f"accuracy: top-1 {top1}/{total} = {100 * top1 / total:.1f}%, "
        f"top-3 {top3}/{total} = {100 * top3 / total:.1f}%, "
        f"out-of-scope answered {answered}/{len(data['out_of_scope'])}"
    )


def latency(index: Index, queries: list[str], label: str, rounds: int = 20) -> None:
    timings = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            index.search(query, TODAY, limit=3)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"lookup latency ({label}, {len(timings)} lookups): p50 {p50:.3f} ms, p99 {p99:.3f} ms")


def generate_knowledge(directory: Path, count: int, seed: int = 7) -> None:
    """A plan-shaped knowledge set of `count` entries, words drawn from real English."""
    rng = random.Random(seed)
    source_text = " ".join(p.read_text() for p in sorted(BUNDLED_KNOWLEDGE.rglob("*.yaml")))
    vocabulary = sorted(
        {w.strip(".,:;\"'()").lower() for w in source_text.split() if w.isalpha() and len(w) > 3}
    )
    vocabulary += [f"term{n}" for n in range(5000)]
    per_file = 500
    for start in range(0, count, per_file):
        plan = start // per_file
        doc = {
            "id": f"plan-{plan}",
            "title": f"Generated plan {plan}",
            "office": "Press Office",
            "date": "2026-01-15",
            "timezone": "America/Chicago",
            "contact": {"name": "Pat Example", "phone": "555-0100"},
        }
        entries = []
        for number in range(start, min(start + per_file, count)):

            def sentence(n: int) -> str:
                return " ".join(rng.choice(vocabulary) for _ in range(n)).capitalize() + "."

            entries.append(
                {
                    "id": f"gen-{number}",
                    "document": f"plan-{plan}",
                    "kind": "talking_point",
                    "title": sentence(5),
                    "section": "Talking Points",
                    "text": " ".join(
                        sentence(rng.randint(12, 30)) for _ in range(rng.randint(1, 3))
                    ),
                    "questions": [sentence(7) for _ in range(3)],
                    "keywords": [rng.choice(vocabulary) for _ in range(6)],
                }
            )
        folder = directory / f"plan-{plan}"
        folder.mkdir(parents=True)
        (folder / "document.yaml").write_text(yaml.safe_dump({"document": doc}))
        (folder / "entries.yaml").write_text(yaml.safe_dump({"entries": entries}, width=1000))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", type=Path, default=DEV_QUERIES)
    parser.add_argument("--misses", action="store_true", help="print the queries missed")
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()

    snapshot = load_snapshot(BUNDLED_KNOWLEDGE)
    index = Index(snapshot)
    print(f"real knowledge: {len(snapshot.entries)} entries, version {snapshot.version}")
    dev_queries: list[str] = []
    if args.dev.exists():
        accuracy(index, args.dev, args.misses)
        data = yaml.safe_load(args.dev.read_text())
        dev_queries = [i["q"] for i in data["in_scope"] + data["out_of_scope"]]
    else:
        print(f"accuracy: skipped, no dev queries at {args.dev}")
    sample = dev_queries or ["racial profiling", "how many removed", "racail profilng"]
    sample += [
        "Critics say the fingerprint program lets local police profile Latino drivers; "
        "how does ICE respond to that and can people file complaints?",
        "DUI",
        "ACLU",
    ]
    latency(index, sample, "real knowledge")

    with tempfile.TemporaryDirectory() as tmp:
        generate_knowledge(Path(tmp), args.entries)
        start = time.perf_counter()
        big = Index(load_snapshot(tmp))
        load_seconds = time.perf_counter() - start
        print(f"load + validate + index of {len(big.entries)} entries: {load_seconds:.2f} s")
        del big
        tracemalloc.start()  # a second load, traced: tracing slows it, so it is not timed
        big = Index(load_snapshot(tmp))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"peak memory allocated while loading {len(big.entries)} entries: {peak / 2**20:.0f} MB"
        )
        latency(big, sample, f"{len(big.entries)} entries", rounds=5)
    try:
        import resource

        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak RSS: {peak_rss:.0f} MB")
    except ImportError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
