"""`facts-bot ask` and `facts-bot validate`: the content from the command line.

`ask` prints what Slack would show, or the JSON contract other tooling
reads; `validate` names every problem in a knowledge directory.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, TextIO

from bot.cli.arguments import date_argument, default_knowledge_dir, positive
from bot.content import INTERNAL_LABEL, Contact, KnowledgeError, check_knowledge, load_snapshot
from bot.content.currency import Currency
from bot.content.links import plain_words
from bot.matching import ANSWER, NO_MATCH, NOT_A_MATCH, Index, Match, MatchSettings, Result
from bot.matching.limits import readable_part
from bot.matching.preference import preferred

if TYPE_CHECKING:  # argparse only when options are parsed: see plain_question
    import argparse


def register(commands: argparse._SubParsersAction) -> None:
    ask = commands.add_parser("ask", help="find the approved response for a question")
    ask.add_argument("--knowledge", type=Path, default=None,
                     help="knowledge directory (default: $FACTS_KNOWLEDGE_DIR or the bundled one)")
    ask.add_argument("--json", action="store_true", help="one JSON object per query")
    ask.add_argument("--limit", type=positive, default=3, help="results per query (default 3)")
    ask.add_argument("--batch", metavar="FILE", help="one query per line of FILE ('-': stdin)")
    ask.add_argument("--date", type=date_argument, default=None,
                     help="serve as on this day in every plan (default: now, in each plan's "
                     "time zone); expired content is not served")
    ask.add_argument("query", nargs="*", help="the question, in any words")

    ask.set_defaults(handler=run_ask, quick_exit=True)  # prints only: see bot.cli.main

    validate = commands.add_parser("validate", help="check a knowledge directory")
    validate.add_argument("directory", nargs="?", type=Path, default=None)
    validate.add_argument("--date", type=date_argument, default=None,
                          help="check expiry as of this day (default today)")
    validate.set_defaults(handler=run_validate, quick_exit=True)


def plain_question(words: Sequence[str]) -> SimpleNamespace | None:
    """`ask WORDS...` with no option, as argparse reads it: `register`'s defaults.

    None when any word starts with "-" (an option, "--", a negative number):
    argparse reads those. tests/test_cli.py holds this to argparse's namespace.
    """
    if any(word.startswith("-") for word in words):
        return None
    return SimpleNamespace(command="ask", knowledge=None, json=False, limit=3, batch=None,
                           date=None, query=list(words), handler=run_ask, quick_exit=True)


def run_validate(args: argparse.Namespace) -> int:
    directory = args.directory or default_knowledge_dir()
    snapshot, problems = check_knowledge(directory, args.date or dt.date.today())
    for problem in problems:
        print(problem, file=sys.stderr if problem.severity == "error" else sys.stdout)
    if snapshot is None:
        errors = sum(p.severity == "error" for p in problems)
        print(f"{directory}: {errors} error(s); nothing loaded", file=sys.stderr)
        return 1
    print(f"{directory}: OK, {len(snapshot.entries)} entries in {len(snapshot.documents)} "
          f"document(s), content version {snapshot.version}, {len(snapshot.warnings)} warning(s)")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    try:
        snapshot = load_snapshot(args.knowledge or default_knowledge_dir())
    except KnowledgeError as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        return 1
    index = Index(snapshot, MatchSettings())
    today = args.date or dt.date.today()  # review labels
    when = args.date or served_now()
    currency = approvals_on_record()
    if args.batch:
        problem = _batch_problem(args)
        if problem:
            print(f"facts-bot ask: {problem}", file=sys.stderr)
            return 2
        with _open_batch(args.batch) as stream:
            for line in stream:
                read, cut = readable_part(line.rstrip("\r\n"))
                found = _search(index, read, when, today, args.limit, currency)
                print(json_line(match_json(found, currency, today, cut)), flush=False)
        sys.stdout.flush()
        return 0
    query = " ".join(args.query).strip()
    if not query:
        print("facts-bot ask: give a question, e.g. facts-bot ask racial profiling",
              file=sys.stderr)
        return 2
    read, cut = readable_part(query)
    match = _search(index, read, when, today, args.limit, currency)
    if args.json:
        print(json_line(match_json(match, currency, today, cut)))
    else:
        contacts = snapshot.contacts_for(r.entry for r in match.results)
        if cut:
            print(f"(Only the first {len(read)} characters of the question were read.)")
        print(render_terminal(match, contacts, currency=currency, today=today))
    return 0


def served_now() -> dt.datetime:
    """What is served with no `--date`: the current instant, each entry judged on its
    plan's own day (Entry.day_of), as the bot in Slack does."""
    return dt.datetime.now(dt.UTC)


def _search(index: Index, query: str, when: dt.date | dt.datetime, today: dt.date,
            limit: int, currency: Currency) -> Match:
    """The lookup at `when` (a day named, or now); overdue plans by `today`'s labels,
    each approved response once (preference.preferred)."""
    match = index.search(query, when, limit)
    return preferred(match, lambda e: currency.status(e, today).overdue, index.settings)


def approvals_on_record() -> Currency:
    """Re-approvals from FACTS_DB when one is named; the YAML's dates alone otherwise."""
    if not os.environ.get("FACTS_DB"):
        return Currency()
    import asyncio  # only here: asking without FACTS_DB should not pay for it (~70 ms)

    from bot.cli.arguments import sqlite_file
    from bot.service.approvals import read_currency
    from bot.store import open_store
    path = sqlite_file(os.environ["FACTS_DB"])
    if path is not None and not path.is_file():  # reading never creates a database
        print(f"facts-bot: no query log at {str(path)!r} (FACTS_DB); review dates are the "
              "plan files' own", file=sys.stderr)
        return Currency()
    try:
        store = open_store(os.environ["FACTS_DB"])
        try:
            return read_currency(store)
        finally:
            asyncio.run(store.close())
    except Exception as failed:  # the answer matters more than the label's freshness
        print(f"facts-bot: cannot read re-approvals from FACTS_DB ({type(failed).__name__}); "
              "review dates are the plan files' own", file=sys.stderr)
        return Currency()


