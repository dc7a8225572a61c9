"""The buttons on a reply: *Show this*, *Share in channel*, *Helpful / Not helpful*.

A button carries only the entry and the request id (Slack cuts longer values,
which then no longer parse); the query and the other results come from the
bot's record of recent replies (`replies.py`). A value that cannot be read
gets a polite reply, never silence. The entry is checked again on click, so
withdrawn language is never shown or shared from an old message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.content import Entry
from bot.matching import Match, Result
from bot.service.jsonlog import bind_request_id
from bot.service.live import LiveKnowledge
from bot.slack import render
from bot.slack.replies import RecentReplies
from bot.slack.requests import Who
from bot.store import LogStore
from bot.store.base import AuditRecord

log = logging.getLogger("facts_bot")

UNREADABLE = ("Sorry, that button could not be read (it may come from an old or altered "
              "message). Ask again with /facts.")


@dataclass(frozen=True)
class Clicked:
    """What a click names: the entry, the request it answered, and that reply's context."""

    entry_id: str
    request_id: str
    context: dict[str, Any] | None


def read_value(raw: Any, replies: RecentReplies) -> Clicked | None:
    """The button's value, or None when it is not one the bot made."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    entry_id, request_id = value.get("entry"), value.get("r", "")
    if not isinstance(entry_id, str) or not entry_id or not isinstance(request_id, str):
        return None
    return Clicked(entry_id, request_id, replies.get(request_id) if request_id else None)


_SLACK_ERROR = re.compile(r"[a-z_]{1,60}")  # Slack's reasons: `channel_not_found`, ...
UNCONFIRMED_SHARE = ("Slack did not confirm your share. Look in the channel before sharing "
                     "again, so it is not posted twice.")


def share_problem(status: int | None, reason: str) -> str | None:
    """What the sharer must hear when Slack did not post their share, or None when it did.

    A 4xx is Slack refusing (`channel_not_found` where the app may not post, such as
    a private channel it is not in; `expired_url`): nothing was posted, and the
    reason is short and Slack's own. Anything else (a 5xx, a dropped connection)
    leaves it unknown whether the post went out.
    """
    if status == 200:
        return None
    if status is not None and 400 <= status < 500:
        word = reason.strip() if _SLACK_ERROR.fullmatch(reason.strip()) else f"HTTP {status}"
        if word in ("expired_url", "used_url"):  # the reply's link to Slack has run out
            return (f"Not shared: this reply is too old to share from (Slack said `{word}`). "
                    "Ask again with /facts and share the new answer.")
        return (f"Not shared: Slack refused to post it in this channel (`{word}`). "
                "In a private channel or a direct message, add the bot first, or copy the "
                "approved text yourself.")
    return UNCONFIRMED_SHARE


class ButtonHandlers:
    """Mixin for FactsBot: what each button does after its ack."""

    live: LiveKnowledge
    review_label: Callable[[Entry], str | None]
    review_labels: Callable[[Iterable[Entry]], dict[str, str]]
    replies: RecentReplies
    now: Callable[[], dt.datetime]  # servability is judged at the instant (Entry.day_of)
    store: LogStore
    privacy: Callable[[Any], Any]

    async def _clicked(self, body: dict, action: dict) -> Clicked | None:
        clicked = read_value(action.get("value"), self.replies)
        if clicked is None:
            respond = self.responder(body.get("response_url", ""))
            await respond(text=UNREADABLE, replace_original=False, response_type="ephemeral")
            return None
        bind_request_id(clicked.request_id)
        return clicked

    async def show_entry(self, body: dict, action: dict) -> None:
        clicked = await self._clicked(body, action)
        if clicked is None:
            return
        respond = self.responder(body.get("response_url", ""))
        entry = self.live.snapshot.by_id.get(clicked.entry_id)
        if entry is None or not entry.servable_on(self.now()):
            await respond(text="That response is no longer approved. Ask again with "
                          "/facts.", replace_original=False, response_type="ephemeral")
            return
        known = self.live.snapshot.by_id
        context = clicked.context or {"r": clicked.request_id}
        now = self.now()  # an option may have been withdrawn since the reply was drawn
        others = [Result(known[i], score) for i, score in context.get("o") or []
                  if i in known and known[i].servable_on(now)]
        match = Match(context.get("q") or "", "answer", tuple(others))
        labels = self.review_labels([entry, *(r.entry for r in others)])
        message = render.answer_message(match, context, shown=entry, labels=labels)
        await self.log_audit("show", Who.from_action(body), clicked.request_id,
                             {"entry_id": entry.id})
        message = render.within_limits(message)
        await respond(blocks=message.blocks, text=message.text, replace_original=True,
                      response_type="ephemeral")

    async def share_entry(self, body: dict, action: dict) -> None:
        clicked = await self._clicked(body, action)
        if clicked is None:
            return
        respond = self.responder(body.get("response_url", ""))
        who = Who.from_action(body)
        entry = self.live.snapshot.by_id.get(clicked.entry_id)
        if entry is None or not entry.servable_on(self.now()):
            await self.log_audit("refusal", who, clicked.request_id,
                                 {"action": "share", "entry_id": clicked.entry_id,
                                  "reason": "no longer approved"})
            await respond(text="That response is no longer approved, so it was not shared.",
                          replace_original=False, response_type="ephemeral")
            return
        await self.log_audit("share", who, clicked.request_id, {"entry_id": entry.id})
        message = render.within_limits(render.shared_message(entry, who.user_id,
                                                             self.review_label(entry)))
        # A post in the channel is not resent after a dropped connection: Slack may
        # already have it, and two copies in the channel are worse than asking.
        post = self.responder(body.get("response_url", ""), resend_on_dropped=False)
        try:
            sent = await post(blocks=message.blocks, text=message.text,
                              response_type="in_channel", replace_original=False)
        except Exception as failed:
            log.warning("share of %s not confirmed by Slack: %s", entry.id, failed)
            sent = None
        note = share_problem(getattr(sent, "status_code", None), getattr(sent, "body", ""))
        if note is not None:
            await respond(text=note, replace_original=False, response_type="ephemeral")

    async def record_feedback(self, body: dict, action: dict) -> None:
        clicked = await self._clicked(body, action)
        if clicked is None:
            return
        respond = self.responder(body.get("response_url", ""))
        helpful = action.get("action_id") == render.HELPFUL_ACTION
        query = (clicked.context or {}).get("q") or ""
        who = Who.from_action(body)
        before = await self._earlier_feedback(who, clicked)
        await self.log_audit("feedback", who, clicked.request_id,
                             {"helpful": helpful, "entry_id": clicked.entry_id,
                              "query": query, "query_request_id": clicked.request_id})
        await respond(text=feedback_thanks(helpful, before), replace_original=False,
                      response_type="ephemeral")

    async def _earlier_feedback(self, who: Who, clicked: Clicked) -> bool | None:
        """The verdict this person last gave on this reply's response, if any; None when
        none (or the log cannot say: the click is still recorded and thanked)."""
        stored_as = self.privacy(dataclasses.replace(_PROBE, user_id=who.user_id)).user_id
        try:
            rows = await asyncio.to_thread(self.store.feedback_on, clicked.request_id,
                                           stored_as)
        except Exception as failed:  # the log being down must not lose the click
            log.warning("earlier feedback on %s not read: %s", clicked.request_id, failed)
            return None
        mine = [r for r in rows if r.detail.get("entry_id") == clicked.entry_id]
        return bool(mine[-1].detail.get("helpful")) if mine else None


_PROBE = AuditRecord(ts=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), kind="feedback", user_id="",
                     user_name="", channel_id="", team_id="", request_id="",
                     content_version="")  # only to learn how a user id is stored


def feedback_thanks(helpful: bool, before: bool | None) -> str:
    """One feedback per person per reply: a second click says it replaced the first."""
    verdict = "helpful" if helpful else "not helpful"
    if before is None:
        return f"Thanks: recorded as {verdict} for the communications team."
    if before == helpful:
        return f"Already recorded as {verdict}: it counts once."
    earlier = "helpful" if before else "not helpful"
    return f"Thanks: recorded as {verdict}, replacing your earlier “{earlier}”."
