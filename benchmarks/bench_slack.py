"""Slack benchmark: facts-bot against the bare-bolt floor, in the same run, alternating.

Each round starts `facts-bot serve` and the floor (benchmarks/bolt_floor.py:
a bare slack-bolt AsyncApp whose /facts only acks a fixed text), in
alternating order, each as its own process against one fake Slack (a third
process), and sends each the same signed /facts requests from this process:

* closed loop: C requests in flight, each client sending its next when acked:
  requests/s and ack latency;
* open loop: a steady R requests/s, as Slack sends them: ack latency, and
  answer latency (request sent to the answer seen: the ack itself when it
  carries the answer, else its arrival at the fake Slack's response_url).

It also prints facts-bot's mean wait for a log row's commit in each phase, and the
share of rows that waited longer than 2.5 ms (from its /metrics,
facts_log_commit_milliseconds): every answer in the ack includes that wait. And,
once before the rounds, the disk's own fdatasync p50 and p99 in the folder the log
is written to: no answer that waits for its row's commit can be faster.

It prints, for every figure, min and median over the rounds of each server
and of their per-round ratio (facts-bot / floor). On a shared machine read the
ratios: both servers run on the same noisy machine minutes apart. Every
answered query is committed to the query log before its answer leaves, so
this is also the log's write path under load: SQLite by default, PostgreSQL
with --postgres-url. Numbers only; no asserts.

Run: .venv/bin/pip install -e '.[bench]'
     .venv/bin/python benchmarks/bench_slack.py [--rounds 3] [--requests 3000]
         [--concurrency 50] [--rate 500] [--answer-in-ack-ms 500]
         [--questions repeated|distinct]
         [--postgres-url "$(bash scripts/postgres-for-tests.sh)"]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import psycopg
import uvloop

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from fakeslack import FakeSlack, signed_slash_command  # noqa: E402

SECRET = "bench-secret"
QUERIES = ["racial profiling", "how many removed", "DUI", "parking at headquarters",
           "who is the press contact", "racail profilng", "op-ed", "secure communities"]
#: How a press officer or a reporter might put it; with --questions distinct each of the
#: bundled plan's titles, alternate questions and keywords is asked in each phrasing.
PHRASINGS = ["{q}", "{q}?", "what do we say about {q}", "line on {q}",
             "reporter asking about {q}", "any response on {q}", "{q} - our position",
             "question about {q}", "how do we answer {q}", "press asking: {q}",
             "need a line on {q}", "{q} (urgent)"]
WARM_UP = 200
SLOW_COMMIT_MS = 2.5  # an edge of /metrics' latency buckets (bot/service/metrics.py)
_run_ids = itertools.count(1)


@dataclass
class Phase:
    """One measured load on one server: what its clients saw."""

    acks: list[float] = field(default_factory=list)  # ms, request sent to ack read
    in_ack: dict[str, float] = field(default_factory=dict)  # request key -> ms, answered in ack
    sent: dict[str, float] = field(default_factory=dict)  # request key -> time.time() sent
    elapsed: float = 0.0
    cpu_seconds: float = 0.0
    answers: list[float] = field(default_factory=list)  # ms, filled in at the end
    commit_wait_ms: float = float("nan")  # facts-bot's mean wait for a log row's commit
    slow_commits: float = float("nan")  # share of its rows that waited > SLOW_COMMIT_MS


def run_fake_slack(ready: multiprocessing.Queue, stop: multiprocessing.Event,
                   posts: multiprocessing.Queue) -> None:
    """The fake Slack in its own process, so its work does not skew the measured acks."""
    async def serve() -> None:
        async with FakeSlack() as slack:
            slack.max_response_url_uses = 10**9
            ready.put((slack.api_url, slack.response_url("bench")))
            while not stop.is_set():
                await asyncio.sleep(0.05)
            # Each response_url carries its request's key; the fake notes the arrival.
            posts.put([(post.query.split("=", 1)[1], post.time) for post in slack.responses()
                       if post.query.startswith("key=")])
    run(serve())


@contextlib.contextmanager
def query_log(postgres_url: str | None) -> Iterator[tuple[str, Callable[[], int]]]:
    """FACTS_DB for the bot, and a count of its logged queries: a temporary SQLite
    file, or a throwaway database on the PostgreSQL server `postgres_url` names."""
    if not postgres_url:
        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/bench.db"

            def count() -> int:
                with sqlite3.connect(path) as db:
                    return db.execute("SELECT count(*) FROM queries").fetchone()[0]
            yield path, count
        return
    name = f"facts_bench_{os.getpid()}_{next(_run_ids)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = urlsplit(postgres_url)._replace(path=f"/{name}").geturl()

    def count_pg() -> int:
        with psycopg.connect(url) as db:
            return db.execute("SELECT count(*) FROM queries").fetchone()[0]
    try:
        yield url, count_pg
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


async def start_server(command: list[str], env: dict[str, str]) -> tuple[Any, str]:
    server = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
    if " serving http://" not in line:
        raise SystemExit(f"{command[-1]} did not start: {line!r}")
    return server, line.split()[2] + "/slack/events"


def repeated(number: int) -> str:
    """The eight QUERIES in turn: a busy day's few questions, each asked again and again."""
    return QUERIES[number % len(QUERIES)]


