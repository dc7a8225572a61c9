"""The plan's own particulars from its first lines: title, office, date, contact.

A plan opens with who wrote it, when, whom to call and what it is about, in
no fixed order; each is recognised by what it looks like (a date, "Contact:",
a phone number, a line naming a plan), not by where this or that plan puts it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.content.importing import details
from bot.content.importing.blocks import Block
from bot.content.importing.drafting import Draft, add_entry
from bot.content.importing.structure import Section, clean_heading, heading_level

_LABELLED_OFFICE = re.compile(r"(?i)^[*_]*(?:office|agency|department|from|organi[sz]ation)"
                              r"\s*:\s*[*_]*\s*(?P<office>\S.*)$")
_PLAN_WORDS = re.compile(r"(?i)\b(plan|strategy|messaging|communications|get the facts)\b")


def draft_document(found: list[Section], every: list[Block], draft: Draft, *,
                   default_timezone: str, today: dt.date) -> dict[str, Any]:
    header = [b for s in found if s.kind == "header" for b in s.blocks]
    headings = [s for s in found if s.kind == "header" and s.title]
    document: dict[str, Any] = {}
    document["date"] = _plan_date(header, every, draft, today)
    document["title"] = _title(header, headings, found, draft)
    document["office"] = _office(header, headings, document["title"], draft)
    zone = details.time_zone_of("\n".join(b.text for b in every))
    if zone is None:
        draft.checks.append(f"document.timezone: the plan states none; set to {default_timezone}")
    document["timezone"] = zone or default_timezone
    document["contact"] = _contact(header, every, draft)
    window = details.find_range(document["title"], document["date"].year) or next(
        (details.find_range(b.text, document["date"].year) for b in every
         if details.find_range(b.text, document["date"].year)), None)
    if window:
        places = next((details.places_of(b.text) for b in every if details.places_of(b.text)),
                      ())
        document["events"] = {"as_written": window.as_written, "date": window.date,
                              "end": window.end}
        if places:
            document["events"]["places"] = list(places)
    return document


def report_unread(found: list[Section], document: dict[str, Any], draft: Draft) -> None:
    """Report the opening lines that are none of the plan's particulars: only the title,
    office, date and contact are read from them, and a message written there was lost."""
    read = [document["title"], document["office"],
            *(e["text"] for e in draft.entries if e["kind"] == "contact")]
    whole = " ".join(read)  # an office written over several lines
    for block in (b for s in found if s.kind == "header" for b in s.blocks):
        if block.text in whole or any(part in block.text for part in read if part) \
                or _particular(block.text):
            continue  # "**Office:** Alameda County ..." holds the office
        draft.unplaced.append((block.line, block.text, "before the first section heading, "
                               "and not the plan's title, office, date or contact"))


def _particular(text: str) -> bool:
    """A short dated line ("Prepared: 12 May 2025"), a phone number or an email address."""
    dated = any(p.search(text) for p in (details.DATE, details.DAY_FIRST, details.ISO,
                                          details.NUMERIC))
    return (dated and len(text.split()) <= 8) or bool(details.PHONE.search(text)
                                                     or details.EMAIL.search(text))


def _plan_date(header: list[Block], every: list[Block], draft: Draft, today: dt.date) -> dt.date:
    for block in [*header, *every[:15]]:
        found = details.find_date(block.text, today)
        if found is not None and re.search(r"\d{4}", block.text):
            if found.note:
                draft.checks.append(f"document.date: {found.note}")
            return found.date
    draft.checks.append(f"document.date: the plan states no date with a year; set to {today}")
    return today


def _title(header: list[Block], headings: list[Section], found: list[Section],
           draft: Draft) -> str:
    named = [s.title for s in headings if _PLAN_WORDS.search(s.title)]
    named += [b.text for b in header if _PLAN_WORDS.search(b.text) and len(b.text.split()) <= 16
              and not details.contact_of(b.text)[0] and not b.text.endswith(".")]
    if named:  # the line that says it is a plan, however it is marked
        return max(named, key=lambda text: len(text.split()))
    explicit = [s for s in headings if s.level == 1]
    if explicit:
        return explicit[0].title
    if headings:
        return max((s.title for s in headings), key=lambda text: len(text.split()))
    first = next((b.text for b in header), None) or next((s.title for s in found if s.title),
                                                         "Media plan")
    draft.checks.append(f"document.title: no line names the plan; used “{first}”")
    return first


def _office(header: list[Block], headings: list[Section], title: str, draft: Draft) -> str:
    for block in header:
        labelled = _LABELLED_OFFICE.match(block.text)
        if labelled:
            return labelled["office"].strip()
    lines: list[Block] = []
    for block in header:
        if lines and block.line != lines[-1].line + 1:
            break
        if block.text == title or details.find_date(block.text, dt.date(2000, 1, 1)) \
                or block.text.lower().startswith("contact"):
            break
        lines.append(block)
    if lines:
        return " ".join(b.text for b in lines).strip("*_ ")
    named = [s.title for s in headings if s.title != title and not _PLAN_WORDS.search(s.title)]
    if named:
        return named[0]
    draft.checks.append("document.office: the plan does not say whose it is; fill it in")
    return "(office not stated)"


def _contact(header: list[Block], every: list[Block], draft: Draft) -> dict[str, str]:
    """The press contact, and an entry with its lines exactly as written."""
    for number, block in enumerate(every):
        name, phone, email = details.contact_of(block.text)
        if not name:
            continue
        lines = [block]
        for after in every[number + 1:number + 3]:  # the phone or email on the next lines
            joined = after.line == lines[-1].line + 1
            if not joined or not (details.PHONE.search(after.text)
                                  or details.EMAIL.search(after.text)):
                break
            lines.append(after)
            phone = phone or _first(details.PHONE, after.text)
            email = email or _first(details.EMAIL, after.text)
        add_entry(draft, "contact", _nearest_heading(every, number),
                  "\n\n".join(b.text for b in lines))
        contact = {"name": name, "phone": phone or "(not stated)"}
        if email:
            contact["email"] = email
        if not phone:
            draft.checks.append("document.contact.phone: no phone number given; fill it in")
        return contact
    draft.checks.append("document.contact: no “Contact:” line found; fill in name and phone")
    return {"name": "(not stated)", "phone": "(not stated)"}


def _nearest_heading(every: list[Block], number: int) -> str:
    for block in reversed(every[:number]):
        if heading_level(block):
            return clean_heading(block.text)
    return "Contact"


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found[0] if found else None
