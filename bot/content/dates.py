"""What a schedule's written date says, and where it parts ways with the resolved one.

Plans say "Monday, April 26" when April 26 was a Sunday, or give no date at
all. The content keeps the words as written and the resolved date beside
them; validation warns where the two disagree so an author can check which
one the plan meant, and every surface that lists the item says so in words
(`date_caveat`), so nobody reads our resolution as the plan's.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from bot.content.fields import FileChecker
from bot.content.model import Schedule
from bot.content.records import record

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_WEEKDAY = re.compile(r"\b(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday"
                      r"|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?=[.,]))",
                      re.IGNORECASE)
_MONTH = (r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
          r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b",
                        re.IGNORECASE)
_OTHER_DAY = re.compile(r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|today|tonight"
                        r"|tomorrow|yesterday)\b", re.IGNORECASE)


@record
class WrittenDate:
    """The day a schedule's `as_written` names: a weekday, a calendar date, or both."""

    weekday: int | None  # 0 = Monday, as dt.date.weekday()
    date: dt.date | None  # the month and day written, in the year nearest the resolution
    no_such_date: bool = False  # e.g. "February 30"


@functools.lru_cache(maxsize=4096)
def read_written(as_written: str, near: dt.date) -> WrittenDate | None:
    """The weekday and date `as_written` names, None when it names neither.

    The written month and day get the year that puts them nearest `near` (the
    resolved date), so a December plan's "Monday, January 4" is next year's.
    Remembered: a department's plans repeat the same few written dates, read at
    every load and for every listing (WrittenDate is frozen, so sharing is safe).
    """
    weekday_found = _WEEKDAY.search(as_written)
    weekday = _index_of(weekday_found["weekday"], _WEEKDAYS) if weekday_found else None
    found = _MONTH_DAY.search(as_written) or _DAY_MONTH.search(as_written)
    if found is None:
        return None if weekday is None else WrittenDate(weekday, None)
    month, day = _index_of(found["month"], _MONTHS) + 1, int(found["day"])
    candidates = []
    for year in (near.year - 1, near.year, near.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return WrittenDate(weekday, None, no_such_date=True)
    return WrittenDate(weekday, min(candidates, key=lambda d: abs((d - near).days)))


def names_a_day(as_written: str) -> bool:
    """Whether the words name a particular day (a weekday, a date, "tomorrow")."""
    return bool(_WEEKDAY.search(as_written) or _MONTH_DAY.search(as_written)
                or _DAY_MONTH.search(as_written) or _OTHER_DAY.search(as_written))


def long_date(day: dt.date) -> str:
    """E.g. "Monday, April 27, 2009"."""
    return f"{day:%A, %B} {day.day}, {day.year}"


def date_caveat(schedule: Schedule) -> str | None:
    """In words, how the resolved date departs from what the plan says; None if it does not.

    E.g. "the plan says Monday, April 26; April 26, 2009 was a Sunday".
    """
    if schedule.undated:
        return None
    written = read_written(schedule.as_written, schedule.date)
    if written is None:
        return None
    resolved = schedule.date
    found: list[str] = []
    if written.no_such_date:
        found.append("there is no such date")
    elif written.date is not None:
        if written.weekday is not None and written.date.weekday() != written.weekday:
            found.append(f"{written.date:%B} {written.date.day}, {written.date.year} "
                         f"was a {written.date:%A}")
    elif written.weekday is not None and resolved.weekday() != written.weekday:
        found.append(f"{resolved:%B} {resolved.day}, {resolved.year} is a {resolved:%A}")
    if found or (written.date is not None and written.date != resolved):
        if written.date != resolved:
            found.append(f"listed for {long_date(resolved)}")
        return f"the plan says {schedule.as_written.strip()}; " + "; ".join(found)
    return None


def check_schedule_words(checker: FileChecker, line: int, where: str,
                         schedule: Schedule) -> None:
    """Whether a schedule is dated or not agrees with its written words; flag date conflicts.

    `undated: true` (the plan gives no date) with words that name a day is an
    error: the entry cannot be both. Words that name no day on a dated schedule
    are a warning: the author may have meant `undated: true`.
    """
    field_name = f"{where}.schedule.as_written"
    if schedule.undated:
        if schedule.as_written and names_a_day(schedule.as_written):
            checker.error(line, field_name,
                          f"{schedule.as_written!r} names a day, but the schedule says "
                          "undated: true; keep one of them")
        return
    if not schedule.as_written:
        checker.error(line, field_name, "missing required field (or `undated: true` when "
                      "the plan gives no date)")
        return
    if not names_a_day(schedule.as_written):
        checker.warn(line, field_name,
                     f"{schedule.as_written!r} names no day; if the plan gives no date, say "
                     "undated: true so it is not listed as that day's")
        return
    warn_date_conflicts(checker, line, where, schedule)


def warn_date_conflicts(checker: FileChecker, line: int, where: str, schedule: Schedule) -> None:
    """Flag where the source's written date and our resolved date disagree."""
    written = read_written(schedule.as_written.strip(), schedule.date)
    if written is None:
        return
    field_name = f"{where}.schedule.as_written"
    if written.no_such_date:
        checker.warn(line, field_name, f"{schedule.as_written!r} names no real date")
        return
    day = written.date
    if day is not None and written.weekday is not None and day.weekday() != written.weekday:
        checker.warn(line, field_name,
                     f"{schedule.as_written!r}: {day:%B} {day.day}, {day.year} "
                     f"was a {day:%A}; resolved to {schedule.date} ({schedule.date:%A})")
    if day is not None and day != schedule.date:
        checker.warn(line, field_name,
                     f"{schedule.as_written!r} is resolved to a different date, {schedule.date}")
    if day is None and written.weekday is not None and \
            schedule.date.weekday() != written.weekday:
        checker.warn(line, field_name,
                     f"{schedule.as_written!r} but {schedule.date} is a {schedule.date:%A}")


def _index_of(prefix: str, names: tuple[str, ...]) -> int:
    return next(i for i, name in enumerate(names) if name.startswith(prefix.lower()[:3]))
