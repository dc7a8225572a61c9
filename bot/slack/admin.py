"""Admin-only subcommands: who is an admin, `/facts reload` and `/facts stats`."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.review.gaps import find_gaps
from bot.review.summary import summarize_store
from bot.review.text import stats_mrkdwn
from bot.service.clock import Clock
from bot.service.live import LiveKnowledge, ReloadOutcome
from bot.service.metrics import Metrics
from bot.service.replicas import ReplicaSync
from bot.slack import render
from bot.slack.channels import ChannelNames
from bot.slack.requests import Who
from bot.store import LogStore

log = logging.getLogger("facts_bot")

ADMIN_GROUP_TTL_SECONDS = 300
ADMIN_LOOKUP_SECONDS = 1.5  # then the members last read (none yet: not an admin)


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
        return (await self.check(user_id)).admin

    async def check(self, user_id: str) -> AdminAnswer:
        """Whether `user_id` is an admin, and why it could not be checked when it could not.

        A group that cannot be read (a missing scope, a deleted group, a time-out) is
        not an answer of "no": the refusal must say the bot could not check.
        """
        if user_id in self.admins:
            return AdminAnswer(True)
        if not self.group:
            return AdminAnswer(False)
        problem = None
        now = self.clock.now().timestamp()
        if now - self._fetched_at > ADMIN_GROUP_TTL_SECONDS:
            problem = await self._read_group(now)
        if user_id in self._members:
            return AdminAnswer(True)
        return AdminAnswer(False, problem)

    async def _read_group(self, now: float) -> str | None:
        """Read the group's members; None when read, else what Slack said (for people)."""
        try:
            # Bounded: a rate-limited lookup is retried after Slack's Retry-After
            # (tens of seconds), and every /facts events waits for this answer.
            found = await asyncio.wait_for(
                self.client.usergroups_users_list(usergroup=self.group),
                ADMIN_LOOKUP_SECONDS)
        except SlackApiError as failed:
            error = str(failed.response.get("error"))
            self.metrics.slack_errors.inc(error=error)
            log.warning("cannot read admin group %s: %s", self.group, error)
            return f"`{render.escape(error)}`"
        except TimeoutError:
            self.metrics.slack_errors.inc(error="admin_group_timeout")
            log.warning("admin group %s: no answer from Slack within %s s; using the "
                        "members last read", self.group, ADMIN_LOOKUP_SECONDS)
            return f"nothing within {ADMIN_LOOKUP_SECONDS:g} s"
        self._members = frozenset(found.get("users") or ())
        self._fetched_at = now
        return None


@dataclass(frozen=True)
class AdminAnswer:
    """An admin check's answer; `problem` is what Slack said when the group could not be read."""

    admin: bool
    problem: str | None = None


class AdminCommands:
    """Mixin for FactsBot: the subcommands only admins may run."""

    live: LiveKnowledge
    store: LogStore
    clock: Clock
    metrics: Metrics
    replicas: ReplicaSync | None
    channel_names: ChannelNames

    async def weekly_stats(self) -> str:
        """The last 7 days for admins: outcomes, most asked, and the top gaps."""
        now = self.clock.now()
        summary = await asyncio.to_thread(summarize_store, self.store,
                                          since=now - dt.timedelta(days=7), until=now)
        gaps = await asyncio.to_thread(find_gaps, summary.gap_queries, self.live.current,
                                       now.date(), 5)
        names = await self.channel_names.names(c for c, _ in summary.channels[:5])
        return stats_mrkdwn(summary, gaps, limit=5, channel_names=names)

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
