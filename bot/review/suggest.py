"""Alternate questions learned from what people ask (after Azure question answering's
active learning).

When someone asks in their own words, is offered an entry and then uses it
(shares it, or marks it *Helpful*), their phrasing is a candidate alternate
question for that entry: authors can add it under `questions:` so the next
person who asks that way gets the answer at once. Phrasings the matcher
already answers confidently with that entry teach nothing and are left out;
a phrasing marked *Not helpful* for an entry is never suggested for it.

Two passes over the log, audits first (few) then queries (many); memory grows
with the number of picks, not of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from bot.matching import ANSWER, Index
from bot.review.feedback import counted
from bot.review.gaps import query_key
from bot.store.base import AuditRecord, LogStore, QueryRecord


@dataclass
class Phrasing:
    """One wording that led people to an entry: how often, and by whom."""

    text: str
    count: int = 0
    people: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Picks:
    """From the audit trail: which entry each request led to, and what was unhelpful."""

    used: dict[str, set[str]]  # request id -> entries shared or marked helpful
    who: dict[tuple[str, str], set[str]]  # (request id, entry) -> people
    unhelpful: set[tuple[str, str]]  # (entry, query key)


def suggest_store(store: LogStore, index: Index | None, today: dt.date,
                  since: dt.datetime | None = None, until: dt.datetime | None = None
                  ) -> dict[str, list[Phrasing]]:
    return suggest(store.audit_rows(since, until), store.query_rows(since, until), index,
                   today)


def suggest(audits: Iterable[AuditRecord], queries: Iterable[QueryRecord],
            index: Index | None, today: dt.date) -> dict[str, list[Phrasing]]:
    """Per entry id, the phrasings worth adding as alternate questions, most used first."""
    picks = _picks(audits)
    found: dict[str, dict[str, Phrasing]] = {}
    for record in queries:
        for entry_id in picks.used.get(record.request_id, ()):
            key = query_key(record.text)
            if (entry_id, key) in picks.unhelpful or not record.text.strip():
                continue
            if record.status == ANSWER and record.top_id == entry_id:
                continue  # already answered with it, confidently
            by_key = found.setdefault(entry_id, {})
            phrasing = by_key.setdefault(key, Phrasing(record.text.strip()))
            phrasing.count += 1
            phrasing.people |= picks.who.get((record.request_id, entry_id), set())
    return {entry_id: ranked for entry_id, by_key in sorted(found.items())
            if (ranked := _still_useful(entry_id, by_key.values(), index, today))}


def _picks(audits: Iterable[AuditRecord]) -> _Picks:
    picks = _Picks({}, {}, set())
    for record in counted(audits):  # a person's last feedback on a reply, once
        detail = record.detail
        entry_id = str(detail.get("entry_id") or "")
        request_id = str(detail.get("query_request_id") or record.request_id or "")
        if not entry_id or not request_id:
            continue
        helpful = detail.get("helpful")
        if record.kind == "feedback" and helpful is False:
            picks.unhelpful.add((entry_id, query_key(str(detail.get("query") or ""))))
        elif record.kind == "share" or (record.kind == "feedback" and helpful is True):
            picks.used.setdefault(request_id, set()).add(entry_id)
            who = record.user_name or record.user_id
            picks.who.setdefault((request_id, entry_id), set()).add(who)
    return picks


def _still_useful(entry_id: str, phrasings: Iterable[Phrasing], index: Index | None,
                  today: dt.date) -> list[Phrasing]:
    """Drop what the current content already answers confidently with this entry."""
    kept = []
    for phrasing in phrasings:
        if index is not None:
            match = index.search(phrasing.text, today, limit=1)
            if match.status == ANSWER and match.top and match.top.entry.id == entry_id:
                continue
        kept.append(phrasing)
    return sorted(kept, key=lambda p: (-p.count, p.text))


def suggestions_text(found: dict[str, list[Phrasing]], titles: dict[str, str]) -> str:
    if not found:
        return "No new phrasings to suggest: nobody reached an entry in words it misses."
    lines = ["Phrasings people used to reach an entry (candidate alternate questions):"]
    for entry_id, phrasings in found.items():
        lines.append(f"\n{entry_id}: {titles.get(entry_id, '(not in the current content)')}")
        for phrasing in phrasings:
            people = ", ".join(sorted(phrasing.people)) or "unknown"
            lines.append(f'  {phrasing.count} x "{phrasing.text}"  (by {people})')
    return "\n".join(lines) + "\n"


def suggestions_yaml(found: dict[str, list[Phrasing]]) -> str:
    """`{entry_id: [phrasings...]}`, ready to paste under each entry's `questions:`."""
    data = {entry_id: [p.text for p in phrasings] for entry_id, phrasings in found.items()}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
