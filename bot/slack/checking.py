"""Checking a draft in Slack: the "Check against approved lines" shortcut and `/facts check`.

Both ack first (the listener only starts the work), then check the text against the
approved lines of the snapshot being served, log the check (who, where, the counts, the
content version, and the draft, which the log keeps as long as it keeps query text),
and answer only the person who asked. The answer goes to the request's response_url,
which Slack accepts five times; a longer answer goes by chat.postEphemeral, and where
the bot cannot post (a conversation it is not in) the fifth reply says what did not fit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.content import Entry, Snapshot
from bot.matching.check import Checker, DraftCheck
from bot.service.jsonlog import bind_request_id
from bot.service.live import LiveKnowledge
from bot.service.metrics import Metrics
from bot.slack import render, render_check
from bot.slack.inflight import InFlight
from bot.slack.recording import LOGGED_TEXT_CHARS
from bot.slack.requests import Who, new_request_id, slack_plain_text

log = logging.getLogger("facts_bot")

Respond = Callable[..., Awaitable[Any]]

#: The message shortcut's callback id, as the app manifest declares it.
CHECK_CALLBACK_ID = "facts_check"
#: The longest draft checked in Slack: Slack's own message limit.
MAX_SLACK_DRAFT = 40_000
#: How many times Slack accepts a reply to one response_url.
RESPONSE_URL_USES = 5
CHECK_USAGE = ("`/facts check &lt;text&gt;` compares each sentence of the text with the approved "
               "lines. On a message, use the *Check against approved lines* shortcut.")

class CheckerCache:
    """One Checker per snapshot, built off the event loop once, the first time it is needed."""

    def __init__(self) -> None:
        self._checker: Checker | None = None
        self._lock = asyncio.Lock()

    async def get(self, snapshot: Snapshot) -> Checker:
        checker = self._checker
        if checker is not None and checker.snapshot is snapshot:
            return checker
        async with self._lock:
            if self._checker is None or self._checker.snapshot is not snapshot:
                self._checker = await asyncio.to_thread(Checker, snapshot)
            return self._checker


class CheckCommands:
    """Mixin for FactsBot: the check's listeners, its work after the ack, its delivery."""

    live: LiveKnowledge
    client: AsyncWebClient
    inflight: InFlight
    metrics: Metrics
    review_label: Callable[[Entry], str | None]
    now: Callable[[], dt.datetime]  # servability is judged at the instant (Entry.day_of)
    log_query: Callable[..., Awaitable[None]]

    @property
    def checkers(self) -> CheckerCache:
        cache = self.__dict__.get("_checkers")
        if cache is None:
            cache = self.__dict__["_checkers"] = CheckerCache()
        return cache

    async def on_check_shortcut(self, ack: Callable, body: dict) -> None:
        await self.inflight.wait_for_room()
        await ack()
        self.inflight.start(self.check_shortcut(body))

    async def on_check_show(self, ack: Callable, body: dict, action: dict) -> None:
        await self.inflight.wait_for_room()
        await ack()
        self.inflight.start(self.show_checked_line(body, action))

    async def check_shortcut(self, body: dict) -> None:
        who = Who.from_action(body)
        request_id = new_request_id()
        url = body.get("response_url") or ""
        text = slack_plain_text((body.get("message") or {}).get("text") or "")
        reply = self.replier(self.responder(url) if url else None, who)
        await self.check_text(text, who, request_id, "shortcut", reply, logged=text)

    async def check_command(self, command: dict, argument: str, who: Who,
                            request_id: str) -> None:
        started = time.perf_counter()
        url = command.get("response_url") or ""
        reply = self.replier(self.responder(url) if url else None, who)
        logged = command.get("text") or ""
        if not argument.strip():
            await self._log_unchecked(who, request_id, logged, started)
            await reply([render.text_message(CHECK_USAGE)])
            return
        await self.check_text(slack_plain_text(argument), who, request_id, "command", reply,
                              logged=logged)

    async def _log_unchecked(self, who: Who, request_id: str, logged: str,
                             started: float) -> None:
        """Nothing will be checked or audited: the request is a row like any
        subcommand's, written before the answer leaves."""
        await self.log_query(who, request_id, logged[:LOGGED_TEXT_CHARS], "command", (), started)

    async def check_text(self, text: str, who: Who, request_id: str, source: str,
                         reply: Callable[[list[render.Message]], Awaitable[None]],
                         logged: str) -> None:
        """Check, log, answer; an empty or oversized draft gets one line, not a check
        (and `logged`, what was asked, goes in a query row instead of a check's audit)."""
        started = time.perf_counter()
        self.metrics.commands.inc(command="check")
        if not text.strip() or len(text) > MAX_SLACK_DRAFT:
            await self._log_unchecked(who, request_id, logged, started)
        if not text.strip():
            await reply([render.text_message("That message has no text to check.")])
            return
        if len(text) > MAX_SLACK_DRAFT:
            await reply([render.text_message(
                f"That draft is {len(text):,} characters; the check in Slack takes up to "
                f"{MAX_SLACK_DRAFT:,}. Check it in parts, or with `facts-bot check`.")])
            return
        checker = await self.checkers.get(self.live.snapshot)
        result = await asyncio.to_thread(checker.check, text, self.now())
        await self.log_audit("check", who, request_id, check_detail(result, text, source, started),
                             version=result.content_version)
        await reply(render_check.check_messages(result, request_id, checker.proper_words))

    def replier(self, respond: Respond | None, who: Who
                ) -> Callable[[list[render.Message]], Awaitable[None]]:
        async def reply(messages: list[render.Message]) -> None:
            await self.deliver(messages, respond, who)
        return reply

    async def deliver(self, messages: list[render.Message], respond: Respond | None,
                      who: Who) -> None:
        """Every part to the person who asked, within what Slack accepts."""
        if respond is not None and len(messages) <= RESPONSE_URL_USES:
            for message in messages:
                await self.send(respond, message)
            return
        posted, error = await self._post_ephemeral(messages, who)
        if posted == len(messages):
            return
        if respond is None:
            log.error("check answer lost: no response_url and chat.postEphemeral failed")
            return
        if posted:  # the first parts are with the person: say which are missing, and why
            await self.send(respond, render.text_message(
                f"_Parts {posted + 1} to {len(messages)} of this check could not be posted "
                f"(Slack said `{render.escape(error)}`). Check the rest of the draft again, or "
                "use `facts-bot check`. The summary at the top counts the whole draft._"))
            return
        kept = messages[: RESPONSE_URL_USES - 1]
        for message in kept:
            await self.send(respond, message)
        await self.send(respond, render.text_message(
            f"_Parts {len(kept) + 1} to {len(messages)} of this check did not fit: Slack takes "
            f"{RESPONSE_URL_USES} replies here and the bot is not in this conversation. Invite "
            "the bot, check a shorter draft, or use `facts-bot check`. The summary at the top "
            "counts the whole draft._"))

    async def _post_ephemeral(self, messages: list[render.Message], who: Who
                              ) -> tuple[int, str]:
        """Parts by chat.postEphemeral, in order, until one fails: how many were posted,
        and Slack's error for the one that was not ("" when all were)."""
        for number, message in enumerate(messages):
            try:
                await self.client.chat_postEphemeral(channel=who.channel_id, user=who.user_id,
                                                     blocks=message.blocks, text=message.text)
            except SlackApiError as failed:
                error = str(failed.response.get("error") or "unknown")
                self.metrics.slack_errors.inc(error=error)
                log.warning("chat.postEphemeral failed (%s) at part %d of %d", error,
                            number + 1, len(messages))
                return number, error
        return len(messages), ""

    async def show_checked_line(self, body: dict, action: dict) -> None:
        """*Show this* on a checked sentence: the approved line, as a new message."""
        respond = self.responder(body.get("response_url", ""))
        try:
            value = json.loads(action.get("value") or "{}")
        except ValueError:
            value = {}
        value = value if isinstance(value, dict) else {}
        bind_request_id(str(value.get("r") or ""))
        entry = self.live.snapshot.by_id.get(str(value.get("entry") or ""))
        if entry is None or not entry.servable_on(self.now()):
            await respond(text="That line is no longer approved. Check the draft again.",
                          replace_original=False, response_type="ephemeral")
            return
        await self.log_audit("show", Who.from_action(body), str(value.get("r") or ""),
                             {"entry_id": entry.id, "from": "check"})
        message = render.show_message(entry, {"r": value.get("r") or "", "q": "", "o": []},
                                      self.now(), self.review_label(entry))
        await respond(blocks=message.blocks, text=message.text, replace_original=False,
                      response_type="ephemeral")


def check_detail(result: DraftCheck, text: str, source: str, started: float) -> dict:
    """What the audit row keeps: the counts, and the draft (purged like query text)."""
    return {"source": source, "text": text, "sentences": len(result.sentences),
            **result.counts(), "on_message": result.on_message,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