def _batch_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with a --batch invocation, before any query runs."""
    if not args.json:
        return "--batch needs --json"
    if args.query:
        return (f"--batch reads its queries from {args.batch}; remove the extra words "
                f"{' '.join(args.query)!r}")
    if args.batch == "-":
        return None
    path = Path(args.batch)
    if path.is_dir():
        return f"--batch {args.batch} is a folder; give a file with one query per line"
    if not path.is_file():
        return f"--batch {args.batch}: no such file"
    return None


def _open_batch(source: str) -> TextIO:
    """The batch, one query a line; bytes that are not UTF-8 become U+FFFD, as on stdin."""
    if source == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    return open(source, encoding="utf-8", errors="replace")  # noqa: SIM115


def json_line(value: dict) -> str:
    """One JSON object on one line, as written (no escapes for non-ASCII text).

    json is imported here, not at the top: the plain-text answer, the common
    case, does without it (a few ms of a run that should take little more
    than Python's start).
    """
    import json

    return json.dumps(value, ensure_ascii=False)


def match_json(match: Match, currency: Currency | None = None,
               today: dt.date | None = None, cut: bool = False) -> dict:
    """The JSON contract other tooling reads; extra fields beyond it are additive."""
    currency = currency or Currency()
    today = today or dt.date.today()
    results = []
    for result in match.results:
        entry = result.entry
        item = {
            "id": entry.id,
            "kind": entry.kind,
            "title": entry.title,
            "text": entry.display_text,
            "score": result.score,
            "source": {
                "document": entry.document.title,
                "document_id": entry.document.id,
                "section": entry.section,
                "date": entry.document.date.isoformat(),
            },
            "kind_label": entry.kind_label,
            "internal": entry.is_internal,
            "review": currency.status(entry, today).as_json(),
        }
        if entry.question:
            item["question"] = entry.question
        results.append(item)
    out: dict = {"query": match.query, "status": match.status, "results": results}
    if match.corrections:
        out["corrections"] = dict(match.corrections)
    if cut:  # `query` is what was read: the first MAX_QUERY_CHARS characters
        out["query_truncated"] = True
    return out


def render_terminal(match: Match, contacts: Sequence[Contact] = (),
                    answer_min_score: float = MatchSettings().answer_min_score, *,
                    currency: Currency | None = None, today: dt.date | None = None) -> str:
    """A readable rendering, saying what Slack says: the verbatim text first, then its source.

    When several responses fit equally, the first is printed in full and the
    others by their opening words, as in Slack. Overdue content says so.
    """
    currency = currency or Currency()
    today = today or dt.date.today()
    lines: list[str] = []
    topic = match.is_topic(answer_min_score)
    if match.status == ANSWER:
        lines.append("Approved response:")
    elif match.status == NO_MATCH:
        lines.append(f"No approved response for {match.query!r}. Nothing was made up.")
    elif topic:
        lines.append(f"Several approved responses fit {match.query!r}; the first in full:")
    else:
        lines.append(f"No exact approved answer for {match.query!r}. Closest approved "
                     "responses (check before using):")
    if match.corrections:
        fixed = ", ".join(f"{k} -> {v}" for k, v in match.corrections.items())
        lines.append(f"(read as: {fixed})")
    shown = match.results if match.status != NO_MATCH else ()
    for number, result in enumerate(shown, start=1):
        full = number == 1 and (match.status == ANSWER or topic)
        lines += _terminal_entry(result, number, full, heading=not (match.status == ANSWER
                                                                   and number == 1))
        label = currency.status(result.entry, today).label()
        if label:
            lines.append(f"    !! {label}")
        if full and len(shown) > 1:
            lines.append("\nAlso close:" if match.status == ANSWER else "\nAlso fitting:")
    if match.status == NO_MATCH:
        if match.results:
            lines.append(f"Nearest ({NOT_A_MATCH}): "
                         + ", ".join(r.entry.id for r in match.results))
        lines.append("Logged nowhere from the command line; in Slack it goes to the "
                     "communications team.")
        for contact in contacts:
            lines.append(f"Press contact: {contact.name}, {contact.phone}")
    return "\n".join(lines)


def _terminal_entry(result: Result, number: int, full: bool, heading: bool) -> list[str]:
    entry = result.entry
    prefix = f"{number}. " if heading else ""
    lines = ["", f"{prefix}{entry.kind_label}: {entry.title}  [{entry.id}, score "
             f"{result.score:.0f}]"]
    if entry.is_internal:
        lines.append(f"    [{INTERNAL_LABEL}]")
    if entry.question:
        lines.append(indent(plain_words(entry.question), "    Q: "))
    text = entry.display_text if full else entry.opening()
    lines.append(indent(plain_words(text), "    "))  # a link shown as its words
    lines.append(f"    -- {entry.document.title}, {entry.section}, {entry.document.date}")
    return lines


def indent(text: str, prefix: str) -> str:
    """`textwrap.indent`: `prefix` before every line that is not blank.

    textwrap itself compiles its wrapping patterns on import, a cost every
    `facts-bot ask` paid for this one line.
    """
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(True))
