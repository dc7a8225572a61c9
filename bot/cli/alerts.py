"""`facts-bot alerts preview|send`: event-day alerts for people and for cron.

`send` posts what is due at one instant and exits; the database claim makes it
safe to run every few minutes, next to a running `serve`, or on two hosts.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import sys
from pathlib import Path

from bot.alerts.plan import Alert, alert_plan, alerts_on, alerts_today, plan_problems, preview_text
from bot.alerts.sender import ALREADY_POSTED, FAILED, IN_PROGRESS, AlertSender
from bot.cli.arguments import date_argument
from bot.content import KnowledgeError, Snapshot, load_snapshot
from bot.service.clock import Clock, FakeClock, SystemClock
from bot.service.settings import ConfigError, Settings, load_settings
from bot.slack.api import slack_client
from bot.store import open_store


def register(commands: argparse._SubParsersAction) -> None:
    """Add `alerts preview` and `alerts send`."""
    alerts = commands.add_parser("alerts", help="event-day alerts: preview, or send what is due")
    actions = alerts.add_subparsers(dest="alerts_command", required=True)

    preview = actions.add_parser("preview", help="print what would be posted on a day")
    preview.add_argument("--date", type=date_argument, default=None,
                         help="YYYY-MM-DD (default: today in each plan's time zone)")
    _knowledge_option(preview)
    preview.set_defaults(handler=run_preview)

    send = actions.add_parser("send", help="post what is due now and not yet posted, then exit")
    send.add_argument("--now", type=_instant, default=None,
                      help="act as at this ISO-8601 instant, e.g. 2009-04-27T11:05:00Z "
                           "(default: the current time)")
    _knowledge_option(send)
    send.set_defaults(handler=run_send)


def _knowledge_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", type=Path, default=None,
                        help="knowledge directory (default: $FACTS_KNOWLEDGE_DIR or bundled)")


def _instant(value: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 date and time, e.g. 2009-04-27T11:05:00Z") from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} has no time zone; add Z or an offset such as -04:00")
    return when.astimezone(dt.UTC)


def _snapshot(args: argparse.Namespace, settings: Settings) -> Snapshot | None:
    try:
        return load_snapshot(args.knowledge or settings.knowledge_dir)
    except KnowledgeError as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        return None


def _plan(args: argparse.Namespace, settings: Settings) -> list[Alert] | None:
    snapshot = _snapshot(args, settings)
    if snapshot is None:
        return None
    for problem in plan_problems(snapshot, settings.alert_channel):
        print(f"warning: {problem}", file=sys.stderr)
    return alert_plan(snapshot, settings.alert_channel)


def run_preview(args: argparse.Namespace) -> int:
    settings = load_settings()
    plan = _plan(args, settings)
    if plan is None:
        return 1
    if args.date:
        print(preview_text(alerts_on(plan, args.date), args.date))
    else:
        today = alerts_today(plan, dt.datetime.now(dt.UTC))
        print(preview_text(today) if today else "Nothing to post today.")
    return 0


def run_send(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (the bot's xoxb- token, to post alerts)")
    plan = _plan(args, settings)
    if plan is None:
        return 1
    clock: Clock = FakeClock(args.now) if args.now else SystemClock()
    return asyncio.run(_send(settings, plan, clock))


async def _send(settings: Settings, plan: list[Alert], clock: Clock) -> int:
    try:
        store = open_store(settings.db)
    except ValueError as bad:
        raise ConfigError(f"FACTS_DB: {bad}") from None
    try:
        client = slack_client(settings.bot_token or "", settings.api_url)
        owner = f"alerts-send@{socket.gethostname()}:{os.getpid()}"
        outcomes = await AlertSender(store, client, clock, owner).send_due(plan, clock.now())
    finally:
        await store.close()
    if not outcomes:
        print(f"Nothing due at {clock.now():%Y-%m-%d %H:%M} UTC.")
    for outcome in outcomes:
        key, detail = outcome.alert.key, outcome.detail
        if outcome.result == ALREADY_POSTED:
            print(f"{key}: already posted, not again ({detail})")
        elif outcome.result == IN_PROGRESS:
            print(f"{key}: being posted by another copy of the bot ({detail})")
        elif outcome.result == FAILED:
            print(f"{key}: NOT posted: {detail}", file=sys.stderr)
        else:
            print(f"{key}: {detail}")
    return 1 if any(o.result == FAILED for o in outcomes) else 0
