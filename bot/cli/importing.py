"""`facts-bot import FILE`: a media plan document becomes a plan folder to finish.

It prints what it found of each kind, what it could not place (with the
source line) and what it guessed, then validates the folder, so an author
knows exactly what is left to do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.cli.arguments import positive
from bot.content import KINDS, check_knowledge
from bot.content.importing.blocks import SourceError
from bot.content.importing.plan import (
    DEFAULT_REVIEW_DAYS,
    ImportOptions,
    counts,
    draft_plan,
    plan_id_for,
)
from bot.content.importing.writer import write_plan
from bot.content.zones import is_time_zone
from bot.service.settings import MAX_REVIEW_DAYS, load_settings


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("import", help="draft a plan folder from a media plan "
                                  "(.docx, .md, .txt)")
    command.add_argument("file", type=Path, help="the media plan document")
    command.add_argument("--out", type=Path, default=None,
                         help="folder to write (default: ./<plan id>); must hold no YAML yet")
    command.add_argument("--id", dest="plan_id", default=None,
                         help="the plan's id, [a-z0-9-]+ (default: from its title and date)")
    command.add_argument("--review-days", type=_review_days, default=None,
                         help=f"review_by = plan date + this many days (default "
                              f"$FACTS_REVIEW_DAYS or {DEFAULT_REVIEW_DAYS})")
    command.add_argument("--timezone", type=_time_zone, default="America/New_York",
                         help="time zone when the plan states none (default America/New_York)")
    command.set_defaults(handler=run_import)


def _review_days(value: str) -> int:
    """As FACTS_REVIEW_DAYS: 1 to MAX_REVIEW_DAYS (a larger one was a traceback)."""
    days = positive(value)
    if days > MAX_REVIEW_DAYS:
        raise argparse.ArgumentTypeError(f"{value!r} is more than {MAX_REVIEW_DAYS} days")
    return days


def _time_zone(value: str) -> str:
    """A real time zone, checked before a draft that would not validate is written."""
    if not is_time_zone(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a time zone (e.g. America/New_York)")
    return value


def run_import(args: argparse.Namespace) -> int:
    if args.plan_id is not None and not _valid_id(args.plan_id):
        print(f"facts-bot import: --id {args.plan_id!r} must use only a-z, 0-9 and '-'",
              file=sys.stderr)
        return 2
    days = args.review_days or load_settings().review_days
    beside = args.out.parent if args.out else Path(".")
    options = ImportOptions(args.plan_id, days, args.timezone, dt.date.today(),
                            taken=_ids_in_use(beside))
    try:
        draft = draft_plan(args.file, options)
    except SourceError as failed:
        print(f"facts-bot import: {failed}", file=sys.stderr)
        return 1
    if not draft.entries:
        print(f"facts-bot import: {args.file.name}: found nothing to import (no sound bites, "
              "talking points, Q&A or other sections); is it a media plan?", file=sys.stderr)
        return 1
    out = args.out or Path(draft.document["id"])
    try:
        write_plan(draft, args.file, out)
    except (FileExistsError, OSError) as failed:
        print(f"facts-bot import: cannot write {out}: {failed}", file=sys.stderr)
        return 1
    print(f"Drafted plan {draft.document['id']!r} in {out}/ from {args.file.name}:")
    found = counts(draft)
    for kind, label in KINDS.items():
        if found[kind]:
            print(f"  {label}: {found[kind]}")
    for line, text, why in draft.unplaced:
        print(f"  not placed, line {line}: {text[:70]!r} ({why})")
    for check in draft.checks:
        print(f"  check: {check}")
    print("Next: review the draft, add alternate questions and keywords, then "
          "`facts-bot validate` and reload.")
    return _validate(out)


def _ids_in_use(knowledge: Path) -> frozenset[str]:
    """The plan and entry ids of a knowledge folder the new plan joins (a folder holding
    plan folders), so the draft takes none of them: the folder must load as a whole."""
    try:
        plans = any((folder / "document.yaml").is_file() for folder in knowledge.iterdir())
    except OSError:
        return frozenset()
    if not plans:
        return frozenset()
    snapshot, _ = check_knowledge(knowledge, dt.date.today())
    if snapshot is None:  # it does not load now; `validate` will say why
        return frozenset()
    return frozenset([*snapshot.documents, *(entry.id for entry in snapshot.entries)])


def _valid_id(value: str) -> bool:
    return bool(value) and all(c.isdigit() or c == "-" or "a" <= c <= "z" for c in value) \
        and value[0] != "-"


def _validate(out: Path) -> int:
    snapshot, problems = check_knowledge(out, dt.date.today())
    errors = [p for p in problems if p.severity == "error"]
    for problem in errors:
        print(problem, file=sys.stderr)
    if snapshot is None:
        print(f"{out}: the draft does not validate yet ({len(errors)} error(s))", file=sys.stderr)
        return 1
    print(f"{out}: validates, {len(snapshot.entries)} entries")
    return 0


__all__ = ["plan_id_for", "register", "run_import"]
