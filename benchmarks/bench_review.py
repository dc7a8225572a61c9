"""How long does `facts-bot review` take over a year of logs, and how much memory?

Run: .venv/bin/python benchmarks/bench_review.py [--rows 1000000] [--keep DB]

1. Generates `--rows` logged queries (default 1,000,000) spread over 365 days into a temp
   SQLite store: a few thousand distinct phrasings (about 700 questions, each asked in
   several wordings: reordered, with filler words, misspelt), chosen Zipf-like, from 400
   people in 25 channels, plus 20,000 audit rows (feedback, shares, reloads). The schema
   is created through the store (`SqliteLogStore`), but the rows are inserted with
   sqlite3 `executemany` into that schema, with the store's own INSERT statement and
   timestamp format: the public API commits durably (fsync per batch) and is built for
   ~1,000 rows/s of live traffic, so a million rows through it would take many minutes
   and measure the writer rather than the review.
2. Runs the full review in a fresh subprocess (the summary over every row, the gaps with
   their closest entries, the text and HTML renderings) and reports wall time and peak
   resident memory (ru_maxrss, which includes the interpreter and the knowledge index).
3. Times gap grouping alone for 10k, 20k and 40k distinct queries: doubling the input
   should roughly double the time, not quadruple it.

Targets: review <= 10 s and <= 300 MB peak over 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bot.review.gaps import QueryTally, find_gaps, query_key  # noqa: E402
from bot.store.sqlite import _INSERT_SQL, SqliteLogStore, ts_text  # noqa: E402

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAYS = 365

TOPICS = """racial profiling; fingerprints shared with fbi; secure communities budget;
detainers lodged; level 1 offenders; level 2 and 3 offenders; removal rates; deportation
of children; immigration checks at traffic stops; local police cooperation; jail booking
process; biometric database errors; wrongful detention of citizens; ngo complaints;
op-ed by the assistant secretary; media interviews this week; press contact; ice raids;
287g agreements; interoperability rollout; criminal aliens released; victims of domestic
violence; asylum seekers; border enforcement; detention conditions; deaths in custody;
family separation; visa overstays; work site enforcement; sanctuary cities""".replace(
    "\n", " ").split(";")
PLACES = ["miami", "houston", "los angeles", "chicago", "atlanta", "phoenix", "new york",
          "dallas", "san diego", "boston", "denver", "seattle", "harris county", "texas",
          "florida", "arizona", "california", "georgia", "illinois", "the county jail",
          "2009", "2010", "last year", "this week"]
FILLERS = ["what about {}", "is it true that {}", "{}?", "tell me about {}", "{} please",
           "what do we say about {}", "any update on {}", "{} statistics"]


def typo(text: str, rng: random.Random) -> str:
    """Drop, double or swap a letter of one long word, as people do when typing fast."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6]
    if not long_words:
        return text + "?"
    i = rng.choice(long_words)
    w, p = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice([w[:p] + w[p + 1:], w[:p] + w[p] + w[p:], w[:p] + w[p + 1] + w[p]
                           + w[p + 2:]])
    return " ".join(words)


def phrasings(rng: random.Random) -> list[tuple[str, str, float]]:
    """(text, intent id, weight): ~700 intents x ~5 wordings, Zipf-like over intents."""
    intents = [t.strip() for t in TOPICS]
    intents += [f"{t.strip()} in {p}" for t in TOPICS for p in PLACES]
    rng.shuffle(intents)
    intents = intents[:700]
    out = []
    for rank, intent in enumerate(intents, start=1):
        weight = 1 / rank ** 1.07
        words = intent.split()
        variants = [intent, " ".join(reversed(words)), rng.choice(FILLERS).format(intent),
                    typo(intent, rng), intent.title() + "?", typo(intent, rng).upper()]
        for share, text in zip((0.55, 0.12, 0.12, 0.08, 0.08, 0.05), variants, strict=True):
            out.append((text, intent, weight * share))
    return out