def distinct_questions() -> Callable[[int], str]:
    """A question never asked before for every request (while the pool lasts: about 5,000).

    facts-bot keeps its reply to a question asked again (bot/slack/asked.py), so the
    repeated mix measures those; this one measures a lookup and a reply built each time.
    """
    from bot.content.loading import load_snapshot

    entries = load_snapshot(HERE.parent / "knowledge").entries
    bases = dict.fromkeys(q for e in entries for q in (e.title, *e.questions, *e.keywords))
    pool = list(dict.fromkeys(p.format(q=q) for p in PHRASINGS for q in bases))
    random.Random(16).shuffle(pool)
    asked = itertools.count()
    return lambda number: pool[next(asked) % len(pool)]


async def load(url: str, response_url: str, run_id: int, total: int, concurrency: int,
               rate: float | None, question: Callable[[int], str] = repeated) -> Phase:
    """Send `total` signed /facts requests: `concurrency` at a time, or `rate` per second."""
    phase = Phase()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(number: int) -> None:
            key = f"{run_id}-{number}"
            body, headers = signed_slash_command(SECRET, text=question(number),
                                                 response_url=f"{response_url}?key={key}")
            phase.sent[key] = time.time()
            start = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as response:
                answered = bool(await response.read())
                assert response.status == 200, response.status
            ms = (time.perf_counter() - start) * 1000
            phase.acks.append(ms)
            if answered:
                phase.in_ack[key] = ms

        started = time.perf_counter()
        if rate:  # open loop: as Slack sends them, however long each takes
            sending = []
            for number in range(total):
                await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
                sending.append(asyncio.create_task(one(number)))
            await asyncio.gather(*sending)
        else:  # closed loop: workers, not a task per request (thousands at once stall us)
            numbers = iter(range(total))

            async def client() -> None:
                for number in numbers:
                    await one(number)
            await asyncio.gather(*(client() for _ in range(concurrency)))
        phase.elapsed = time.perf_counter() - started
    return phase


async def measure(command: list[str], env: dict[str, str], response_url: str,
                  args: argparse.Namespace) -> dict[str, Phase]:
    """Start a server, warm it up, load it closed then open loop, stop it."""
    server, url = await start_server(command, env)
    question = distinct_questions() if args.questions == "distinct" else repeated
    try:
        await load(url, response_url, 0, WARM_UP, args.concurrency, None, question)
        await asyncio.sleep(0.5)  # the warm-up's late answers, if any, go out first
        phases = {}
        for mode, rate in (("closed", None), ("open", args.rate)):
            cpu, commits = _cpu_seconds(server.pid), await commit_waits(url)
            phases[mode] = await load(url, response_url, next(_run_ids), args.requests,
                                      args.concurrency, rate, question)
            await asyncio.sleep(0.5)  # late answers land before the next phase
            phases[mode].cpu_seconds = _cpu_seconds(server.pid) - cpu
            total_ms, count, slow = (after - before for after, before
                                     in zip(await commit_waits(url), commits, strict=True))
            phases[mode].commit_wait_ms = total_ms / count if count else float("nan")
            phases[mode].slow_commits = slow / count if count else float("nan")
        return phases
    finally:
        server.terminate()
        await server.wait()


async def commit_waits(events_url: str) -> tuple[float, int, int]:
    """facts-bot's facts_log_commit_milliseconds from /metrics: (sum, count, rows that
    waited longer than SLOW_COMMIT_MS); zeros for the floor, which has neither a log nor
    /metrics."""
    found = {"sum": 0.0, "count": 0.0}
    within = 0.0
    async with aiohttp.ClientSession() as http, \
            http.get(events_url.replace("/slack/events", "/metrics")) as response:
        if response.status == 200:
            for line in (await response.text()).splitlines():
                name, _, value = line.rpartition(" ")
                if name.startswith("facts_log_commit_milliseconds_"):
                    if name.endswith(f'_bucket{{le="{SLOW_COMMIT_MS:g}"}}'):
                        within = float(value)
                    found[name.rsplit("_", 1)[1]] = float(value)
    return found["sum"], int(found["count"]), int(found["count"] - within)


