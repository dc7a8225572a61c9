"""Command-line entry points of the running service: serve, and reading the query log."""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator

from bot.cli.arguments import date_argument
from bot.service.clock import SystemClock
from bot.service.settings import load_settings
from bot.store import QueryRecord, open_store

LOG_COLUMNS = ("ts", "request_id", "user_id", "user_name", "channel_id", "team_id", "text",
               "status", "top_id", "top_score", "shown_ids", "content_version", "latency_ms",
               "source")


def start_of(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None


def end_of(day: dt.date | None) -> dt.datetime | None:
    """--until is inclusive: everything before the next midnight UTC."""
    return start_of(day + dt.timedelta(days=1)) if day else None


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the Slack bot (HTTP, or Socket Mode with "
                                "SLACK_APP_TOKEN)")
    serve.add_argument("--settings", help="YAML settings file (also FACTS_SETTINGS)")
    serve.set_defaults(handler=run_serve)

    log = commands.add_parser("log", help="print the query log (reads FACTS_DB)")
    log.add_argument("action", nargs="?", choices=("purge",),
                     help="purge: delete rows older than --before")
    log.add_argument("--since", type=date_argument, help="first day, YYYY-MM-DD (UTC)")
    log.add_argument("--until", type=date_argument, help="last day, inclusive")
    log.add_argument("--status", choices=("answer", "suggestions", "no_match"))
    log.add_argument("--format", choices=("table", "csv", "jsonl"), default="table")
    log.add_argument("--before", type=date_argument, help="with purge: delete rows before this day")
    log.set_defaults(handler=run_log)


def configure_logging(log_format: str) -> None:
    if log_format == "json":
        from bot.service.jsonlog import JsonFormatter
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=logging.INFO, force=True,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings(settings_file=args.settings)
    configure_logging(settings.log_format)
    from bot.service.server import serve
    return asyncio.run(serve(settings, SystemClock()))


def run_log(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "purge":
        if not args.before:
            print("facts-bot log purge: --before DATE is required", file=sys.stderr)
            return 2
        store = open_store(settings.db)
        try:
            removed = store.purge_before(start_of(args.before))
        finally:
            asyncio.run(store.close())
        print(f"purged {removed} row(s) logged before {args.before}")
        return 0
    store = open_store(settings.db)
    try:
        rows = store.query_rows(start_of(args.since), end_of(args.until), args.status)
        {"table": print_table, "csv": print_csv, "jsonl": print_jsonl}[args.format](rows)
    finally:
        asyncio.run(store.close())
    return 0


def as_dict(record: QueryRecord) -> dict:
    row = {name: getattr(record, name) for name in LOG_COLUMNS}
    row["ts"] = record.ts.isoformat()
    row["shown_ids"] = list(record.shown_ids)
    return row


def print_jsonl(rows: Iterator[QueryRecord]) -> None:
    for record in rows:
        sys.stdout.write(json.dumps(as_dict(record), ensure_ascii=False) + "\n")


def print_csv(rows: Iterator[QueryRecord]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=LOG_COLUMNS)
    writer.writeheader()
    for record in rows:
        row = as_dict(record)
        row["shown_ids"] = " ".join(row["shown_ids"])
        writer.writerow(row)


def print_table(rows: Iterator[QueryRecord]) -> None:
    print(f"{'time (UTC)':19}  {'user':14} {'channel':11} {'status':11} {'score':>5}  "
          f"{'top':24} query")
    count = 0
    for record in rows:
        score = "" if record.top_score is None else f"{record.top_score:.0f}"
        print(f"{record.ts:%Y-%m-%d %H:%M:%S}  {record.user_name[:14]:14} "
              f"{record.channel_id[:11]:11} {record.status:11} {score:>5}  "
              f"{(record.top_id or '-')[:24]:24} {record.text[:80]}")
        count += 1
    print(f"({count} row{'s' if count != 1 else ''})")
