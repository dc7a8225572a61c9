"""Slack wiring: the /facts command and its buttons on a slack-bolt AsyncApp.

Every handler acks first, so Slack always hears back within its 3 seconds;
the lookup, the log write (committed before the answer goes out) and the
reply follow. Knowledge, store, clock and client are passed in, never global.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.alerts.plan import describe_status
from bot.alerts.sender import recent_statuses
from bot.content import KINDS
from bot.matching import Match, Result
from bot.review.gaps import find_gaps
from bot.review.summary import stats_mrkdwn, summarize_store
from bot.service.clock import Clock
from bot.service.jsonlog import bind_request_id
from bot.service.live import LiveKnowledge, ReloadOutcome
from bot.service.metrics import Metrics
from bot.service.replicas import ReplicaSync
from bot.service.settings import Settings
from bot.service.spool import Spool
from bot.slack import render
from bot.store import AuditRecord, LogStore, QueryRecord

log = logging.getLogger("facts_bot")

ADMIN_GROUP_TTL_SECONDS = 300
Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Who:
    """Who asked, and where: what every log row needs."""

    user_id: str
    user_name: str
    channel_id: str
    team_id: str

    @classmethod
    def from_command(cls, command: dict) -> Who:
        return cls(command.get("user_id", ""), command.get("user_name", ""),
                   command.get("channel_id", ""), command.get("team_id", ""))

    @classmethod
    def from_action(cls, body: dict) -> Who:
        user = body.get("user") or {}
        return cls(user.get("id", ""), user.get("username") or user.get("name", ""),
                   (body.get("channel") or {}).get("id", ""),
                   (body.get("team") or {}).get("id", "") or user.get("team_id", ""))


class InFlight:
    """The work started after an ack, tracked so shutdown can wait for it to finish.

    asyncio keeps only weak references to tasks; holding them here also keeps
    a reply from being garbage-collected half way. `wait_for_room` is the
    backpressure: acking faster than answers can be sent would only grow a
    queue of people waiting for their answer. At 50 requests in flight a limit
    of 32 kept both ack and answer p99 near 50 ms; 64 and 128 let answers wait
    longer without making acks faster (benchmarks/bench_slack.py).
    """

    def __init__(self, limit: int = 32, max_wait: float = 1.0) -> None:
        self.limit = limit
        self.max_wait = max_wait  # well inside the 3 s Slack allows for an ack
        self._tasks: set[asyncio.Task] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def count(self) -> int:
        return len(self._tasks)

    async def wait_for_room(self) -> None:
        """Hold an ack while `limit` requests are still being answered (at most `max_wait`)."""
        if len(self._tasks) < self.limit:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._room.wait(), self.max_wait)

    def start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        self._idle.clear()
        if len(self._tasks) >= self.limit:
            self._room.clear()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self.limit:
            self._room.set()
        if not self._tasks:
            self._idle.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("request failed after its ack", exc_info=task.exception())

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False


@dataclass
class AdminCheck:
    """Admins are user ids from the settings, plus (optionally) a user group's members."""

    admins: frozenset[str]
    group: str | None
    client: AsyncWebClient
    clock: Clock
    metrics: Metrics
    _members: frozenset[str] = frozenset()
    _fetched_at: float = field(default=-1e18)

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self.admins:
            return True
        if not self.group:
            return False
        now = self.clock.now().timestamp()
        if now - self._fetched_at > ADMIN_GROUP_TTL_SECONDS:
            try:
                found = await self.client.usergroups_users_list(usergroup=self.group)
                self._members = frozenset(found.get("users") or ())
                self._fetched_at = now
            except SlackApiError as failed:
                self.metrics.slack_errors.inc(error=str(failed.response.get("error")))
                log.warning("cannot read admin group %s: %s", self.group,
                            failed.response.get("error"))
        return user_id in self._members


def new_request_id() -> str:
    """A fresh id for one request, bound to the current task's log lines."""
    request_id = uuid.uuid4().hex[:16]
    bind_request_id(request_id)
    return request_id