def disk_fsync(folder: str, writes: int = 600, rate: float = 300.0) -> tuple[float, float]:
    """p50 and p99 (ms) of fdatasync after a 12 KB write (a one-row commit's WAL frames),
    `rate` a second, in `folder`: the least any answer in the ack waits for, since each
    waits for its row's commit. Taken alone, before the rounds: the disk's own floor."""
    path = Path(folder) / "fsync-probe"
    block = os.urandom(12 * 1024)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"\0" * (4 << 20))  # as a WAL in use: written over, not grown
        os.fdatasync(fd)
        times = []
        started = time.perf_counter()
        for number in range(writes):
            time.sleep(max(0.0, started + number / rate - time.perf_counter()))
            os.pwrite(fd, block, (number * len(block)) % (4 << 20))
            begun = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - begun) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    return pct(times, 50), pct(times, 99)


def answer_latencies(phase: Phase, arrivals: dict[str, float]) -> list[float]:
    """Each request's answer: its ack if it carried it, else its response_url arrival."""
    late = [(arrivals[key] - sent) * 1000 for key, sent in phase.sent.items()
            if key not in phase.in_ack and key in arrivals]
    return sorted(list(phase.in_ack.values()) + late)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * p / 100) - 1)]


async def main(args: argparse.Namespace) -> None:
    ready, posted = multiprocessing.Queue(), multiprocessing.Queue()
    stop = multiprocessing.Event()
    fake = multiprocessing.Process(target=run_fake_slack, args=(ready, stop, posted))
    fake.start()
    api_url, response_url = ready.get(timeout=30)
    base_env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": api_url, "FACTS_PORT": "0",
                "FACTS_ANSWER_IN_ACK_MS": str(args.answer_in_ack_ms)}
    bot = [str(Path(sys.executable).with_name("facts-bot")), "serve"]
    floor = [sys.executable, str(HERE / "bolt_floor.py")]
    results: dict[str, list[dict[str, Phase]]] = {"facts-bot": [], "floor": []}
    logged = []
    disk = None
    if not args.postgres_url:  # where query_log puts the SQLite file
        with tempfile.TemporaryDirectory() as tmp:
            disk = disk_fsync(tmp, rate=args.rate)
    for round_number in range(args.rounds):
        order = [("facts-bot", bot), ("floor", floor)]
        for name, command in order if round_number % 2 == 0 else order[::-1]:
            with query_log(args.postgres_url) as (facts_db, count):
                phases = await measure(command, {**base_env, "FACTS_DB": facts_db},
                                       response_url, args)
                if name == "facts-bot":
                    logged.append(count())
            results[name].append(phases)
            closed = phases["closed"]
            print(f"round {round_number + 1} {name}: {args.requests / closed.elapsed:,.0f} "
                  f"req/s at {args.concurrency} in flight", flush=True)
    stop.set()
    arrivals = dict(posted.get(timeout=60))
    fake.join(timeout=10)
    for runs in results.values():
        for phases in runs:
            for phase in phases.values():
                phase.answers = answer_latencies(phase, arrivals)
    report(results, logged, disk, args)


