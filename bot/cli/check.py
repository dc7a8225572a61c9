"""`facts-bot check`: is every sentence of a draft approved, word for word?

    facts-bot check [--knowledge DIR] [--json] [--date YYYY-MM-DD] FILE   ('-': stdin)

Exit 0 when nothing is changed or unapproved, 1 when something is (so it can gate a
workflow), 2 when the draft or the knowledge could not be read: an error must never
pass a gate, and must never look like a verdict either.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap
from pathlib import Path
from typing import BinaryIO

from bot.cli.arguments import date_argument, default_knowledge_dir
from bot.content import KnowledgeError, load_snapshot
from bot.matching.check import APPROVED, CHANGED, NEUTRAL, UNAPPROVED, Checker, DraftCheck

#: The most a draft may be. A press statement is a few thousand characters; this is
#: far above any real one, and stops a wrong file (a video, a dump) from filling memory.
MAX_DRAFT_BYTES = 2_000_000

_MARKS = {APPROVED: "APPROVED  ", CHANGED: "CHANGED   ", UNAPPROVED: "UNAPPROVED",
          NEUTRAL: "neutral   "}


class DraftError(Exception):
    """The draft could not be read as text; the message is one line for the user."""


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check", help="is every sentence of a draft approved, word for word?",
        description="Compare each sentence of a draft with the approved lines. Exit 0 when "
                    "all are approved (or greetings), 1 when any is changed or unapproved, "
                    "2 when the draft or knowledge cannot be read.")
    check.add_argument("file", metavar="FILE", help="the draft, UTF-8 text ('-': stdin)")
    check.add_argument("--knowledge", type=Path, default=None,
                       help="knowledge directory (default: $FACTS_KNOWLEDGE_DIR or bundled)")
    check.add_argument("--json", action="store_true", help="the result as one JSON object")
    check.add_argument("--date", type=date_argument, default=None,
                       help="check as on this day in every plan (default: now, in each plan's "
                       "time zone); expired lines are not approved")
    check.set_defaults(handler=run_check, quick_exit=True)  # reads and prints only


def run_check(args: argparse.Namespace) -> int:
    try:
        draft = read_draft(args.file)
    except DraftError as problem:
        print(f"facts-bot check: {problem}", file=sys.stderr)
        return 2
    directory = args.knowledge or default_knowledge_dir()
    try:
        snapshot = load_snapshot(directory)
    except KnowledgeError as failed:
        print(f"facts-bot check: the knowledge in {directory} did not load: {failed}",
              file=sys.stderr)
        return 2
    # No --date: now, each line judged on its plan's own day (Entry.day_of), as in Slack.
    result = Checker(snapshot).check(draft, args.date or dt.datetime.now(dt.UTC))
    output = json.dumps(check_json(result), ensure_ascii=False) if args.json else (
        render_terminal(result))
    try:
        print(output)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stderr.close()
    return 0 if result.on_message else 1


def read_draft(name: str) -> str:
    """The draft as text, or a DraftError saying in one line why it is not."""
    try:
        if name == "-":
            raw = _read_limited(sys.stdin.buffer)
        else:
            with open(name, "rb") as stream:
                raw = _read_limited(stream)
    except FileNotFoundError:
        raise DraftError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DraftError(f"{name}: is a directory, not a draft") from None
    except OSError as failed:
        raise DraftError(f"{name}: cannot be read ({failed.strerror or failed})") from None
    return decode_draft(raw, "stdin" if name == "-" else name)


def _read_limited(stream: BinaryIO) -> bytes:
    raw = stream.read(MAX_DRAFT_BYTES + 1)
    if len(raw) > MAX_DRAFT_BYTES:
        raise DraftError(f"the draft is larger than {MAX_DRAFT_BYTES:,} bytes; check it in parts")
    return raw


def decode_draft(raw: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is named, not guessed."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DraftError(f"{name} is UTF-16; save it as UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as failed:
        raise DraftError(f"{name} is not UTF-8 text (byte {raw[failed.start]:#04x} at offset "
                         f"{failed.start}); save it as UTF-8 text") from None
    if "\x00" in text:
        raise DraftError(f"{name} holds binary data (a NUL byte), not text")
    if not text.strip():
        raise DraftError(f"{name} is empty: nothing to check")
    return text


def check_json(result: DraftCheck) -> dict:
    """The JSON contract: the summary's four counts, then every sentence in draft order."""
    sentences = []
    for sentence in result.sentences:
        entry = sentence.entry
        sentences.append({
            "text": sentence.text,
            "status": sentence.status,
            "entry": entry.id if entry else None,
            "source": {
                "document": entry.document.title,
                "document_id": entry.document.id,
                "section": entry.section,
                "date": entry.document.date.isoformat(),
            } if entry else None,
            "approved_text": sentence.line.text if sentence.line else None,
            "differences": [{"removed": d.removed, "added": d.added, "kind": d.kind}
                            for d in sentence.differences],
        })
    return {"summary": result.counts(), "sentences": sentences}


def render_terminal(result: DraftCheck) -> str:
    """Each sentence marked; for a changed one, what differs and the approved line."""
    lines: list[str] = []
    for number, sentence in enumerate(result.sentences, start=1):
        lines.append(f"{number:>3}. {_MARKS[sentence.status]} {sentence.text}")
        entry = sentence.entry
        if sentence.status == CHANGED and entry:
            for difference in sentence.differences:
                lines.append(f"       {difference.kind}: approved \u201c{difference.removed}"
                             f"\u201d, draft \u201c{difference.added}\u201d")
            lines.append(textwrap.fill(sentence.line.text, 100, initial_indent="       approved: ",
                                       subsequent_indent=" " * 17))
            lines.append(f"       -- {entry.id}, {entry.document.title}, {entry.section}")
        elif sentence.status == UNAPPROVED:
            hint = f"nearest approved line: {entry.id} ({entry.title})" if entry else (
                "nothing approved is close")
            lines.append(f"       {hint}")
        elif sentence.status == APPROVED and entry:
            lines.append(f"       -- {entry.id}")
    counts = result.counts()
    verdict = "On message: every sentence is approved word for word." if result.on_message \
        else "NOT on message: changed or unapproved sentences above."
    lines.append("")
    lines.append(f"{len(result.sentences)} sentences: {counts[APPROVED]} approved, "
                 f"{counts[CHANGED]} changed, {counts[UNAPPROVED]} unapproved, "
                 f"{counts[NEUTRAL]} neutral. {verdict}")
    return "\n".join(lines)
