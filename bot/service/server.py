"""Running the bot as a process: HTTP or Socket Mode, signals, graceful shutdown.

SIGTERM stops taking new requests, lets those in flight finish (their log
rows committed, their replies sent), closes the log and exits 0. SIGHUP
reloads the knowledge exactly as `/facts reload` does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.alerts.sender import AlertScheduler, AlertSender
from bot.review.privacy import pseudonymizer_for, purge_expired
from bot.service.bolt_entry import slack_events_app
from bot.service.clock import Clock
from bot.service.http_guard import AcceptErrorLog
from bot.service.keeper import LogKeeper
from bot.service.live import LiveKnowledge
from bot.service.metrics import Metrics
from bot.service.replicas import ReplicaSync
from bot.service.settings import ConfigError, Settings, require_for_serving
from bot.service.spool import Spool
from bot.slack.api import slack_client
from bot.slack.app import FactsBot
from bot.slack.requests import Who, new_request_id
from bot.store import LogStore, open_store

log = logging.getLogger("facts_bot")

DRAIN_SECONDS = 20.0
YOUNG_GENERATION = 20_000  # allocations between collections of the young generation
#: How long a thread waiting for the GIL waits before asking the event loop for it
#: (CPython's default is 5 ms). A log writer thread (PostgreSQL's; SQLite's is a process
#: unless that cannot start) takes the GIL back after each database call; when the busy
#: loop did not give it up sooner, each answer waiting for that commit waited up to 5 ms
#: more per call (benchmarks/bench_slack.py).
SWITCH_INTERVAL_SECONDS = 0.0005


@dataclass
class Service:
    """A started bot: what is running, and how to stop it in order."""

    bot: FactsBot
    store: LogStore
    runner: web.AppRunner | None = None
    socket: AsyncSocketModeHandler | None = None
    background: list[asyncio.Task] = field(default_factory=list)
    url: str = ""
    scheduler: AlertScheduler | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def stop(self) -> None:
        """Stop taking requests, finish those in flight, then close the log."""
        self.bot.accepting = False
        if self.socket is not None:
            await self.socket.close_async()
        if self.runner is not None:
            # Stop listening first; the handlers already accepted keep running.
            for site in list(self.runner.sites):
                await site.stop()
        self.stopping.set()
        drained = await self.bot.inflight.wait_idle(DRAIN_SECONDS)
        if not drained:
            log.warning("%d request(s) still running after %.0f s; stopping anyway",
                        self.bot.inflight.count, DRAIN_SECONDS)
        _, pending = await asyncio.wait(self.background, timeout=5) if self.background \
            else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        if self.runner is not None:
            await self.runner.cleanup()
        await self.store.close()
        await self.bot.close()


async def start_service(settings: Settings, clock: Clock,
                        store: LogStore | None = None) -> Service:
    """Load, connect and start listening; raises ConfigError on anything misconfigured.

    `store` replaces the one FACTS_DB names (tests pass a store they can take down).
    """
    require_for_serving(settings)
    live = LiveKnowledge.load(settings.knowledge_dir, settings.match, clock.now().date())
    metrics = Metrics()
    store = store or _open_for_writing(settings.db)
    client = slack_client(settings.bot_token or "", settings.api_url, metrics=metrics)
    try:
        auth = await client.auth_test()
    except SlackApiError as failed:
        await store.close()
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack: "
                          f"{failed.response.get('error')}") from None
    pseudonymizer = pseudonymizer_for(settings)
    bot = FactsBot(settings, live, store, clock, client,
                   privacy=pseudonymizer.apply if pseudonymizer else None, metrics=metrics)
    service = Service(bot, store)
    service.scheduler = AlertScheduler(
        AlertSender(store, client, clock, owner_id=f"{socket.gethostname()}:{os.getpid()}",
                    metrics=bot.metrics),
        lambda: live.snapshot, clock, channel_override=settings.alert_channel,
        currency=lambda: bot.approvals.current)
    bot.spool = Spool(Path(settings.spool_path))
    bot.keeper = LogKeeper(store, bot.spool, bot.metrics)
    service.background.append(asyncio.create_task(bot.keeper.run(service.stopping)))
    bot.after_reload = service.scheduler.wake
    bot.replicas = ReplicaSync(store, live, clock, after_reload=service.scheduler.wake,
                               approvals=bot.approvals)
    await bot.replicas.start()
    service.background.append(asyncio.create_task(bot.replicas.run(service.stopping)))
    service.background.append(asyncio.create_task(service.scheduler.run(service.stopping)))
    service.background.append(asyncio.create_task(
        purge_daily(store, clock, settings.log_retention_days, service.stopping)))
    app = bot.build_app(auth.data)
    if settings.socket_mode:
        service.socket = AsyncSocketModeHandler(app, app_token=settings.app_token)
        await service.socket.connect_async()
        log.info("connected to Slack in Socket Mode")
        # Still listen over HTTP, for the health, readiness and metrics probes.
        web_app = web.Application()
    else:
        web_app = slack_events_app(
            app, settings.signing_secret or "", lambda: bot.accepting, settings.http_idle_seconds,
            on_refused=lambda reason: bot.metrics.http_refused.inc(reason=reason))
        web_app.middlewares.insert(0, ack_timer(bot))  # outermost: the guard's time counts
    web_app.router.add_get("/healthz", health_handler(bot))
    web_app.router.add_get("/metrics", metrics_handler(bot))
    web_app.router.add_get("/readyz", ready_handler(bot))
    # keepalive_timeout also runs from the moment a connection opens: a client that
    # has not sent a whole request by then is closed, so idle sockets cannot pile up
    # until accept() runs out of file descriptors.
    service.runner = web.AppRunner(web_app, access_log=None,
                                   keepalive_timeout=settings.http_idle_seconds)
    await service.runner.setup()
    site = web.TCPSite(service.runner, settings.host, settings.port)
    await site.start()
    service.url = f"http://{settings.host}:{service.runner.addresses[0][1]}"
    log.info("listening on %s", service.url)
    return service


def _open_for_writing(db: str) -> LogStore:
    """The query log, or one line saying why it cannot be written (read-only, no space...)."""
    try:
        return open_store(db, writer_process=True)
    except (OSError, sqlite3.Error, ValueError) as failed:
        raise ConfigError(f"FACTS_DB: cannot open the query log {db!r} for writing: "
                          f"{failed}") from None


async def purge_daily(store: LogStore, clock: Clock, retention_days: int,
                      stop: asyncio.Event) -> None:
    """Delete log rows past FACTS_LOG_RETENTION_DAYS now, then once a day while serving."""
    while not stop.is_set():
        try:
            removed = await asyncio.to_thread(purge_expired, store, clock.now(), retention_days)
            if removed:
                log.info("retention: purged %d log row(s) older than %d days", removed,
                         retention_days)
        except Exception:
            log.exception("retention purge failed; trying again tomorrow")
        sleeper = asyncio.create_task(clock.sleep(24 * 3600))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()
        stopper.cancel()


def ack_timer(bot: FactsBot):
    """Times what Slack waits for: from a request's arrival to the response."""

    @web.middleware
    async def timed(request: web.Request, handler):
        if request.path != "/slack/events":
            return await handler(request)
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            bot.metrics.ack_ms.observe((time.perf_counter() - started) * 1000)
    return timed


