"""Slack wiring: the /facts command and its buttons on a slack-bolt AsyncApp.

A /facts answer goes out as the ack itself when the lookup and its log
commit finish within a budget (they take about a millisecond), saving the
second HTTP request to response_url; when they cannot, the ack goes out empty
in time and the answer follows through response_url. Either way the log row
is committed before the answer leaves. Button clicks ack empty and reply
through response_url: Slack ignores a message in a block_actions ack.
Knowledge, store, clock and client are passed in, never global. What each
subcommand and button does lives beside this module (asking, browsing, admin,
buttons, recording); this one only connects them to Slack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.matching.limits import readable_part
from bot.service.approvals import Approvals
from bot.service.clock import Clock
from bot.service.keeper import LogKeeper
from bot.service.live import LiveKnowledge
from bot.service.metrics import Metrics
from bot.service.replicas import ReplicaSync
from bot.service.settings import Settings
from bot.service.spool import Spool
from bot.slack import render, render_check
from bot.slack.admin import AdminCheck, AdminCommands
from bot.slack.api import without_connection_retries
from bot.slack.asked import AskedCache, Reply, reply_body
from bot.slack.asking import AskCommand
from bot.slack.browsing import BrowseCommands
from bot.slack.buttons import ButtonHandlers
from bot.slack.channels import ChannelNames
from bot.slack.checking import CHECK_CALLBACK_ID, RESPONSE_URL_USES, CheckCommands
from bot.slack.inflight import InFlight
from bot.slack.recording import LOGGED_TEXT_CHARS, Recording
from bot.slack.replies import RecentReplies
from bot.slack.requests import Who, new_request_id, parse_command, slack_plain_text
from bot.slack.reviewing import ReviewCommands
from bot.store import LogStore

__all__ = ["FactsBot", "InFlight", "Who", "new_request_id", "parse_command"]

log = logging.getLogger("facts_bot")

Respond = Callable[..., Awaitable[Any]]
# A late answer is sent at most this often to its response_url (see send_late).
LATE_ANSWER_TRIES = 2
assert LATE_ANSWER_TRIES <= RESPONSE_URL_USES



@contextlib.contextmanager
def _bolt_blind_to_token_env() -> Iterator[None]:
    """Build the bolt app without it reading SLACK_BOT_TOKEN from the environment.

    AsyncApp falls back to that variable when given no token and, given a client
    as well, warns at every start that the token will be unused. The token
    comes from our settings through `authorize`; bolt has no option to skip
    the lookup, so the variable is hidden while the app is built.
    """
    saved = os.environ.pop("SLACK_BOT_TOKEN", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["SLACK_BOT_TOKEN"] = saved


class FactsBot(AskCommand, BrowseCommands, AdminCommands, ButtonHandlers, CheckCommands,
               Recording, ReviewCommands):
    """The /facts service: handlers over the live knowledge, the log and the clock."""

    def __init__(self, settings: Settings, live: LiveKnowledge, store: LogStore, clock: Clock,
                 client: AsyncWebClient, privacy: Callable[[Any], Any] | None = None,
                 metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.live = live
        self.store = store
        self.clock = clock
        self.client = client
        self.inflight = InFlight(answer_budget=settings.answer_in_ack_ms / 1000)
        self.replies = RecentReplies()
        self.asked = AskedCache()
        self.metrics = metrics or Metrics()
        self.admin = AdminCheck(settings.admins, settings.admin_group, client, clock,
                                self.metrics)
        self.privacy = privacy or (lambda record: record)
        self.channel_names = ChannelNames(client, clock, metrics=self.metrics)
        self.approvals = Approvals(store, settings.review_days)
        self.after_reload: Callable[[], None] = lambda: None
        self.replicas: ReplicaSync | None = None
        self.spool: Spool | None = None
        self.keeper = LogKeeper(store, None, self.metrics)  # start_service adds the spool
        self.accepting = True
        self._http: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------ app

    def build_app(self, auth_test: dict) -> AsyncApp:
        """A bolt app whose authorization comes from one auth.test made at start-up."""

        # Bolt sets each request's token from `authorize`; its client needs none of its own.
        tokenless = AsyncWebClient(base_url=self.client.base_url,
                                   retry_handlers=self.client.retry_handlers)
        # The listeners below return as soon as they have acked (with the answer,
        # or empty once the budget is spent, the work going on as a task of its
        # own); so bolt can answer as soon as they return (rather than polling
        # every 10 ms for the ack), which is what `process_before_response` does.
        # Bolt does not check signatures: over HTTP the guard in front of it has
        # (service/http_guard.py, the only way in), and Socket Mode has none.
        with _bolt_blind_to_token_env():
            app = AsyncApp(client=tokenless, signing_secret=self.settings.signing_secret or "x",
                           authorize=FixedAuthorize(auth_test, self.settings.bot_token),
                           request_verification_enabled=False,
                           process_before_response=True, logger=log)
        app.command("/facts")(self.on_command)
        app.action(render.SHOW_ACTION)(self.on_show)
        app.action(render.SHARE_ACTION)(self.on_share)
        app.action(render.HELPFUL_ACTION)(self.on_feedback)
        app.action(render.NOT_HELPFUL_ACTION)(self.on_feedback)
        app.shortcut(CHECK_CALLBACK_ID)(self.on_check_shortcut)
        app.action(render_check.CHECK_SHOW_ACTION)(self.on_check_show)
        return app

    # ------------------------------------------------------------ /facts

    async def on_command(self, ack: Callable, command: dict) -> None:
        await self.inflight.wait_for_room()
        name, argument = parse_command(command.get("text") or "")
        if name == "check":  # answered in as many messages as the draft needs: ack first
            await ack()
            self.inflight.start(self.check_command(command, argument, Who.from_command(command),
                                                   new_request_id()))
            return
        response_url = command.get("response_url", "")

        async def deliver_late(reply: render.Message | Reply) -> None:
            self.metrics.replies.inc(via="response_url")
            await self.send_late(self.responder(response_url), as_message(reply))

        reply = await self.inflight.answer(self.handle_command(command), deliver_late)
        if reply is None:
            await ack()
            return
        self.metrics.replies.inc(via="ack")
        encoded = reply.body_json() if isinstance(reply, Reply) else None
        # Bolt sends a text ack as it is, labelled JSON when it starts with "{" (as the
        # JSON it would have encoded from the same dict), in HTTP and Socket Mode alike.
        await ack(encoded if encoded is not None else reply_body(as_message(reply)))

    async def handle_command(self, command: dict) -> render.Message | Reply:
        """The reply to one /facts request, its log row committed first."""
        started = time.perf_counter()
        who = Who.from_command(command)
        request_id = new_request_id()
        name, argument = parse_command(command.get("text") or "")
        if name == "ask":
            argument = slack_plain_text(argument)  # "&amp;" is what "&" looks like in transit
            read, cut = readable_part(argument)
            match, context, reply = self.ask(read, request_id)
            self.metrics.lookup_ms.observe((time.perf_counter() - started) * 1000)
            self.metrics.queries.inc(status=match.status)
            self.replies.remember(request_id, context)
            if cut:
                reply = render.with_note(as_message(reply), f"_Only the first {len(read)} "
                                         "characters of your question were read._")
            await self.log_query(who, request_id, argument[:LOGGED_TEXT_CHARS], match.status,
                                 match.results, started)
            return reply
        self.metrics.commands.inc(command=name)
        try:
            message = await self.subcommand(name, argument, who, request_id)
        except Exception:  # whatever broke, the person hears back and the row is kept
            log.exception("/facts %s failed", name)
            message = render.text_message(f"Sorry, `/facts {name}` failed. The error was "
                                          "logged for the bot's operators.")
        await self.log_query(who, request_id, (command.get("text") or "")[:LOGGED_TEXT_CHARS],
                             "help" if name == "help" else "command", (), started)
        return message

    async def subcommand(self, name: str, argument: str, who: Who, request_id: str
                         ) -> render.Message:
        if name == "help":
            return render.help_message()
        if name == "list":
            return self.list_entries(argument)
        if name == "show":
            return self.show_by_id(argument, request_id)
        if name == "events":
            return await self.events(who.user_id)
        checked = await self.admin.check(who.user_id)
        if not checked.admin:
            return await self.refuse(name, who, request_id, checked.problem)
        if name == "reload":
            return await self.reload(who, request_id)
        if name == "approve":
            return await self.approve(argument, who, request_id)
        return render.text_message(await self.weekly_stats())

    async def refuse(self, name: str, who: Who, request_id: str, problem: str | None
                     ) -> render.Message:
        """An admin command refused, logged; when the group could not be read, it says so
        rather than telling a group admin they are not one."""
        detail = {"command": name} | ({"reason": f"admin group unreadable: {problem}"}
                                      if problem else {})
        await self.log_audit("refusal", who, request_id, detail)
        if problem:
            return render.text_message(f"Could not check the admin group (Slack said {problem}); "
                                       f"try `/facts {name}` again, or ask an admin listed in "
                                       "the bot's settings.")
        return render.text_message(f"Sorry, `/facts {name}` is for the communications "
                                   "team's admins. Your request was noted.")

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

    # ------------------------------------------------------------ edges

    def today(self) -> dt.date:
        """The UTC date: what review dates and approvals are counted in."""
        return self.clock.now().date()

    def now(self) -> dt.datetime:
        """The instant: what servability is judged at, each entry on its plan's own
        day (`Entry.day_of`), never on UTC's date."""
        return self.clock.now()

    def responder(self, response_url: str, *, resend_on_dropped: bool = True) -> Respond:
        """Replies to one request's response_url over a shared HTTP session.

        Bolt's own `respond` opens a new session per reply, which was a third of
        the bot's CPU under load; one session keeps connections alive.
        """
        async def respond(**message: Any) -> Any:
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            handlers = self.client.retry_handlers if resend_on_dropped else \
                without_connection_retries(self.client.retry_handlers)
            client = AsyncWebhookClient(response_url, session=self._http,
                                        retry_handlers=handlers)
            sent = await client.send_dict(message)
            if sent.status_code != 200:
                self.metrics.slack_errors.inc(error=f"response_url_{sent.status_code}")
                log.warning("response_url answered %s: %s", sent.status_code, sent.body)
            return sent  # a caller that must know (a share) reads Slack's answer
        return respond

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, respond: Respond, message: render.Message) -> None:
        try:
            await respond(**reply_body(message))
        except Exception:  # a lost reply must not take the service down
            log.exception("could not send the reply")

    async def send_late(self, respond: Respond, message: render.Message) -> None:
        """An answer that missed the ack, to response_url: once more if Slack answers 5xx.

        The person has only an empty ack, so a 5xx (Slack failing, not refusing) would
        leave them with nothing. A dropped connection is already resent by the client;
        a 5xx is sent again once, the same body: each try may count as one of the
        URL's RESPONSE_URL_USES, and an answer uses only this one. Failing twice is
        logged in one line (the query's log row is already kept).
        """
        body = reply_body(message)
        status: int | None = None
        for _ in range(LATE_ANSWER_TRIES):
            try:
                sent = await respond(**body)
            except Exception:  # a lost reply must not take the service down
                log.exception("could not send the reply")
                return
            status = getattr(sent, "status_code", None)
            if status is None or status < 500:
                return
        log.error("answer not delivered: Slack's response_url answered %s, %d times; the "
                  "person saw nothing (their question is in the log)", status,
                  LATE_ANSWER_TRIES)


class FixedAuthorize(AsyncAuthorize):
    """Every request is authorized as the one auth.test made at start-up.

    An `AsyncAuthorize` rather than a plain function: bolt inspects a
    function's signature on every request to choose its arguments.
    """

    def __init__(self, auth_test: dict, bot_token: str | None) -> None:
        super().__init__()
        self.auth_test, self.bot_token = auth_test, bot_token

    async def __call__(self, **_: Any) -> AuthorizeResult:
        return AuthorizeResult.from_auth_test_response(auth_test_response=self.auth_test,
                                                       bot_token=self.bot_token)


def as_message(reply: render.Message | Reply) -> render.Message:
    return reply.message if isinstance(reply, Reply) else reply
