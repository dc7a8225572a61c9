"""Posting due alerts to Slack exactly once, and the loop that does it inside `serve`.

Exactly once across restarts and across copies of the bot rests on the store:
an alert is claimed under its unique key before it is posted, and the result is
recorded after. Only the one caller whose claim succeeds posts; a failed post
is recorded as failed, which lets a later attempt that day claim it again. A
claim left pending (the process died mid-post) is never taken over, because
nobody can know whether that post reached Slack: at most once beats twice.

Slack errors never escape: a 429 is waited out and retried by slack_sdk's
rate-limit handler; anything else is recorded as the attempt's failure, logged,
and retried later that day.

`chat.postMessage` is not idempotent, so a post is never resent blindly: when
the connection drops after sending, Slack may have posted it. Each post
carries its claim key in its message metadata; after such an ambiguous
failure (and before any retry of one) the channel history is searched for it.
If that search is impossible, the alert stays failed and is not posted again:
one missing post, with an error saying so, beats two.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.plan import Alert, alert_plan, alerts_due
from bot.alerts.reminders import reminder_plan
from bot.content import Snapshot
from bot.content.currency import Currency
from bot.service.clock import Clock
from bot.service.metrics import Metrics
from bot.slack.api import posting_client
from bot.store.base import ALERT_FAILED, ALERT_OK, AlertStatus, LogStore

POSTED = "posted"
FAILED = "failed"
ALREADY_POSTED = "already_posted"
IN_PROGRESS = "in_progress"  # another copy holds the claim and has not finished

LATE_AFTER = dt.timedelta(minutes=15)  # a cron run every few minutes is not "late"
UNCONFIRMED = "unconfirmed"  # detail prefix: Slack may have the post; do not resend blindly
METADATA_EVENT = "facts_alert"

#: What an operator should do about errors that retrying alone will not fix.
FIX_HINTS = {
    "channel_not_found": "no such channel, or the bot cannot see it; check "
                         "document.alerts.channel or FACTS_ALERT_CHANNEL",
    "not_in_channel": "the bot is not a member of the channel; invite it (/invite)",
    "is_archived": "the channel is archived; choose another alert channel",
    "invalid_auth": "Slack rejected the token; check SLACK_BOT_TOKEN",
    "not_authed": "no token was sent; check SLACK_BOT_TOKEN",
    "token_revoked": "the bot's token was revoked; reinstall the app",
    "account_inactive": "the bot's token is no longer active; reinstall the app",
    "missing_scope": "the app lacks the chat:write scope; reinstall it",
}

_log = logging.getLogger("facts_bot.alerts")


@dataclass(frozen=True)
class Outcome:
    """What one attempt at one alert came to."""

    alert: Alert
    result: str  # POSTED | FAILED | ALREADY_POSTED | IN_PROGRESS
    late: bool = False
    detail: str = ""


def recent_statuses(store: LogStore, since: dt.datetime | None = None, *,
                    failed_only: bool = False) -> list[AlertStatus]:
    """Alert claims since `since`, for admins in `/facts events` (failures say why).

    A synchronous database read: from the event loop, call it via `asyncio.to_thread`.
    """
    statuses = store.list_alerts(since)
    return [s for s in statuses if s.state == ALERT_FAILED] if failed_only else statuses


class AlertSender:
    """Claims, posts and records due alerts; one owner id per running copy."""

    def __init__(self, store: LogStore, client: AsyncWebClient, clock: Clock, owner_id: str,
                 logger: logging.Logger | None = None, *,
                 late_after: dt.timedelta = LATE_AFTER, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._store = store
        self._client = client
        self._poster = posting_client(client)
        self._clock = clock
        self._owner = owner_id
        self._logger = logger or _log
        self._late_after = late_after

    async def send_due(self, plan: Sequence[Alert], now: dt.datetime | None = None
                       ) -> list[Outcome]:
        """Post every alert of `plan` due at `now` (default: the clock's now) not yet posted."""
        now = now or self._clock.now()
        return [await self.send(alert, now) for alert in alerts_due(plan, now)]

    async def send(self, alert: Alert, now: dt.datetime) -> Outcome:
        try:
            before = await asyncio.to_thread(self._store.alert_status, alert.key)
            claimed = await asyncio.to_thread(self._store.claim_alert, alert.key, self._owner, now)
        except Exception as failed:  # e.g. database locked for too long; try again later
            self._logger.error("alert %s: could not claim it: %s", alert.key, failed)
            return Outcome(alert, FAILED, detail=f"could not claim: {failed}")
        if not claimed:
            return await self._not_ours(alert)
        late = now - alert.due_at > self._late_after
        if before is not None and before.detail.startswith(UNCONFIRMED):
            error, ts = await self._confirm(alert, before.detail)
            if error is None and ts is None:  # checked: the earlier post never landed
                error, ts = await self._post(alert, late)
        else:
            error, ts = await self._post(alert, late)
        detail = _detail(alert, late, ts) if error is None else _failure_detail(error)
        await self._finish(alert, error is None, detail)
        if self._metrics is not None:
            self._metrics.alert_posts.inc(result="posted" if error is None else "failed")
            if error is not None:
                self._metrics.slack_errors.inc(error=error)
        if error is not None:
            self._log_failure(alert, error)
            return Outcome(alert, FAILED, late, detail)
        self._logger.info("alert %s: %s", alert.key, detail)
        return Outcome(alert, POSTED, late, detail)

    async def _post(self, alert: Alert, late: bool) -> tuple[str | None, str | None]:
        """(error, None) or (None, message ts)."""
        blocks, text = alert.message(late)
        try:
            response = await self._poster.chat_postMessage(
                channel=alert.channel, text=text, blocks=blocks,
                unfurl_links=False, unfurl_media=False,
                metadata={"event_type": METADATA_EVENT,
                          "event_payload": {"alert_key": alert.key}})
        except SlackApiError as failed:
            return str(failed.response.get("error") or f"HTTP {failed.response.status_code}"), None
        except Exception as failed:  # the connection dropped: Slack may have posted it
            lost = f"{type(failed).__name__}: {failed}".rstrip(": ")
            error, ts = await self._confirm(alert, f"{UNCONFIRMED}: {lost}")
            if error is None and ts is None:  # it never landed: safe to retry later
                return lost, None
            return error, ts
        return None, str(response.get("ts") or "")

    async def _confirm(self, alert: Alert, why: str) -> tuple[str | None, str | None]:
        """After an ambiguous post: (None, ts) if it is in the channel, (None, None) if it
        is surely not, or (error starting UNCONFIRMED, None) if nobody can tell."""
        found = await self._find_posted(alert)
        if found is None:
            self._logger.error(
                "alert %s: Slack may have posted it to %s but did not confirm, and the "
                "channel history cannot be read to check; NOT posting it again (a duplicate "
                "is worse than a missing post): look in the channel", alert.key, alert.channel)
            return f"{why.split(';')[0]}; channel history unreadable, not resent", None
        if found:
            self._logger.info("alert %s: found the unconfirmed post in %s (ts %s)", alert.key,
                              alert.channel, found)
            return None, found
        return None, None

    async def _find_posted(self, alert: Alert) -> str | None:
        """The ts of this alert's post in its channel, "" if it is not there, None if the
        history cannot be read (missing scope, a channel name rather than an id...)."""
        oldest = (alert.due_at - dt.timedelta(days=1)).timestamp()
        try:
            history = await self._client.conversations_history(
                channel=alert.channel, oldest=f"{oldest:.6f}", limit=200,
                include_all_metadata=True)
        except Exception as failed:
            self._logger.warning("alert %s: cannot read %s's history: %s", alert.key,
                                 alert.channel, failed)
            return None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and \
                    (metadata.get("event_payload") or {}).get("alert_key") == alert.key:
                return str(message.get("ts") or "?")
        return ""

    async def _finish(self, alert: Alert, ok: bool, detail: str) -> None:
        try:
            await asyncio.to_thread(self._store.finish_alert, alert.key, ok, detail,
                                    self._clock.now())
        except Exception:
            # The claim stays pending, so this alert is not tried again: at most once.
            self._logger.exception("alert %s: outcome (%s) not recorded", alert.key, detail)

    async def _not_ours(self, alert: Alert) -> Outcome:
        status = await asyncio.to_thread(self._store.alert_status, alert.key)
        if status is not None and status.state == ALERT_OK:
            return Outcome(alert, ALREADY_POSTED, detail=status.detail)
        owner = status.owner if status else "?"
        return Outcome(alert, IN_PROGRESS, detail=f"claimed by {owner}")

    def _log_failure(self, alert: Alert, error: str) -> None:
        hint = FIX_HINTS.get(error)
        if hint:
            self._logger.error("alert %s NOT posted to %s: %s: %s; will retry later today",
                               alert.key, alert.channel, error, hint)
        else:
            self._logger.warning("alert %s not posted to %s: %s; will retry later today",
                                 alert.key, alert.channel, error)


def _detail(alert: Alert, late: bool, ts: str | None) -> str:
    return f"posted{' late' if late else ''} to {alert.channel} (ts {ts})"


def _failure_detail(error: str) -> str:
    hint = FIX_HINTS.get(error)
    return f"{error}: {hint}" if hint else error


class AlertScheduler:
    """Runs inside `facts-bot serve`: posts each alert when it falls due.

    It sleeps until the next due time (at most `poll_seconds`, so a reload or a
    jump of the system clock is noticed), reads the knowledge through `snapshot`
    each time it wakes so a reload needs no restart, and retries a failed post
    every `retry_seconds` for the rest of that day.
    """

    def __init__(self, sender: AlertSender, snapshot: Callable[[], Snapshot | None],
                 clock: Clock, *, channel_override: str | None = None,
                 poll_seconds: float = 300.0, retry_seconds: float = 600.0,
                 logger: logging.Logger | None = None,
                 currency: Callable[[], Currency] | None = None) -> None:
        self._sender = sender
        self._snapshot = snapshot
        self._currency = currency or Currency
        self._seen_currency: Currency | None = None
        self._clock = clock
        self._channel_override = channel_override
        self._poll = dt.timedelta(seconds=poll_seconds)
        self._retry = dt.timedelta(seconds=retry_seconds)
        self._logger = logger or _log
        self._wake = asyncio.Event()
        self._seen: Snapshot | None = None
        self._plan: list[Alert] = []
        self._posted: set[str] = set()  # known done; the database stays the authority
        self._retry_at: dict[str, dt.datetime] = {}

    def plan(self) -> list[Alert]:
        """The alert plan of the current snapshot (recomputed when it changes)."""
        snapshot, currency = self._snapshot(), self._currency()
        if snapshot is not self._seen or currency != self._seen_currency:
            self._seen, self._seen_currency = snapshot, currency
            self._plan = alert_plan(snapshot, self._channel_override, currency)
            self._plan += reminder_plan(snapshot, currency, self._channel_override)
            self._plan.sort(key=lambda item: (item.due_at, item.key))
        return self._plan

    def wake(self) -> None:
        """Look again now, e.g. right after a reload."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Post alerts as they fall due until `stop` is set."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.tick(self._clock.now())
            except Exception:
                self._logger.exception("alert scheduler: this pass failed; trying again")
            await self._pause(self._delay(self._clock.now()), stop)

    async def tick(self, now: dt.datetime) -> list[Outcome]:
        """One pass: send what is due at `now`, remembering what is done or to retry."""
        due = [a for a in alerts_due(self.plan(), now)
               if a.key not in self._posted and self._retry_at.get(a.key, now) <= now]
        outcomes = await self._sender.send_due(due, now)
        for outcome in outcomes:
            key = outcome.alert.key
            if outcome.result in (POSTED, ALREADY_POSTED):
                self._posted.add(key)
                self._retry_at.pop(key, None)
            elif outcome.result == FAILED:
                self._retry_at[key] = now + self._retry
        return outcomes

    def _delay(self, now: dt.datetime) -> float:
        upcoming = [a.due_at for a in self._plan if a.due_at > now]
        upcoming += [t for t in self._retry_at.values() if t > now]
        wait = min([*(t - now for t in upcoming), self._poll])
        return wait.total_seconds()

    async def _pause(self, seconds: float, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._clock.sleep(seconds)),
                 asyncio.ensure_future(stop.wait()),
                 asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