def outcome(intent: str, rng: random.Random) -> tuple[str, str | None, float | None]:
    """Each intent has a fixed outcome: most answered, some suggestions, some nothing."""
    roll = random.Random(intent).random()
    entry = f"entry-{abs(hash(intent)) % 40}"
    if roll < 0.55:
        return "answer", entry, round(72 + 26 * random.Random(intent + "s").random(), 1)
    if roll < 0.80:
        return "suggestions", entry, round(45 + 25 * rng.random(), 1)
    return "no_match", None, None


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write `rows` queries and 20,000 audit rows; return the number of distinct texts."""
    asyncio.run(SqliteLogStore(path).close())  # creates and migrates the schema
    rng = random.Random(seed)
    table = phrasings(rng)
    shapes = [(text, *outcome(intent, rng)) for text, intent, _ in table]
    picks = rng.choices(range(len(table)), weights=[w for _, _, w in table], k=rows)
    step = dt.timedelta(days=DAYS) / rows
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    batch = []
    for number, pick in enumerate(picks):
        text, status, top_id, score = shapes[pick]
        shown = json.dumps([top_id] if top_id else [])
        batch.append((ts_text(START + number * step), f"req-{number}", f"U{number % 400:05d}",
                      f"Officer {number % 400}", f"C{number % 25:03d}", "T1", text, status,
                      top_id, score, shown, "v1", 4.2, "slack"))
        if len(batch) == 50_000:
            conn.executemany(_INSERT_SQL["queries"], batch)
            batch.clear()
    conn.executemany(_INSERT_SQL["queries"], batch)
    conn.executemany(_INSERT_SQL["audit"], audit_rows(shapes, rng))
    conn.execute("COMMIT")
    conn.close()
    return len({text for text, *_ in shapes})


def audit_rows(shapes: list, rng: random.Random) -> list[tuple]:
    out = []
    for number in range(20_000):
        ts = ts_text(START + dt.timedelta(seconds=number * DAYS * 86400 // 20_000))
        text, status, top_id, _ = rng.choice(shapes)
        if number % 10 == 0:
            kind, detail = "reload", {"ok": True, "version": "v1", "added": 0, "removed": 0,
                                      "changed": 1}
        elif number % 10 == 1:
            kind, detail = "share", {"entry_id": top_id or "entry-1"}
        else:
            kind, detail = "feedback", {"helpful": rng.random() < 0.8, "entry_id": top_id or "",
                                        "query": text, "query_request_id": f"req-{number}"}
        out.append((ts, kind, "U00001", "Officer 1", "C001", "T1", f"a-{number}",
                    json.dumps(detail), "v1"))
    return out


def review_in_this_process(db: Path) -> dict:
    """The measured part: what `facts-bot review --html` does, minus printing."""
    from bot.content import BUNDLED_KNOWLEDGE, load_snapshot
    from bot.matching import Index
    from bot.review.html import render_html
    from bot.review.summary import summarize_store
    from bot.review.text import render_text
    from bot.store import open_store

    t0 = time.perf_counter()
    snapshot = load_snapshot(BUNDLED_KNOWLEDGE)
    index = Index(snapshot)
    t_index = time.perf_counter()
    store = open_store(str(db))
    summary = summarize_store(store)
    asyncio.run(store.close())
    t_summary = time.perf_counter()
    gaps = find_gaps(summary.gap_queries, index, dt.date(2026, 12, 31), limit=20)
    t_gaps = time.perf_counter()
    titles = {e.id: e.title for e in snapshot.entries}
    text = render_text(summary, gaps, titles)
    page = render_html(summary, gaps, dt.datetime.now(dt.UTC), titles)
    t_end = time.perf_counter()
    return {
        "rows": summary.lookups + sum(summary.other_uses.values()),
        "distinct_keys": len(summary.gap_queries),
        "gaps_found": len(gaps),
        "load_knowledge_s": t_index - t0,
        "summary_s": t_summary - t_index,
        "gaps_s": t_gaps - t_summary,
        "render_s": t_end - t_gaps,
        "total_s": t_end - t0,
        "report_chars": len(text) + len(page),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def grouping_scaling(sizes: tuple[int, ...] = (10_000, 20_000, 40_000)) -> list[tuple]:
    """Gap grouping time for growing numbers of distinct queries (closest entries left out)."""
    rng = random.Random(11)
    syllables = ["ba", "ke", "ri", "mo", "tu", "sal", "der", "pin", "gro", "vek", "lan", "tor"]
    vocabulary = list({"".join(rng.choices(syllables, k=rng.randint(2, 4)))
                       for _ in range(20_000)})
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(vocabulary))]
    ts = START
    results = []
    for size in sizes:
        tallies: dict[str, QueryTally] = {}
        while len(tallies) < size:
            words = rng.choices(vocabulary, weights=weights, k=rng.randint(2, 5))
            text = typo(" ".join(words), rng) if rng.random() < 0.2 else " ".join(words)
            tallies.setdefault(query_key(text), QueryTally.start(ts)).add(text, ts, "no_match")
        t0 = time.perf_counter()
        gaps = find_gaps(tallies, None, dt.date(2026, 12, 31))
        results.append((size, time.perf_counter() - t0, len(gaps)))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="write the generated log here and keep it")
    ap.add_argument("--review", type=Path, help=argparse.SUPPRESS)  # the measured child
    args = ap.parse_args()
    if args.review:
        print(json.dumps(review_in_this_process(args.review)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        db = args.keep or Path(tmp) / "queries.db"
        if db.exists():
            print(f"using existing {db}")
        else:
            t0 = time.perf_counter()
            distinct = generate(db, args.rows)
            print(f"generated       {args.rows:,} queries ({distinct:,} distinct phrasings) "
                  f"in {time.perf_counter() - t0:.1f} s, {db.stat().st_size / 1e6:.0f} MB")
        child = subprocess.run([sys.executable, __file__, "--review", str(db)],
                               capture_output=True, text=True, check=True)
        r = json.loads(child.stdout)
        print(f"review          {r['rows']:,} rows, {r['distinct_keys']:,} distinct gap "
              f"queries -> {r['gaps_found']} gaps shown")
        print(f"  knowledge     {r['load_knowledge_s']:.2f} s  (load + index)")
        print(f"  summary       {r['summary_s']:.2f} s  (one pass over every row)")
        print(f"  gaps          {r['gaps_s']:.2f} s  (grouping + closest entries)")
        print(f"  render        {r['render_s']:.2f} s  (text + HTML)")
        print(f"  total         {r['total_s']:.2f} s   target <= 10 s")
        print(f"  peak memory   {r['peak_rss_mb']:.0f} MB (ru_maxrss)   target <= 300 MB")
    print("gap grouping    distinct queries -> seconds (groups)")
    previous = None
    for size, seconds, groups in grouping_scaling():
        ratio = f"  x{seconds / previous:.2f} for x2 input" if previous else ""
        print(f"  {size:>8,}     {seconds:.2f} s ({groups:,}){ratio}")
        previous = seconds


if __name__ == "__main__":
    main()
