"""`facts-bot review`: the query log summarised for the communications team.

    facts-bot review [--since DATE] [--until DATE] [--html FILE]
    facts-bot review gaps [--yaml] [--since DATE] [--until DATE] [--limit N]
    facts-bot review suggest [--yaml] [--since DATE] [--until DATE]
    facts-bot review stale [--date DATE]

Reads the log named by FACTS_DB and, to name entries and find the closest one for each
gap, the knowledge in FACTS_KNOWLEDGE_DIR (or the bundled one).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from bot.cli.arguments import date_argument
from bot.content import KnowledgeError, Snapshot, load_snapshot
from bot.content.currency import Currency
from bot.matching import Index
from bot.review.gaps import find_gaps, gaps_yaml
from bot.review.html import render_html
from bot.review.stale import stale_items, stale_text
from bot.review.suggest import suggest_store, suggestions_text, suggestions_yaml
from bot.review.summary import summarize_store
from bot.review.text import render_gaps_text, render_text
from bot.service.approvals import read_currency
from bot.service.clock import SystemClock
from bot.service.settings import Settings, load_settings
from bot.slack.api import slack_client
from bot.slack.channels import ChannelNames
from bot.store import open_store


def register(commands: argparse._SubParsersAction) -> None:
    review = commands.add_parser(
        "review", help="what people asked, and what had no approved answer",
        description="Summarise the query log (FACTS_DB). Dates are UTC days; both ends "
                    "are included. 'review gaps' lists only the gaps.")
    review.add_argument("what", nargs="?", choices=["gaps", "suggest", "stale"],
                        help="'gaps': only the questions with no fitting approved response; "
                             "'suggest': phrasings to add as alternate questions; "
                             "'stale': content overdue for re-approval or due within 14 days")
    review.add_argument("--date", type=date_argument, metavar="DATE",
                        help="with 'stale': as of this day (default today)")
    review.add_argument("--since", type=date_argument, metavar="DATE",
                        help="from this day (YYYY-MM-DD; default: the oldest row)")
    review.add_argument("--until", type=date_argument, metavar="DATE",
                        help="up to and including this day (default: the newest row)")
    review.add_argument("--html", type=Path, metavar="FILE",
                        help="also write the report as one self-contained HTML page")
    review.add_argument("--yaml", action="store_true",
                        help="with 'gaps': skeleton entries to start new content; with "
                             "'suggest': {entry_id: [phrasings]} to paste under questions:")
    review.add_argument("--limit", type=int, default=20, metavar="N",
                        help="gaps to show (default 20; 0 = all)")
    review.add_argument("--top", type=int, default=10, metavar="N",
                        help="rows in each 'most asked' list (default 10)")
    review.set_defaults(handler=run_review)


def run_review(args: argparse.Namespace) -> int:
    problem = _check_arguments(args)
    if problem:
        print(f"facts-bot review: {problem}", file=sys.stderr)
        return 2
    settings = load_settings()
    if args.what == "stale":
        return run_stale(settings, args.date or dt.date.today())
    if "://" not in settings.db and not Path(settings.db).exists():
        print(f"facts-bot review: no query log at {settings.db} (set FACTS_DB)", file=sys.stderr)
        return 1
    snapshot = _snapshot(settings.knowledge_dir)
    index = Index(snapshot, settings.match) if snapshot else None
    titles = {e.id: e.title for e in snapshot.entries} if snapshot else {}
    since, until = _window(args.since, args.until)
    store = open_store(settings.db)
    try:
        if args.what == "suggest":
            found = suggest_store(store, index, dt.date.today(), since, until)
            sys.stdout.write(suggestions_yaml(found) if args.yaml
                             else suggestions_text(found, titles))
            return 0
        summary = summarize_store(store, since, until, top=args.top)
    finally:
        asyncio.run(store.close())
    gaps = find_gaps(summary.gap_queries, index, dt.date.today(), args.limit or None)
    if args.what == "gaps" and args.yaml:
        default_document = next(iter(snapshot.documents), None) if snapshot else None
        existing = titles.keys()
        sys.stdout.write(gaps_yaml(gaps, default_document, existing))
        return 0
    if args.what == "gaps":
        sys.stdout.write(render_gaps_text(gaps) + "\n")
        return 0
    names = _channel_names(settings, [channel for channel, _ in summary.channels])
    sys.stdout.write(render_text(summary, gaps, titles, names))
    if args.html:
        generated = dt.datetime.now(dt.UTC)
        args.html.write_text(render_html(summary, gaps, generated, titles, names),
                             encoding="utf-8")
        print(f"HTML report written to {args.html}")
    return 0


def run_stale(settings: Settings, today: dt.date) -> int:
    """What needs re-approving: the plans' dates, and re-approvals in FACTS_DB if there is one."""
    try:
        snapshot = load_snapshot(settings.knowledge_dir)
    except KnowledgeError as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        return 1
    currency = Currency()
    if "://" in settings.db or Path(settings.db).exists():
        store = open_store(settings.db)
        try:
            currency = read_currency(store)
        finally:
            asyncio.run(store.close())
    print(stale_text(stale_items(snapshot, currency, today), today))
    return 0


def _check_arguments(args: argparse.Namespace) -> str | None:
    if args.yaml and args.what not in ("gaps", "suggest"):
        return "--yaml goes with 'gaps' or 'suggest': facts-bot review gaps --yaml"
    if args.html and args.what in ("gaps", "suggest"):
        return "--html writes the whole report: facts-bot review --html FILE"
    if args.html and not args.html.resolve().parent.is_dir():
        return f"--html {args.html}: the folder {str(args.html.parent)!r} does not exist"
    if args.html and args.html.is_dir():
        return f"--html {args.html} is a folder; give a file name, e.g. {args.html}/review.html"
    if args.since and args.until and args.until < args.since:
        return "--until is before --since"
    if args.limit < 0 or args.top < 1:
        return "--limit must be 0 or more and --top at least 1"
    return None


def _window(since: dt.date | None, until: dt.date | None
            ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Whole UTC days, `until` included: the store's ranges are half-open."""
    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC) if until else None
    return start, end


def _channel_names(settings: Settings, channel_ids: list[str]) -> dict[str, str]:
    """Channel names from Slack when the bot's token is set; else the ids stay as they are."""
    if not settings.bot_token:
        if any(channel_ids):
            print("facts-bot review: channels are shown by id; set SLACK_BOT_TOKEN to name "
                  "them", file=sys.stderr)
        return {}
    client = slack_client(settings.bot_token, settings.api_url)
    return asyncio.run(ChannelNames(client, SystemClock(), deadline_seconds=10).names(
        channel_ids))


def _snapshot(directory: Path) -> Snapshot | None:
    """The knowledge, for entry titles and closest entries; the review works without it."""
    try:
        return load_snapshot(directory)
    except KnowledgeError as failed:
        print(f"facts-bot review: knowledge in {directory} did not load "
              f"({len(failed.problems)} problem(s)); entries are shown by id only",
              file=sys.stderr)
        return None
