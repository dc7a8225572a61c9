"""From recognised sections to draft entries, each kind as its section gives it.

Every approved word is copied from a block, never rewritten: list items
become entries with their nested items as supporting points, Q&A pairs keep
the question and every paragraph of the answer, an "if asked about X" block
gives each of its lines the heading as topic. Anything that fits nowhere is
reported with its line, for the author to place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from bot.content.importing import details
from bot.content.importing.blocks import Block, is_internal_note
from bot.content.importing.structure import (
    INLINE_IF_ASKED,
    Section,
    answer_text,
    is_answer_label,
    question_text,
    withheld,
)
from bot.content.records import replace

ID_PREFIX = {"sound_bite": "sb", "talking_point": "tp", "if_asked": "ifa", "qa": "qa",
             "event": "event", "media_action": "action", "contact": "contact",
             "reference": "ref", "background": "bg"}
_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_COLUMN_LABEL = re.compile(r"(?i)^(q|a|questions?|answers?|responses?)\s*:?$")


@dataclass
class Draft:
    """What the importer found: document fields, entries, and what it could not place."""

    document: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    unplaced: list[tuple[int, str, str]] = field(default_factory=list)  # line, text, why
    checks: list[str] = field(default_factory=list)  # guesses an author should confirm
    taken: set[str] = field(default_factory=set)  # entry ids in use, here and beside the plan


@dataclass
class _Item:
    block: Block
    children: list[Block] = field(default_factory=list)


def draft_entries(found: list[Section], document: dict[str, Any], draft: Draft) -> None:
    """Add the entries of every section with a kind; report the rest."""
    day = document["date"]
    window = document.get("events")
    for section in found:
        if section.kind in (None,) and section.blocks:
            why = ("a heading marked internal or not approved" if withheld(section.title)
                   else "a heading that names no kind of content")
            for block in section.blocks:
                draft.unplaced.append((block.line, block.text, f"under “{section.title}”, {why}"))
            continue
        if section.kind in ("sound_bite", "talking_point", "if_asked"):
            _listed(section, draft)
        elif section.kind == "qa":
            _qa(section, draft)
        elif section.kind == "background":
            _background(section, draft, day)
        elif section.kind == "media_action":
            for item in _items(section.blocks):
                _scheduled(section, "media_action", _with_children(item), draft, day, window)
        elif section.kind == "event":
            for item in _items(section.blocks):
                _scheduled(section, "event", _with_children(item), draft, day, window)
        elif section.kind == "contact":
            known = {e["text"] for e in draft.entries if e["kind"] == "contact"}
            for block in section.blocks:
                if block.text not in known:
                    add_entry(draft, "contact", section.title, block.text)


def _items(blocks: list[Block]) -> list[_Item]:
    """Top-level items, each with the list items nested under it."""
    listed = [b.indent for b in blocks if b.listed]
    top = min(listed) if listed else 0
    items: list[_Item] = []
    for block in blocks:
        nested = block.listed and block.indent > top and items and (
            items[-1].block.listed or not items[-1].children)
        if nested:
            items[-1].children.append(block)
        else:
            items.append(_Item(block))
    return items


def _with_children(item: _Item) -> str:
    lines = [item.block.text, *(f"{c.marker} {c.text}" for c in item.children)]
    return "\n".join(lines)


_IF_ASKED = re.compile(r"(?i)^if (asked|pressed|questioned|challenged)\b")


# "Sound bite 1:", "Key message #2 -", "Talking point 3." before the approved words
_ITEM_LABEL = re.compile(r"(?i)^(?:sound ?bite|key message|message|talking point|point|"
                         r"line)\s*#?\d*\s*[:.\-–]\s+(?=\S)")


def _listed(section: Section, draft: Draft) -> None:
    for item in _items(section.blocks):
        if _note(item.block, section, draft):
            continue
        item = _Item(item.block, _points_before_note(item.children, section, draft))
        labelled = _ITEM_LABEL.match(item.block.text)
        if labelled:  # the label is the plan's numbering, not words to say
            item = _Item(replace(item.block, text=item.block.text[labelled.end():]),
                         item.children)
        inline = INLINE_IF_ASKED.match(item.block.text)
        if inline:
            _if_asked_entry(section, inline["topic"], inline["text"], draft)
            continue
        if _IF_ASKED.match(item.block.text) and item.children:
            _if_asked_item(section, item, draft)
            continue
        entry = add_entry(draft, section.kind or "", section.title, item.block.text)
        if item.children:
            entry["supporting"] = [child.text for child in item.children]
        if section.kind == "if_asked":
            entry["topic"] = section.title
            subject = re.sub(r"(?i)^if (asked|pressed|questioned|challenged)( about| on)?\s*",
                             "", section.title).strip()
            entry["questions"] = [subject] if subject else []


_NOTE_WHY = "an internal note, not words to say; place it yourself if it is approved"


def _note(block: Block, section: Section, draft: Draft) -> bool:
    """Report `block` when it is a note to staff: it must not become approved words."""
    if not is_internal_note(block.text):
        return False
    draft.unplaced.append((block.line, block.text, f"in “{section.title}”: {_NOTE_WHY}"))
    return True


def _points_before_note(children: list[Block], section: Section, draft: Draft) -> list[Block]:
    """An item's nested points up to a note among them; the note and what follows it are
    reported (the points must stay a run of the source, as the verbatim check reads it)."""
    for number, child in enumerate(children):
        if _note(child, section, draft):
            for after in children[number + 1:]:
                draft.unplaced.append((after.line, after.text, "after an internal note"))
            return children[:number]
    return children


def _if_asked_item(section: Section, item: _Item, draft: Draft) -> None:
    """"- If asked about X:" with the responses nested under it: one entry per response."""
    topic = item.block.text.rstrip(":").strip()
    for child in item.children:
        _if_asked_entry(section, topic, child.text, draft)


def _if_asked_entry(section: Section, topic: str, text: str, draft: Draft) -> None:
    entry = add_entry(draft, "if_asked", section.title, text)
    entry["topic"] = topic
    subject = re.sub(r"(?i)^if (asked|pressed|questioned|challenged)( about| on)?\s*", "",
                     topic).strip()
    entry["questions"] = [subject] if subject else []


def _qa(section: Section, draft: Draft) -> None:
    question: str | None = None
    question_line = 0
    answer: list[str] = []
    noted = False  # a note to staff ended this answer

    def close() -> None:
        if question and answer:
            entry = add_entry(draft, "qa", section.title, "\n\n".join(answer), question=question)
            entry["questions"] = [question]
            _references(section, answer, draft)
        elif question:
            draft.unplaced.append((question_line, question, "a question with no answer"))

    listed = [b.indent for b in section.blocks if b.listed]
    for block in section.blocks:
        if _COLUMN_LABEL.match(block.text):
            continue  # a table's "Question | Answer" header row
        top_level = block.listed and block.indent == min(listed) and (bold_or_numbered(block))
        asked = question_text(block)
        if asked is None and block.text.endswith("?") and (not block.listed or top_level):
            asked = block.text
        if asked is None and not answer and question is None and _shouting(block.text):
            asked = block.text
        if asked is not None:
            close()
            question, question_line, answer, noted = asked, block.line, [], False
            continue
        if _note(block, section, draft):
            noted = noted or bool(answer)  # a note before the answer begins ends nothing
            continue
        if noted:  # the answer's words must stay one run of the source
            draft.unplaced.append((block.line, block.text, "after an internal note"))
            continue
        if question is None:
            draft.unplaced.append((block.line, block.text, f"in “{section.title}” before "
                                   "any question"))
            continue
        if is_answer_label(block.text) and not answer_text(block.text):
            continue  # "Answer:" alone on its line
        text = answer_text(block.text) if not answer else block.text
        answer.append(f"{block.marker} {text}" if block.listed else text)
    close()


def bold_or_numbered(block: Block) -> bool:
    """A listed question is one set apart: bold, or numbered like "1." (not a bullet)."""
    return block.bold or block.numbered or block.marker[:1].isdigit() \
        or block.marker[:2].lstrip("(").isdigit()


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.9


def _references(section: Section, paragraphs: list[str], draft: Draft) -> None:
    """A bare web address and the sentence that leads to it: a reference of its own."""
    for number, paragraph in enumerate(paragraphs):
        if _URL.match(paragraph) and number > 0:
            lead = re.split(r"(?<=[.!?])\s+", paragraphs[number - 1])[-1]
            add_entry(draft, "reference", section.title, f"{lead}\n\n{paragraph}")


def _background(section: Section, draft: Draft, day: dt.date) -> None:
    texts = [b.text for b in section.blocks]
    places: tuple[str, ...] = ()
    for text in texts:
        places = places or details.places_of(text)
        if not details.places_of(text):
            add_entry(draft, "background", section.title, text)
    _references(section, texts, draft)
    whole = "\n\n".join(texts)
    when = details.find_range(whole, day.year)
    if texts and when and re.search(r"(?i)\b(events?|protests?|rall(y|ies)|march(es)?|"
                                    r"hearings?|vigils?|demonstrations?)\b", whole):
        entry = add_entry(draft, "event", section.title, whole)
        entry["schedule"] = _schedule(when, None, (), places)


def _scheduled(section: Section, kind: str, text: str, draft: Draft, day: dt.date,
               window: dict[str, Any] | None) -> None:
    when = details.find_date(text, day)
    if when is None and window:  # undated: listed over the window, never as a day's
        when = details.Written("", window["date"], window.get("end"), undated=True,
                               note=f"the source gives no date; expected during the events "
                                    f"window ({window['as_written']})")
    owner = details.owner_of(text)
    people = details.spokespeople_of(text)
    if when is None:
        if kind == "event":
            kind = "background"
            draft.checks.append(f"“{text[:60]}…” names no date: drafted as background")
        entry = add_entry(draft, kind, section.title, text)
        return
    entry = add_entry(draft, kind, section.title, text)
    entry["schedule"] = _schedule(when, owner, people, ())
    if when.note:
        draft.checks.append(f"{entry['id']}: {when.note}")


def _schedule(when: details.Written, owner: str | None, people: tuple[str, ...],
              places: tuple[str, ...]) -> dict[str, Any]:
    schedule: dict[str, Any] = ({"undated": True} if when.undated
                                else {"as_written": when.as_written})
    schedule["date"] = when.date
    if when.end:
        schedule["end"] = when.end
    if when.note:
        schedule["note"] = when.note
    if owner:
        schedule["owner"] = owner
    if people:
        schedule["spokespeople"] = list(people)
    if places:
        schedule["cities"] = list(places)
    return schedule


def add_entry(draft: Draft, kind: str, section: str, text: str, **more: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": _unique_id(draft, kind, more.get("question") or text),
                             "kind": kind, "title": title_of(more.get("question") or text),
                             "section": section or "(untitled)", **more, "text": text}
    draft.entries.append(entry)
    return entry


def title_of(text: str, limit: int = 70) -> str:
    """A short heading of our own: the first sentence, cut at a word."""
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0].strip()
    if first.isupper():
        first = first.capitalize()
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _unique_id(draft: Draft, kind: str, text: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower())
             if w not in ("the", "a", "an", "of", "and", "to", "is", "in", "for", "on", "if")]
    base = f"{ID_PREFIX[kind]}-" + "-".join(words[:5])
    base = base[:48].rstrip("-") or ID_PREFIX[kind]
    candidate = free_id(base, draft.taken)
    draft.taken.add(candidate)
    return candidate


def free_id(base: str, taken: Collection[str]) -> str:
    """`base`, or `base-2`, `base-3`... the first that is not taken."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
