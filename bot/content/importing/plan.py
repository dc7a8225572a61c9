"""Drafting a whole plan from a document: read it, find its structure, draft its entries."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.content.importing.blocks import Block, paragraphs
from bot.content.importing.drafting import Draft, draft_entries, free_id
from bot.content.importing.header import draft_document, report_unread
from bot.content.importing.reading import read_blocks
from bot.content.importing.structure import sections

DEFAULT_REVIEW_DAYS = 90


@dataclass(frozen=True)
class ImportOptions:
    plan_id: str | None = None
    review_days: int = DEFAULT_REVIEW_DAYS
    timezone: str = "America/New_York"
    today: dt.date | None = None
    # ids of the plans and entries already in the knowledge folder the plan joins: next
    # week's plan repeats the office's contact line, its title and often a sound bite
    taken: frozenset[str] = frozenset()


def draft_plan(source: Path, options: ImportOptions | None = None) -> Draft:
    """Read `source` and draft its plan; SourceError when it cannot be read."""
    options = options or ImportOptions()
    draft = Draft(taken=set(options.taken))
    blocks: list[Block] = []
    for block in read_blocks(source):
        if block.aside:  # a table column of owners or topics: reported, never drafted
            draft.unplaced.append((block.line, block.text, block.aside))
        else:
            blocks.append(block)
    found = sections(blocks)
    every = paragraphs(blocks)
    document = draft_document(found, every, draft, default_timezone=options.timezone,
                              today=options.today or dt.date.today())
    document["id"] = options.plan_id or _free_plan_id(document["title"], document["date"],
                                                      options.taken, draft)
    document["review_by"] = document["date"] + dt.timedelta(days=options.review_days)
    draft.document = _document_order(document)
    draft_entries(found, document, draft)
    report_unread(found, document, draft)
    return draft


def counts(draft: Draft) -> Counter[str]:
    return Counter(entry["kind"] for entry in draft.entries)


def plan_id_for(title: str, date: dt.date) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    words = [w for w in words if w not in ("the", "a", "of", "for", "and", "media", "plan")]
    stem = "-".join(words[:4]) or "plan"
    return f"{stem}-{date:%Y-%m}"


def _free_plan_id(title: str, date: dt.date, taken: frozenset[str], draft: Draft) -> str:
    """The plan's id; with the day added when the month's id is taken (weekly plans)."""
    first = plan_id = plan_id_for(title, date)
    if plan_id in taken:
        plan_id = free_id(f"{plan_id}-{date:%d}", taken)
    if plan_id != first:
        draft.checks.append(f"document.id: a plan {first!r} is already in the knowledge "
                            f"folder; drafted as {plan_id!r} (remove the old folder if this "
                            "plan replaces it)")
    return plan_id


def _document_order(document: dict) -> dict:
    order = ("id", "title", "office", "date", "timezone", "contact", "review_by", "events")
    return {key: document[key] for key in order if key in document}