def report(results: dict[str, list[dict[str, Phase]]], logged: list[int],
           disk: tuple[float, float] | None, args: argparse.Namespace) -> None:
    figures: list[tuple[str, Callable[[dict[str, Phase]], float], str]] = [
        (f"requests/s at {args.concurrency} in flight",
         lambda p: args.requests / p["closed"].elapsed, "higher is better"),
        (f"ack p50 at {args.concurrency} in flight (ms)",
         lambda p: statistics.median(p["closed"].acks), ""),
        (f"ack p99 at {args.concurrency} in flight (ms)", lambda p: pct(p["closed"].acks, 99), ""),
        (f"server CPU per request, its log writer included, at {args.concurrency} in flight (ms)",
         lambda p: p["closed"].cpu_seconds * 1000 / args.requests, ""),
        (f"ack p50 at {args.rate:g}/s (ms)", lambda p: statistics.median(p["open"].acks), ""),
        (f"ack p99 at {args.rate:g}/s (ms)", lambda p: pct(p["open"].acks, 99), ""),
        (f"answer p50 at {args.rate:g}/s (ms)",
         lambda p: statistics.median(p["open"].answers or [float("nan")]), ""),
        (f"answer p99 at {args.rate:g}/s (ms)",
         lambda p: pct(p["open"].answers or [float("nan")], 99), ""),
    ]
    bot, floor = results["facts-bot"], results["floor"]
    print(f"\n{args.rounds} rounds, {args.requests} signed /facts requests per phase, "
          f"{args.questions} questions, "
          f"FACTS_ANSWER_IN_ACK_MS={args.answer_in_ack_ms}, query log "
          f"{'PostgreSQL' if args.postgres_url else 'SQLite'}; min / median over the rounds")
    print(f"{'':44} {'facts-bot':>17} {'floor':>17} {'facts-bot/floor':>17}")
    for label, value, note in figures:
        ours = [value(p) for p in bot]
        base = [value(p) for p in floor]
        ratios = [a / b for a, b in zip(ours, base, strict=True)]
        print(f"{label:44} {_mm(ours):>17} {_mm(base):>17} {_mm(ratios, 2):>17} {note}")
    print(f"{'facts-bot log commit wait, mean (ms)':44} "
          f"{_mm([p['closed'].commit_wait_ms for p in bot]):>17} at {args.concurrency} in flight, "
          f"{_mm([p['open'].commit_wait_ms for p in bot])} at {args.rate:g}/s")
    print(f"{'facts-bot log rows waiting > ' + f'{SLOW_COMMIT_MS:g} ms for commit (%)':44} "
          f"{_mm([100 * p['closed'].slow_commits for p in bot], 2):>17} at {args.concurrency} "
          f"in flight, {_mm([100 * p['open'].slow_commits for p in bot], 2)} at {args.rate:g}/s")
    if disk:
        print(f"{'disk: fdatasync of a 12 KB write (ms)':44} p50 {disk[0]:.2f}, p99 {disk[1]:.2f}"
              f" ({args.rate:g}/s, before the rounds)")
    print_targets(bot, floor, args)
    closed = [p["closed"] for p in bot]
    opened = [p["open"] for p in bot]
    in_ack = sum(len(p.in_ack) for p in closed + opened)
    answered = sum(len(p.answers) for p in closed + opened)
    total = 2 * args.requests * args.rounds
    print(f"facts-bot answers seen: {answered} of {total} measured requests, {in_ack} of them "
          f"in the ack; query log rows per run (incl. {WARM_UP} warm-up): {logged}")
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(f"load generator CPU over the whole run: {own.ru_utime + own.ru_stime:.1f} s; "
          f"load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")


#: Issue 16's targets: (what, facts-bot's figure, the bound on facts-bot/floor, at least?)
TARGETS: list[tuple[str, Callable[[dict[str, Phase], argparse.Namespace], float], float, bool]] = [
    ("requests/s at {concurrency} in flight", lambda p, a: a.requests / p["closed"].elapsed,
     0.6, True),
    ("ack p99 at {rate:g}/s", lambda p, a: pct(p["open"].acks, 99), 1.5, False),
]


def print_targets(bot: list[dict[str, Phase]], floor: list[dict[str, Phase]],
                  args: argparse.Namespace) -> None:
    """Each target's facts-bot/floor ratio, min and median of the rounds, and how many met it."""
    print("targets (issue 16), facts-bot/floor per round:")
    for label, value, bound, at_least in TARGETS:
        ratios = [value(ours, args) / value(base, args)
                  for ours, base in zip(bot, floor, strict=True)]
        met = sum(r >= bound if at_least else r <= bound for r in ratios)
        name = label.format(concurrency=args.concurrency, rate=args.rate)
        print(f"  {name:36} {_mm(ratios, 2):>13} (min / median); target "
              f"{'>=' if at_least else '<='} {bound:g}: met in {met} of {len(ratios)} rounds")


def _mm(values: list[float], digits: int = 1) -> str:
    return f"{min(values):,.{digits}f} / {statistics.median(values):,.{digits}f}"


def run(main: Coroutine[Any, Any, None]) -> None:
    """Runs the load generator and the fake Slack, which must not pause.

    They run on uvloop: on two cores, every millisecond of CPU they save is one
    the server under test does not wait for. And without the cyclic garbage
    collector: the fake keeps every reply it receives, and collecting that heap
    paused it for up to 180 ms in a 20,000-request run, which showed up as the
    bot's latency. (The servers' own collectors stay on; their pauses are real.)
    """
    gc.disable()
    uvloop.run(main)


def _cpu_seconds(pid: int) -> float:
    """CPU time of the server and of its running child processes (facts-bot's query-log
    writer process): both compete with the server for the same cores."""
    total = 0.0
    for process in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # it exited meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000, help="per measured phase")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=500.0,
                        help="requests per second in the open-loop (steady rate) phase")
    parser.add_argument("--answer-in-ack-ms", type=int, default=500,
                        help="facts-bot's FACTS_ANSWER_IN_ACK_MS (0: the old "
                             "ack-then-response_url path, to compare)")
    parser.add_argument("--questions", choices=["repeated", "distinct"], default="repeated",
                        help="repeated: eight questions in turn; distinct: no request asks "
                             "what another asked (a reply kept for a question asked again "
                             "is never reused)")
    parser.add_argument("--postgres-url", default=None,
                        help="log to a throwaway database on this PostgreSQL server instead "
                             "of SQLite (scripts/postgres-for-tests.sh prints a URL)")
    run(main(parser.parse_args()))
