"""Subcommands that browse the content: `/facts list`, `/facts show`, `/facts events`."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bot.alerts.plan import describe_status
from bot.alerts.sender import recent_statuses
from bot.content import KINDS, Entry
from bot.service.clock import Clock
from bot.service.live import LiveKnowledge
from bot.slack import render, render_events
from bot.slack.admin import AdminCheck
from bot.slack.requests import kind_named
from bot.store import LogStore


class BrowseCommands:
    """Mixin for FactsBot: what is approved, one response by id, and the events."""

    live: LiveKnowledge
    store: LogStore
    clock: Clock
    admin: AdminCheck
    review_label: Callable[[Entry], str | None]
    plan_labels: Callable[[], dict[str, str]]
    now: Callable[[], dt.datetime]  # servability is judged at the instant (Entry.day_of)

    def show_by_id(self, argument: str, request_id: str) -> render.Message:
        if not argument.strip():
            return render.text_message("Usage: `/facts show &lt;id&gt;` shows one response in "
                                       "full; `/facts list` gives the ids.")
        entry = self.live.snapshot.by_id.get(argument.strip().lower())  # ids are lower case
        if entry is None:
            return render.text_message(f"No approved response has the id "
                                       f"`{render.escape(argument)}`. Try `/facts list`.")
        context = {"r": request_id, "q": "", "o": []}
        return render.show_message(entry, context, self.now(), self.review_label(entry))

    async def events(self, user_id: str) -> render.Message:
        problems: list[str] = []
        if await self.admin.is_admin(user_id):
            since = self.clock.now() - dt.timedelta(days=2)
            failed = await asyncio.to_thread(recent_statuses, self.store, since,
                                             failed_only=True)
            problems = [describe_status(status) for status in failed]
        return render_events.events_message(self.live.snapshot, self.clock.now(), problems)

    def list_entries(self, argument: str) -> render.Message:
        kind = kind_named(argument) if argument.strip() else None
        if argument.strip() and kind is None:
            return render.text_message(f"`{render.escape(argument)}` is not a kind. Kinds: "
                                       + ", ".join(f"`{k}`" for k in KINDS))
        snapshot = self.live.snapshot
        entries = [e for e in snapshot.entries if kind is None or e.kind == kind]
        servable = {e.id for e in snapshot.served(self.now())}
        return render.list_message(entries, kind, servable, self.plan_labels())
