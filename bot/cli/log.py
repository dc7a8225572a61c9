"""`facts-bot log`: the query log and the audit trail, printed or purged.

    facts-bot log [--audit] [--since D] [--until D] [--status S | --kind K]
                  [--format table|csv|jsonl]
    facts-bot log purge --before DATE [--yes]

Reading never creates a database: a mistyped FACTS_DB is an error, not an
empty log. The CSV is opened by the comms team in a spreadsheet, so a cell
that a spreadsheet would run as a formula is neutralised (OWASP: a leading
`'`). A purge says how many rows it will delete and asks first.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from bot.cli.arguments import date_argument, existing_store
from bot.service.settings import load_settings
from bot.store import AuditRecord, LogStore, QueryRecord

LOG_COLUMNS = ("ts", "request_id", "user_id", "user_name", "channel_id", "team_id", "text",
               "status", "top_id", "top_score", "shown_ids", "content_version", "latency_ms",
               "source")
AUDIT_COLUMNS = ("ts", "kind", "request_id", "user_id", "user_name", "channel_id", "team_id",
                 "content_version", "detail")

#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register(commands: argparse._SubParsersAction) -> None:
    log = commands.add_parser("log", help="print the query log or the audit trail (FACTS_DB)")
    log.add_argument("action", nargs="?", choices=("purge",),
                     help="purge: delete rows older than --before")
    log.add_argument("--audit", action="store_true",
                     help="the audit trail (clicks, shares, feedback, refusals, reloads) "
                          "instead of the queries")
    log.add_argument("--since", type=date_argument, help="first day, YYYY-MM-DD (UTC)")
    log.add_argument("--until", type=date_argument, help="last day, inclusive")
    log.add_argument("--status", choices=("answer", "suggestions", "no_match", "help",
                                          "command"), help="queries with this outcome")
    log.add_argument("--kind", help="with --audit: rows of this kind (show, share, feedback, "
                                    "refusal, reload)")
    log.add_argument("--format", choices=("table", "csv", "jsonl"), default="table")
    log.add_argument("--before", type=date_argument, help="with purge: delete rows before this day")
    log.add_argument("--yes", action="store_true", help="with purge: do not ask to confirm")
    log.set_defaults(handler=run_log)


def start_of(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None


def end_of(day: dt.date | None) -> dt.datetime | None:
    """--until is inclusive: everything before the next midnight UTC."""
    return start_of(day + dt.timedelta(days=1)) if day else None


def run_log(args: argparse.Namespace) -> int:
    problem = _check_arguments(args)
    if problem:
        print(f"facts-bot log: {problem}", file=sys.stderr)
        return 2
    store = existing_store(load_settings().db)
    try:
        if args.action == "purge":
            return purge(store, args.before, args.yes)
        since, until = start_of(args.since), end_of(args.until)
        if args.audit:
            write_rows(store.audit_rows(since, until, args.kind), AUDIT_COLUMNS, audit_dict,
                       args.format, audit_table_line)
        else:
            write_rows(store.query_rows(since, until, args.status), LOG_COLUMNS, query_dict,
                       args.format, query_table_line)
    finally:
        asyncio.run(store.close())
    return 0


def _check_arguments(args: argparse.Namespace) -> str | None:
    if args.action == "purge" and not args.before:
        return "purge needs --before DATE"
    if args.action != "purge" and (args.before or args.yes):
        return "--before and --yes go with purge: facts-bot log purge --before DATE"
    if args.kind and not args.audit:
        return "--kind goes with --audit (queries are filtered with --status)"
    if args.status and args.audit:
        return "--status filters queries; the audit trail is filtered with --kind"
    if args.since and args.until and args.until < args.since:
        return "--until is before --since"
    return None


def purge(store: LogStore, before: dt.date, yes: bool,
          ask: Callable[[str], str] = input, stdin: TextIO | None = None) -> int:
    """Say how many rows go; delete them only after a yes (or --yes)."""
    cutoff = start_of(before)
    count = (sum(1 for _ in store.query_rows(until=cutoff))
             + sum(1 for _ in store.audit_rows(until=cutoff)))
    what = f"{count} log row(s) (queries and audit) logged before {before}"
    if count == 0:
        print(f"nothing to purge: no rows logged before {before}")
        return 0
    if not yes:
        stdin = stdin or sys.stdin
        if not stdin.isatty():
            print(f"facts-bot log purge: this would delete {what}; add --yes to confirm",
                  file=sys.stderr)
            return 2
        if ask(f"Delete {what}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    removed = store.purge_before(cutoff)
    print(f"purged {removed} row(s) logged before {before}")
    return 0


# ------------------------------------------------------------ rows out


def query_dict(record: QueryRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in LOG_COLUMNS}
    row["ts"] = record.ts.isoformat()
    row["shown_ids"] = list(record.shown_ids)
    return row


def audit_dict(record: AuditRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in AUDIT_COLUMNS}
    row["ts"] = record.ts.isoformat()
    return row


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formula-like text gets a leading `'`."""
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_cell(value) for key, value in row.items()})


def query_table_line(record: QueryRecord) -> str:
    score = "" if record.top_score is None else f"{record.top_score:.0f}"
    return (f"{record.ts:%Y-%m-%d %H:%M:%S}  {record.user_name[:14]:14} "
            f"{record.channel_id[:11]:11} {record.status:11} {score:>5}  "
            f"{(record.top_id or '-')[:24]:24} {record.text[:80]}")


def audit_table_line(record: AuditRecord) -> str:
    detail = json.dumps(record.detail, ensure_ascii=False, sort_keys=True)
    return (f"{record.ts:%Y-%m-%d %H:%M:%S}  {record.user_name[:14]:14} "
            f"{record.channel_id[:11]:11} {record.kind[:11]:11} {detail[:100]}")


TABLE_HEADINGS = {
    query_table_line: f"{'time (UTC)':19}  {'user':14} {'channel':11} {'status':11} "
                      f"{'score':>5}  {'top':24} query",
    audit_table_line: f"{'time (UTC)':19}  {'user':14} {'channel':11} {'kind':11} detail",
}


def write_rows(records: Iterator[Any], columns: tuple[str, ...],
               as_dict: Callable[[Any], dict[str, Any]], form: str,
               table_line: Callable[[Any], str], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if form == "jsonl":
        for record in records:
            out.write(json.dumps(as_dict(record), ensure_ascii=False) + "\n")
    elif form == "csv":
        write_csv((as_dict(record) for record in records), columns, out)
    else:
        out.write(TABLE_HEADINGS[table_line] + "\n")
        count = 0
        for record in records:
            out.write(table_line(record) + "\n")
            count += 1
        out.write(f"({count} row{'s' if count != 1 else ''})\n")