def metrics_handler(bot: FactsBot):
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=bot.metrics.render(), content_type="text/plain",
                            charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})
    return metrics


def ready_handler(bot: FactsBot):
    """Ready to take traffic: knowledge loaded and not stopping (503 otherwise).

    A database outage is reported as `degraded` but keeps the copy ready: it
    still answers, with log rows spooled on disk; taking every copy out of
    service at once would answer nobody.
    """
    async def ready(_: web.Request) -> web.Response:
        problems, degraded = [], []
        if not bot.accepting:
            problems.append("stopping")
        if not bot.live.snapshot.entries:
            problems.append("no knowledge loaded")
        try:
            await asyncio.wait_for(asyncio.to_thread(bot.store.list_alerts, bot.clock.now()),
                                   timeout=2)
        except Exception as failed:  # still answering: degraded, not unready
            degraded.append(f"database: {type(failed).__name__}: {failed}"[:200])
        degraded += bot.keeper.problems() + bot.store.health_notes()
        body = {"ready": not problems, "problems": problems, "degraded": degraded,
                "content_version": bot.live.snapshot.version}
        return web.json_response(body, status=200 if not problems else 503)
    return ready


def health_handler(bot: FactsBot):
    async def health(_: web.Request) -> web.Response:
        snapshot = bot.live.snapshot
        return web.json_response({"ok": True, "content_version": snapshot.version,
                                  "entries": len(snapshot.entries),
                                  "in_flight": bot.inflight.count})
    return health


async def serve(settings: Settings, clock: Clock,
                ready: Callable[[Service], None] | None = None) -> int:
    """Run until SIGTERM or SIGINT; SIGHUP reloads the knowledge."""
    service = await start_service(settings, clock)
    # Everything loaded so far lives as long as the process: keep the collector
    # from re-scanning it, which otherwise shows up as pauses in ack latency.
    gc.collect()
    gc.freeze()
    # A request's objects are freed by reference counting as it ends; the young
    # generation's collections only re-scan those of the requests in flight. At
    # the default 700 allocations that was one collection every few requests,
    # 5-10% of the CPU per request under load (benchmarks/bench_slack.py); at
    # YOUNG_GENERATION they are rarer, as cheap each, and hold a few MB at most.
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    skip_unused_log_fields()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(AcceptErrorLog())
    stopping = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(reload_on_signal(service)))
    print(f"facts-bot serving {service.url} {'(Socket Mode)' if service.socket else ''}"
          f"with content version {service.bot.live.snapshot.version}", flush=True)
    if ready:
        ready(service)
    await stopping.wait()
    log.info("stopping: finishing %d request(s) in flight", service.bot.inflight.count)
    await service.stop()
    print("facts-bot stopped", flush=True)
    return 0


def skip_unused_log_fields() -> None:
    """Stop `logging` gathering, for every line, fields neither log format prints.

    The caller's file, line and function (a stack walk), thread and process ids:
    the text format prints time, level, logger and message; the JSON one adds
    `extra` fields only. Every answered query logs a line, and these were a
    fifth of its cost. The switches are the ones the logging HOWTO's
    "Optimization" section names.
    """
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


async def reload_on_signal(service: Service) -> None:
    """SIGHUP: the same reload as `/facts reload`, told to the process log."""
    message = await service.bot.reload(Who("SIGHUP", "signal", "", ""),
                                       request_id=new_request_id())
    log.info("SIGHUP reload: %s", message.text)
