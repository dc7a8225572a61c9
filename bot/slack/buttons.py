"""The buttons on a reply: *Show this*, *Share in channel*, *Helpful / Not helpful*.

A button carries what it needs in its value (the entry, the request, the
query and the other results), so a click redraws without a new lookup; the
entry is checked again on click, so withdrawn language is never shown or
shared from an old message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from bot.content import Entry
from bot.matching import Match, Result
from bot.service.jsonlog import bind_request_id
from bot.service.live import LiveKnowledge
from bot.slack import render
from bot.slack.requests import Who


class ButtonHandlers:
    """Mixin for FactsBot: what each button does after its ack."""

    live: LiveKnowledge
    review_label: Callable[[Entry], str | None]
    review_labels: Callable[[Iterable[Entry]], dict[str, str]]

    async def show_entry(self, body: dict, action: dict) -> None:
        respond = self.responder(body.get("response_url", ""))
        value = json.loads(action.get("value") or "{}")
        bind_request_id(value.get("r") or "")
        entry = self.live.snapshot.by_id.get(value.get("entry", ""))
        if entry is None or not entry.servable_on(self.today()):
            await respond(text="That response is no longer approved. Ask again with "
                          "/facts.", replace_original=False, response_type="ephemeral")
            return
        context = {key: value[key] for key in ("r", "q", "o", "n") if key in value}
        known = self.live.snapshot.by_id
        others = [Result(known[i], score) for i, score in value.get("o") or [] if i in known]
        match = Match(value.get("q") or "", "answer", tuple(others))
        labels = self.review_labels([entry, *(r.entry for r in others)])
        message = render.answer_message(match, context, shown=entry, labels=labels)
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
        message = render.shared_message(entry, who.user_id, self.review_label(entry))
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