def parse_command(text: str) -> tuple[str, str]:
    """('help'|'list'|'show'|'events'|'reload'|'stats'|'ask', the rest)."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return "help", ""
    first, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if first in ("help", "list", "show", "events", "reload", "stats") and (
        first in ("list", "show") or not rest
    ):
        return first, rest.strip()
    return "ask", text.strip()


class FactsBot:
    """The /facts service: handlers over the live knowledge, the log and the clock."""

    def __init__(self, settings: Settings, live: LiveKnowledge, store: LogStore, clock: Clock,
                 client: AsyncWebClient, privacy: Callable[[Any], Any] | None = None,
                 metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.live = live
        self.store = store
        self.clock = clock
        self.client = client
        self.inflight = InFlight()
        self.metrics = metrics or Metrics()
        self.admin = AdminCheck(settings.admins, settings.admin_group, client, clock,
                                self.metrics)
        self.privacy = privacy or (lambda record: record)
        self.after_reload: Callable[[], None] = lambda: None
        self.replicas: ReplicaSync | None = None
        self.spool: Spool | None = None
        self.accepting = True
        self._http: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------ app

    def build_app(self, auth_test: dict) -> AsyncApp:
        """A bolt app whose authorization comes from one auth.test made at start-up."""

        async def authorize(**_: Any) -> AuthorizeResult:
            return AuthorizeResult.from_auth_test_response(
                auth_test_response=auth_test, bot_token=self.settings.bot_token)

        # Bolt sets each request's token from `authorize`; its client needs none of its own.
        tokenless = AsyncWebClient(base_url=self.client.base_url,
                                   retry_handlers=self.client.retry_handlers)
        # The listeners below ack and return at once, starting the work as a task
        # of their own; so bolt can answer as soon as they return (rather than
        # polling every 10 ms for the ack), which is what `process_before_response`
        # does.
        app = AsyncApp(client=tokenless, signing_secret=self.settings.signing_secret or "x",
                       authorize=authorize, request_verification_enabled=not
                       self.settings.socket_mode, process_before_response=True, logger=log)
        app.command("/facts")(self.on_command)
        app.action(render.SHOW_ACTION)(self.on_show)
        app.action(render.SHARE_ACTION)(self.on_share)
        app.action(render.HELPFUL_ACTION)(self.on_feedback)
        app.action(render.NOT_HELPFUL_ACTION)(self.on_feedback)
        return app

    # ------------------------------------------------------------ /facts

    async def on_command(self, ack: Callable, command: dict) -> None:
        await self.inflight.wait_for_room()
        await ack()
        self.inflight.start(
            self.handle_command(command, self.responder(command.get("response_url", ""))))

    async def handle_command(self, command: dict, respond: Respond) -> None:
        started = time.perf_counter()
        who = Who.from_command(command)
        request_id = new_request_id()
        name, argument = parse_command(command.get("text") or "")
        if name == "ask":
            match = self.live.current.search(argument, self.today(), limit=3)
            self.metrics.lookup_ms.observe((time.perf_counter() - started) * 1000)
            self.metrics.queries.inc(status=match.status)
            message = self.match_message(match, request_id)
            await self.log_query(who, request_id, argument, match.status, match.results,
                                 started)
        else:
            self.metrics.commands.inc(command=name)
            message = await self.subcommand(name, argument, who, request_id)
            await self.log_query(who, request_id, command.get("text") or "",
                                 "help" if name == "help" else "command", (), started)
        await self.send(respond, message)

    def match_message(self, match: Match, request_id: str) -> render.Message:
        snapshot = self.live.snapshot
        contacts = snapshot.contacts_for(r.entry for r in match.results)
        return render.match_message(match, contacts, self.context_value(match, request_id),
                                    self.live.current.settings.answer_min_score)

    @staticmethod
    def context_value(match: Match, request_id: str) -> dict:
        """What the buttons carry, so that 'Show this' can redraw without a new lookup."""
        return {"r": request_id, "q": match.query[:300],
                "o": [[r.entry.id, r.score] for r in match.results]}

    async def subcommand(self, name: str, argument: str, who: Who, request_id: str
                         ) -> render.Message:
        snapshot = self.live.snapshot
        if name == "help":
            return render.help_message()
        if name == "list":
            return self.list_entries(argument)
        if name == "show":
            entry = snapshot.by_id.get(argument.strip())
            if entry is None:
                return render.text_message(f"No approved response has the id "
                                           f"`{render.escape(argument)}`. Try `/facts list`.")
            context = {"r": request_id, "q": "", "o": []}
            return render.show_message(entry, context, entry.servable_on(self.today()))
        if name == "events":
            problems: list[str] = []
            if await self.admin.is_admin(who.user_id):
                since = self.clock.now() - dt.timedelta(days=2)
                failed = await asyncio.to_thread(recent_statuses, self.store, since,
                                                 failed_only=True)
                problems = [describe_status(status) for status in failed]
            return render.events_message(snapshot, self.clock.now(), problems)
        if not await self.admin.is_admin(who.user_id):
            await self.log_audit("refusal", who, request_id, {"command": name})
            return render.text_message(f"Sorry, `/facts {name}` is for the communications "
                                       "team's admins. Your request was noted.")
        if name == "reload":
            return await self.reload(who, request_id)
        return render.text_message(await self.weekly_stats())

    async def weekly_stats(self) -> str:
        """The last 7 days for admins: outcomes, most asked, and the top gaps."""
        now = self.clock.now()
        summary = await asyncio.to_thread(summarize_store, self.store,
                                          since=now - dt.timedelta(days=7), until=now)
        gaps = await asyncio.to_thread(find_gaps, summary.gap_queries, self.live.current,
                                       now.date(), 5)
        return stats_mrkdwn(summary, gaps, limit=5)

    def list_entries(self, argument: str) -> render.Message:
        kind = argument.strip().lower().replace(" ", "_").replace("-", "_") or None
        kind = {"q&a": "qa", "q_a": "qa"}.get(kind or "", kind)
        if kind and kind.rstrip("s") in KINDS:
            kind = kind.rstrip("s")
        if kind and kind not in KINDS:
            return render.text_message(f"`{render.escape(argument)}` is not a kind. Kinds: "
                                       + ", ".join(f"`{k}`" for k in KINDS))
        snapshot = self.live.snapshot
        entries = [e for e in snapshot.entries if kind is None or e.kind == kind]
        servable = {e.id for e in snapshot.served(self.today())}
        return render.list_message(entries, kind, servable)

    async def reload(self, who: Who, request_id: str) -> render.Message:
        outcome = await self.live.reload(self.today())
        self.metrics.reloads.inc(result="ok" if outcome.ok else "failed")
        self.after_reload()
        text = reload_text(outcome)
        if outcome.ok and self.replicas is not None:
            await self.replicas.announce(outcome.version)
            current, alive = await self.replicas.on_version(outcome.version, wait_seconds=6)
            text += f"\nCopies of the bot on version `{outcome.version}`: {current} of {alive}."
        await self.log_audit("reload", who, request_id, reload_detail(outcome),
                             version=outcome.version)
        return render.text_message(text)

    # ------------------------------------------------------------ buttons

    async def on_show(self, ack: Callable, body: dict, action: dict) -> None:
        await self.inflight.wait_for_room()
        await ack()
        self.inflight.start(self.show_entry(body, action))

    async def on_share(self, ack: Callable, body: dict, action: dict) -> None:
        await self.inflight.wait_for_room()
        await ack()
        self.inflight.start(self.share_entry(body, action))

    async def on_feedback(self, ack: Callable, body: dict, action: dict) -> None:
        await self.inflight.wait_for_room()
        await ack()
        self.inflight.start(self.record_feedback(body, action))

    async def show_entry(self, body: dict, action: dict) -> None:
        respond = self.responder(body.get("response_url", ""))
        value = json.loads(action.get("value") or "{}")
        bind_request_id(value.get("r") or "")
        entry = self.live.snapshot.by_id.get(value.get("entry", ""))
        if entry is None or not entry.servable_on(self.today()):
            await respond(text="That response is no longer approved. Ask again with "
                          "/facts.", replace_original=False, response_type="ephemeral")
            return
        context = {key: value.get(key) for key in ("r", "q", "o")}
        known = self.live.snapshot.by_id
        others = [Result(known[i], score) for i, score in value.get("o") or [] if i in known]
        match = Match(value.get("q") or "", "answer", tuple(others))
        message = render.answer_message(match, context, shown=entry)
        await self.log_audit("show", Who.from_action(body), value.get("r") or "",
                             {"entry_id": entry.id})
        await respond(blocks=message.blocks, text=message.text, replace_original=True,
                      response_type="ephemeral")

    async def share_entry(self, body: dict, action: dict) -> None:
        respond = self.responder(body.get("response_url", ""))
        value = json.loads(action.get("value") or "{}")
        bind_request_id(value.get("r") or "")
        who = Who.from_action(body)
        entry = self.live.snapshot.by_id.get(value.get("entry", ""))
        if entry is None or not entry.servable_on(self.today()):
            await respond(text="That response is no longer approved, so it was not shared.",
                          replace_original=False, response_type="ephemeral")
            return
        await self.log_audit("share", who, value.get("r") or "", {"entry_id": entry.id})
        message = render.shared_message(entry, who.user_id)
        await respond(blocks=message.blocks, text=message.text, response_type="in_channel",
                      replace_original=False)

    async def record_feedback(self, body: dict, action: dict) -> None:
        respond = self.responder(body.get("response_url", ""))
        value = json.loads(action.get("value") or "{}")
        bind_request_id(value.get("r") or "")
        helpful = action.get("action_id") == render.HELPFUL_ACTION
        await self.log_audit("feedback", Who.from_action(body), value.get("r") or "",
                             {"helpful": helpful, "entry_id": value.get("entry", ""),
                              "query": value.get("q") or "",
                              "query_request_id": value.get("r") or ""})
        verdict = "helpful" if helpful else "not helpful"
        await respond(text=f"Thanks: recorded as {verdict} for the communications team.",
                      replace_original=False, response_type="ephemeral")

    # ------------------------------------------------------------ edges

    def today(self):
        return self.clock.now().date()

    def responder(self, response_url: str) -> Respond:
        """Replies to one request's response_url over a shared HTTP session.

        Bolt's own `respond` opens a new session per reply, which was a third of
        the bot's CPU under load; one session keeps connections alive.
        """
        async def respond(**message: Any) -> None:
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            client = AsyncWebhookClient(response_url, session=self._http,
                                        retry_handlers=self.client.retry_handlers)
            sent = await client.send_dict(message)
            if sent.status_code != 200:
                self.metrics.slack_errors.inc(error=f"response_url_{sent.status_code}")
                log.warning("response_url answered %s: %s", sent.status_code, sent.body)
        return respond

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, respond: Respond, message: render.Message) -> None:
        try:
            await respond(blocks=message.blocks, text=message.text, response_type="ephemeral")
        except Exception:  # a lost reply must not take the service down
            log.exception("could not send the reply")

    async def log_query(self, who: Who, request_id: str, text: str, status: str,
                        results: tuple[Result, ...], started: float) -> None:
        top = results[0] if results else None
        record = QueryRecord(
            ts=self.clock.now(), request_id=request_id, user_id=who.user_id,
            user_name=who.user_name, channel_id=who.channel_id, team_id=who.team_id,
            text=text, status=status, top_id=top.entry.id if top else None,
            top_score=top.score if top else None,
            shown_ids=tuple(r.entry.id for r in results),
            content_version=self.live.snapshot.version,
            latency_ms=(time.perf_counter() - started) * 1000, source="slack")
        await self._write(self.store.record_query, self.privacy(record))
        log.info("query %s (top %s, score %s) in %.1f ms", status, record.top_id,
                 record.top_score, record.latency_ms,
                 extra={"event": "query", "status": status, "top_id": record.top_id,
                        "top_score": record.top_score, "latency_ms": round(record.latency_ms, 2),
                        "content_version": record.content_version})

    async def log_audit(self, kind: str, who: Who, request_id: str, detail: dict,
                        version: str | None = None) -> None:
        record = AuditRecord(
            ts=self.clock.now(), kind=kind, user_id=who.user_id, user_name=who.user_name,
            channel_id=who.channel_id, team_id=who.team_id, request_id=request_id,
            detail=detail, content_version=version or self.live.snapshot.version)
        await self._write(self.store.record_audit, self.privacy(record))
        fields = {"event": kind, "content_version": record.content_version}
        if "entry_id" in detail:
            fields["entry_id"] = detail["entry_id"]
        log.info("%s recorded", kind, extra=fields)

    async def _write(self, write: Callable[[Any], Awaitable[None]], record: Any) -> None:
        try:
            await write(record)
        except Exception as failed:  # the answer still goes out; the row waits in the spool
            self.metrics.log_write_errors.inc()
            kept = self.spool is not None and self.spool.add(record)
            log.error("could not write to the query log (%s: %s); %s", type(failed).__name__,
                      failed, "kept in the spool" if kept else "ROW LOST")


def reload_detail(outcome: ReloadOutcome) -> dict:
    return {"ok": outcome.ok, "version": outcome.version,
            "previous_version": outcome.previous_version, "added": list(outcome.added),
            "removed": list(outcome.removed), "changed": list(outcome.changed),
            "errors": [str(p) for p in outcome.errors][:50]}


def reload_text(outcome: ReloadOutcome) -> str:
    """What an admin needs after a reload: the version now serving, and what changed."""
    if not outcome.ok:
        lines = [f":x: *Reload failed.* The approved content was not changed: version "
                 f"`{outcome.version}` is still serving.", "Problems:"]
        lines += [f"• {render.escape(str(p))}" for p in outcome.errors[:20]]
        if len(outcome.errors) > 20:
            lines.append(f"…and {len(outcome.errors) - 20} more (run `facts-bot validate`).")
        return "\n".join(lines)
    if outcome.version == outcome.previous_version:
        return f"Reloaded: nothing changed, version `{outcome.version}` is serving."

    def ids(items: tuple[str, ...]) -> str:
        return ", ".join(f"`{render.escape(i)}`" for i in items) or "none"
    return (f":white_check_mark: *Reloaded.* Now serving version `{outcome.version}` "
            f"(was `{outcome.previous_version}`).\n"
            f"Added ({len(outcome.added)}): {ids(outcome.added)}\n"
            f"Removed ({len(outcome.removed)}): {ids(outcome.removed)}\n"
            f"Changed ({len(outcome.changed)}): {ids(outcome.changed)}")

