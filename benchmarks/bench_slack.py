"""Slack ack benchmark: signed /facts requests over loopback, 50 at a time.

Starts `facts-bot serve` as its own process against a fake Slack (in a third
process), sends N signed slash commands with C in flight at once, and prints
the ack latency (the HTTP 200 Slack waits for) p50/p99, requests per second,
how many answers reached the response_url and how long they took from the
request being sent. Numbers only; no asserts.

Every answered query is committed to the query log before its answer goes
out, so this is also the log's write path under load, with acks measured at
the same time: SQLite by default, PostgreSQL with --postgres-url.

Run: .venv/bin/pip install -e '.[bench]'
     .venv/bin/python benchmarks/bench_slack.py [--requests 3000] [--concurrency 50]
         [--rate 1000] [--postgres-url "$(bash scripts/postgres-for-tests.sh)"]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import psycopg
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fakeslack import FakeSlack, signed_slash_command  # noqa: E402

SECRET = "bench-secret"
QUERIES = ["racial profiling", "how many removed", "DUI", "parking at headquarters",
           "who is the press contact", "racail profilng", "op-ed", "secure communities"]


def run_fake_slack(ready: multiprocessing.Queue, stop: multiprocessing.Event,
                   counts: multiprocessing.Queue) -> None:
    """The fake Slack in its own process, so its work does not skew the measured acks."""
    async def serve() -> None:
        async with FakeSlack() as slack:
            slack.max_response_url_uses = 10**9
            ready.put((slack.api_url, slack.response_url("bench")))
            while not stop.is_set():
                await asyncio.sleep(0.05)
            # The client put its send time (time.time()) in each response_url's query.
            sent = [(float(post.query.split("=", 1)[1]), post.time)
                    for post in slack.responses() if post.query.startswith("sent=")]
            counts.put([(at, (arrived - at) * 1000) for at, arrived in sent])
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
    name = f"facts_bench_{os.getpid()}"
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


async def main(requests: int, concurrency: int, rate: float | None,
               postgres_url: str | None) -> None:
    ready, counts = multiprocessing.Queue(), multiprocessing.Queue()
    stop = multiprocessing.Event()
    fake = multiprocessing.Process(target=run_fake_slack, args=(ready, stop, counts))
    fake.start()
    api_url, response_url = ready.get(timeout=30)
    with query_log(postgres_url) as (facts_db, logged_queries):
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": api_url, "FACTS_DB": facts_db, "FACTS_PORT": "0"}
        server = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("facts-bot")), "serve", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        url = (await server.stdout.readline()).decode().split()[2] + "/slack/events"
        latencies: list[float] = []
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def one(number: int) -> None:
                body, headers = signed_slash_command(
                    SECRET, text=QUERIES[number % len(QUERIES)],
                    response_url=f"{response_url}?sent={time.time()!r}")
                start = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200
                latencies.append((time.perf_counter() - start) * 1000)

            async def closed_loop(total: int) -> None:
                """`concurrency` clients, each sending its next request when acked.

                Workers rather than one task per request: creating thousands of
                tasks at once stalls this process, and that stall used to show
                up as ack latency that the bot never caused.
                """
                numbers = iter(range(total))

                async def client() -> None:
                    for number in numbers:
                        await one(number)
                await asyncio.gather(*(client() for _ in range(concurrency)))

            async def open_loop(total: int) -> None:
                """Requests at a steady `rate` per second, however long each takes,
                as Slack sends them: the ack latency at a given load."""
                began, sent = time.perf_counter(), []
                for number in range(total):
                    await asyncio.sleep(max(0.0, began + number / rate - time.perf_counter()))
                    sent.append(asyncio.create_task(one(number)))
                await asyncio.gather(*sent)

            await closed_loop(min(200, requests))  # warm-up
            await asyncio.sleep(1.0)  # the warm-up's answers go out before measuring
            latencies.clear()
            measured_from = time.time()
            started = time.perf_counter()
            await (open_loop(requests) if rate else closed_loop(requests))
            elapsed = time.perf_counter() - started
        await asyncio.sleep(1.0)  # let the last answers land
        server_cpu = _cpu_seconds(server.pid)
        async with aiohttp.ClientSession() as http, \
                http.get(url.replace("/slack/events", "/metrics")) as response:
            exposition = await response.text()
        server_side = [line for line in exposition.splitlines()
                       if line.startswith("facts_ack_milliseconds_bucket")]
        server.terminate()
        await server.wait()
        logged = logged_queries()
    stop.set()
    answered = counts.get(timeout=30)
    answers = sorted(ms for at, ms in answered if at >= measured_from)
    fake.join(timeout=10)
    latencies.sort()
    marks = {p: latencies[int(len(latencies) * p / 100) - 1] for p in (50, 90, 95, 99)}
    print("ack latency percentiles (ms): " + ", ".join(f"p{p} {v:.1f}" for p, v in marks.items())
          + f", max {latencies[-1]:.1f}")
    load = f"at {rate:g}/s" if rate else f"{concurrency} in flight"
    print(f"{requests} signed /facts requests, {load}: "
          f"ack p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms, "
          f"{requests / elapsed:.0f} requests/s; answers delivered: "
          f"{len(answered)} of {requests + min(200, requests)}")
    print(f"query log ({'PostgreSQL' if postgres_url else 'SQLite'}): {logged} rows for "
          f"{requests + min(200, requests)} requests, {requests / elapsed:.0f} rows/s committed "
          f"before each answer")
    print(f"answer latency (request sent to reply at Slack's response_url): "
          f"p50 {statistics.median(answers):.1f} ms, "
          f"p99 {answers[int(len(answers) * 0.99) - 1]:.1f} ms, max {answers[-1]:.1f} ms")
    print("server-side ack histogram (cumulative, ms): " + ", ".join(
        line.split("{")[1].replace('le="', "≤").replace('"}', ":") for line in server_side))
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(f"CPU seconds over the whole run: bot process {server_cpu:.1f}, load generator "
          f"{own.ru_utime + own.ru_stime:.1f} (wall {elapsed:.1f} s measured part)")


def run(main: Coroutine[Any, Any, None]) -> None:
    """Runs the load generator and the fake Slack, which must not pause.

    They run on uvloop: on two cores, every millisecond of CPU they save is one
    the bot under test does not wait for. And without the cyclic garbage
    collector: the fake keeps every reply it receives, and collecting that heap
    paused it for up to 180 ms in a 20,000-request run, which showed up as the
    bot's latency. (The bot's own collector stays on; its pauses are real.)
    """
    gc.disable()
    uvloop.run(main)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=None,
                        help="send this many requests per second (open loop) instead of "
                             "keeping --concurrency in flight")
    parser.add_argument("--postgres-url", default=None,
                        help="log to a throwaway database on this PostgreSQL server instead "
                             "of SQLite (scripts/postgres-for-tests.sh prints a URL)")
    arguments = parser.parse_args()
    run(main(arguments.requests, arguments.concurrency, arguments.rate, arguments.postgres_url))
