"""Warnings where a schedule's written date and its resolved date disagree.

Plans say "Monday, April 26" when April 26 was a Sunday; the content keeps
the words as written and the resolved date beside them, and validation says
where the two part ways so an author can check which one the plan meant.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.content.fields import FileChecker
from bot.content.model import Document, Schedule

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_WEEKDAY_PATTERN = "|".join(w[:3] for w in _WEEKDAYS)
_MONTH_PATTERN = "|".join(m[:3] for m in _MONTHS)
_WRITTEN_DATE = re.compile(
    rf"(?:(?P<weekday>{_WEEKDAY_PATTERN})\w*,?\s+)?"
    rf"(?:(?P<month>{_MONTH_PATTERN})\w*\.?\s+(?P<day>\d{{1,2}}))?",
    re.IGNORECASE,
)


def warn_date_conflicts(checker: FileChecker, line: int, where: str, schedule: Schedule,
                         document: Document) -> None:
    """Flag where the source's written date and our resolved date disagree."""
    found = _WRITTEN_DATE.match(schedule.as_written.strip())
    if not found or not (found["weekday"] or found["month"]):
        return
    field_name = f"{where}.schedule.as_written"
    written_weekday = found["weekday"] and _index_of(found["weekday"], _WEEKDAYS)
    written = None
    if found["month"]:
        month = _index_of(found["month"], _MONTHS) + 1
        try:
            written = dt.date(document.date.year, month, int(found["day"]))
        except ValueError:
            checker.warn(line, field_name, f"{schedule.as_written!r} names no real date")
            return
    if written is not None and written_weekday is not None and written.weekday() != written_weekday:
        checker.warn(line, field_name,
                     f"{schedule.as_written!r}: {written:%B} {written.day}, {written.year} "
                     f"was a {written:%A}; resolved to {schedule.date} ({schedule.date:%A})")
    if written is not None and written != schedule.date:
        checker.warn(line, field_name,
                     f"{schedule.as_written!r} is resolved to a different date, {schedule.date}")
    weekday_only = written is None and written_weekday is not None
    if weekday_only and schedule.date.weekday() != written_weekday:
        checker.warn(line, field_name,
                     f"{schedule.as_written!r} but {schedule.date} is a {schedule.date:%A}")


def _index_of(prefix: str, names: tuple[str, ...]) -> int:
    return next(i for i, name in enumerate(names) if name.startswith(prefix.lower()[:3]))
