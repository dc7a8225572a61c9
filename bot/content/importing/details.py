"""Facts a plan gives in passing: dates, owners, spokespeople, places, contacts.

These fill the schedule and document fields around the approved words. They
are our reading of the text, so the importer reports each one it had to
guess, and `validate` flags a weekday that disagrees with its date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = r"(?P<month>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?)"
_WEEKDAY = r"(?P<weekday>(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?)"
_DASH = r"\s*(?:-|–|—|to|through|thru|until)\s*"

RANGE = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?{_DASH}"
                   rf"(?:(?P<month2>[A-Za-z]+)\.?\s+)?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\b"
                   rf"(?:,?\s+(?P<year>\d{{4}}))?", re.IGNORECASE)
DATE = re.compile(rf"\b(?:{_WEEKDAY},?\s+)?{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
                  rf"(?:,?\s+(?P<year>\d{{4}}))?", re.IGNORECASE)
DAY_FIRST = re.compile(rf"\b(?:{_WEEKDAY},?\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}"
                       rf"(?:,?\s+(?P<year>\d{{4}}))?\b", re.IGNORECASE)
ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
NUMERIC = re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\b")
WEEKDAY_ONLY = re.compile(rf"\b{_WEEKDAY}(?P<part>\s+(?:morning|afternoon|evening|night))?\b",
                          re.IGNORECASE)
PHONE = re.compile(r"(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]\d{3,4}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = r"(?:[A-Z][\w/.'’-]*)(?:\s+(?:[A-Z][\w/.'’-]*|de|van|von|da))*"
OWNER = re.compile(rf"(?:^|,\s+)(?:the\s+)?(?P<owner>{_NAME})\s+(?:will|is to|are to|"
                   rf"plans? to|is going to)\b")
SPOKESPEOPLE = (
    re.compile(rf"\bsigned by (?P<who>{_NAME})"),
    re.compile(rf"\bfor (?P<who>{_NAME}) to (?:be interviewed|speak|appear|brief)"),
    re.compile(rf"(?P<who>{_NAME}) (?:will|would) (?:be interviewed|speak|appear|brief)"),
    re.compile(rf"(?P<who>{_NAME}) or (?P<other>{_NAME}) would\b"),
    re.compile(rf"\bspokes(?:person|people|man|woman):?\s+(?P<who>{_NAME})"),
)
TIME_ZONES = (
    (r"\b(?:Eastern|ET|EST|EDT)\b", "America/New_York"),
    (r"\b(?:Central|CT|CST|CDT)\b", "America/Chicago"),
    (r"\b(?:Mountain|MT|MST|MDT)\b", "America/Denver"),
    (r"\b(?:Pacific|PT|PST|PDT)\b", "America/Los_Angeles"),
    (r"\b(?:GMT|BST|UK time)\b", "Europe/London"),
    (r"\b(?:CET|CEST)\b", "Europe/Paris"),
)


@dataclass(frozen=True)
class Written:
    """A date as the source writes it, and the day(s) we read it as."""

    as_written: str
    date: dt.date
    end: dt.date | None = None
    note: str | None = None
    undated: bool = False  # the source names no day; `date`..`end` is the window expected


def _month(name: str) -> int | None:
    name = name.lower().rstrip(".")
    return next((n for n, month in enumerate(MONTHS, 1) if month.startswith(name[:3])), None)


def _day(year: int, month: int | None, day: str) -> dt.date | None:
    try:
        return dt.date(year, month or 0, int(day))
    except (ValueError, TypeError):
        return None


def find_range(text: str, year: int) -> Written | None:
    for found in RANGE.finditer(text):
        year_of = int(found["year"]) if found["year"] else year
        start = _day(year_of, _month(found["month"]), found["day"])
        end_month = _month(found["month2"]) if found["month2"] else _month(found["month"])
        end = _day(year_of, end_month, found["day2"])
        if start and end and end > start:
            return Written(found[0], start, end)
    return None


def find_date(text: str, around: dt.date) -> Written | None:
    """The first date the text names; a weekday alone is the next one after `around`."""
    spans = find_range(text, around.year)
    candidates: list[tuple[int, Written]] = []
    if spans:
        candidates.append((text.find(spans.as_written), spans))
    for pattern in (DATE, DAY_FIRST, ISO, NUMERIC):
        for found in pattern.finditer(text):
            month = found["month"]
            number = int(month) if month.isdigit() else _month(month)
            year = int(found["year"]) if found["year"] else around.year
            day = _day(year, number, found["day"])
            if day:
                note = _either_way(found[0].strip(), day) if pattern is NUMERIC else None
                candidates.append((found.start(), Written(found[0].strip(), day, note=note)))
                break
    if not candidates:
        weekday = WEEKDAY_ONLY.search(text)
        if weekday:
            index = next(n for n, w in enumerate(WEEKDAYS)
                         if w.startswith(weekday["weekday"].lower()[:3]))
            ahead = (index - around.weekday()) % 7 or 7
            day = around + dt.timedelta(days=ahead)
            return Written(weekday[0], day, note=f"the source names only the weekday; read as "
                           f"the first {WEEKDAYS[index].title()} after {around}")
        return None
    return min(candidates, key=lambda pair: pair[0])[1]


def _either_way(written: str, day: dt.date) -> str | None:
    """05/04/2026 is May 4 month first, 5 April day first: say which was read."""
    if day.day > 12 or day.day == day.month:
        return None
    read, other = MONTHS[day.month - 1].title(), MONTHS[day.day - 1].title()
    return (f"“{written}” read month first, as {read} {day.day}, {day.year}; if the plan "
            f"means {day.month} {other}, fix the date")


def owner_of(text: str) -> str | None:
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    found = OWNER.search(first)
    return found["owner"] if found else None


def spokespeople_of(text: str) -> tuple[str, ...]:
    people: list[str] = []
    for pattern in SPOKESPEOPLE:
        for found in pattern.finditer(text):
            for name in (found["who"], found.groupdict().get("other")):
                if name and name not in people:
                    people.append(name)
    return tuple(people)


def places_of(text: str) -> tuple[str, ...]:
    """Places listed after "Locations ...:" / "Cities:" / "Where:", split on ';' (or ',')."""
    found = re.match(r"(?i)^\s*(?:locations?|cities|places|venues?|where)\b[^:]*:\s*(?P<list>.+)$",
                     text)
    if not found:
        return ()
    listed = found["list"].strip()
    if listed.endswith(".") and not re.search(r"\b[A-Z]\.$", listed):
        listed = listed[:-1]
    parts = listed.split(";") if ";" in listed else listed.split(",")
    places = [re.sub(r"^\s*and\s+", "", part).strip() for part in parts]
    return tuple(p for p in places if p)


def time_zone_of(text: str) -> str | None:
    named = re.search(r"\b(America|Europe|Australia|Asia|Africa|Pacific)/[A-Z][A-Za-z_]+\b", text)
    if named:
        return named[0]
    for pattern, zone in TIME_ZONES:
        if re.search(pattern + r"(?:\s+time)?", text) and re.search(
                r"(?i)(\d\s*(a\.?m\.?|p\.?m\.?)?\s*|time zone:?\s*|\()" + pattern, text):
            return zone
    return None


def contact_of(text: str) -> tuple[str | None, str | None, str | None]:
    """(name, phone, email) from a contact line such as "Contact: Jo Bloggs, 202-555-0100"."""
    found = re.match(r"(?i)^\s*(?:(?:press |media |for more information,? )?contacts?|"
                     r"spokes(?:person|man|woman)|press officer|media relations|poc|"
                     r"(?:press|media|communications|comms)(?: office)? (?:lead|secretary|"
                     r"officer|director|manager)(?=\s*:)|"  # a title: only as a label
                     r"point of contact)\s*:?\s*"
                     r"(?P<rest>.*)$", text)
    if not found:
        return None, None, None
    rest = found["rest"]
    phone = PHONE.search(rest)
    email = EMAIL.search(rest)
    name = re.split(r"[,;(]|\s+at\s+|\s+-\s+|\d", rest)[0].strip() or None
    return name, phone[0] if phone else None, email[0] if email else None
