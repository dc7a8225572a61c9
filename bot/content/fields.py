"""Field checks: each value of a plan file against what it must be.

A check turns a raw YAML value into a typed one or raises `Invalid` with a
message a content author can act on; `FileChecker` applies a spec (field ->
check, required) to one mapping and records every problem with its line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from rapidfuzz import process

from bot.content.model import KINDS, Problem
from bot.content.zones import is_time_zone


class Invalid(Exception):
    pass


_TIME = re.compile(r"\d{1,2}:\d{2}")
_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9-]*")


EXCERPT_CHARS = 60


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A value as quoted in a message: its repr, cut to `limit` characters.

    A message quoting a whole value once printed a 39 MB line; the author only
    needs enough to find it, and the file and line say where.
    """
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be text, not {type_name(value)}")
    if not value or value.isspace():  # as `not value.strip()`, without copying the text
        raise Invalid("must not be empty")
    return value


def _date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise Invalid(f"must be a date YYYY-MM-DD, not {type_name(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{excerpt(value)} is not a date (YYYY-MM-DD)") from None


def _time(value: Any) -> dt.time:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise Invalid(f"{excerpt(value)} is not a time of day (HH:MM)")
    hours, minutes = map(int, value.split(":"))
    if hours > 23 or minutes > 59:
        raise Invalid(f"{excerpt(value)} is not a time of day (HH:MM)")
    return dt.time(hours, minutes)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {type_name(value)}")
    return value


def text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of text, not {type_name(value)}")
    for number, item in enumerate(value, 1):
        if not isinstance(item, str) or not item or item.isspace():
            try:
                _text(item)  # says why
            except Invalid as why:  # which item: "must not be empty" read as the whole list
                raise Invalid(f"item {number} {why}") from None
    return tuple(value)


def _identifier(value: Any) -> str:
    value = _text(value)
    if not _IDENTIFIER.fullmatch(value):
        raise Invalid(f"{excerpt(value)} must use only a-z, 0-9 and '-'")
    return value


def _timezone(value: Any) -> str:
    value = _text(value)
    if not is_time_zone(value):
        raise Invalid(f"{excerpt(value)} is not a known time zone (e.g. America/New_York)")
    return value


def _kind(value: Any) -> str:
    value = _text(value)
    if value not in KINDS:
        raise Invalid(f"{excerpt(value)} is not a kind; use one of {', '.join(KINDS)}")
    return value


def _source_check(value: Any) -> str:
    if value != "none":
        raise Invalid(f"{value!r}: the only value is none (opting out of the verbatim check)")
    return value


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {excerpt(value)}"


Check = Callable[[Any], Any]
Spec = Mapping[str, tuple[Check, bool]]  # field -> (check, required)

CONTACT: Spec = {"name": (_text, True), "phone": (_text, True), "email": (_text, False)}
ALERTS: Spec = {"channel": (_text, False), "time": (_time, False), "timezone": (_timezone, False)}
DOCUMENT: Spec = {
    "id": (_identifier, True),
    "title": (_text, True),
    "office": (_text, True),
    "date": (_date, True),
    "timezone": (_timezone, True),
    "contact": (dict, True),
    "source_file": (_text, False),
    "effective": (_date, False),
    "expires": (_date, False),
    "alerts": (dict, False),
    "review_by": (_date, False),
    "owner": (_text, False),
    "events": (dict, False),
}
EVENTS: Spec = {
    "as_written": (_text, True),
    "date": (_date, True),
    "end": (_date, False),
    "places": (text_list, False),
}
SCHEDULE: Spec = {
    "as_written": (_text, False),  # required unless undated: see dates.check_schedule_words
    "date": (_date, True),
    "end": (_date, False),
    "time": (_time, False),
    "note": (_text, False),
    "owner": (_text, False),
    "spokespeople": (text_list, False),
    "cities": (text_list, False),
    "undated": (_flag, False),
}
ENTRY: Spec = {
    "id": (_identifier, True),
    "document": (_identifier, True),
    "kind": (_kind, True),
    "title": (_text, True),
    "section": (_text, True),
    "text": (_text, True),
    "supporting": (text_list, False),
    "question": (_text, False),
    "topic": (_text, False),
    "schedule": (dict, False),
    "questions": (text_list, False),
    "keywords": (text_list, False),
    "effective": (_date, False),
    "expires": (_date, False),
    "notes": (_text, False),
    "review_by": (_date, False),
    "source_check": (_source_check, False),
    "approved_by": (_text, False),
    "approved_on": (_date, False),
}
REQUIRED_BY_KIND = {"qa": "question", "if_asked": "topic", "event": "schedule"}
TOP_LEVEL = ("document", "entries", "synonyms")


class FileChecker:
    """Checks the mappings of one file against specs, collecting problems."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def error(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(Problem("error", self.path, line, field_name, message))

    def warn(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(Problem("warning", self.path, line, field_name, message))

    def fields(self, mapping: Any, spec: Spec, where: str, line: int) -> dict[str, Any] | None:
        """The checked values of `mapping`, or None when it has errors.

        Problems come in a fixed order: unknown fields as the mapping has them,
        then the spec's fields in its order.
        """
        if not isinstance(mapping, dict):
            self.error(line, where, f"must be a mapping, not {type_name(mapping)}")
            return None
        lines = getattr(mapping, "key_lines", {})
        ok = spec.keys() >= mapping.keys()
        if not ok:
            self._unknown(mapping, spec, where, line, lines)
        values: dict[str, Any] = {}
        for name, (check, required) in spec.items():
            value = mapping.get(name, _ABSENT)
            if value is _ABSENT:
                if required:
                    self.error(mapping.line or line, f"{where}.{name}", "missing required field")
                    ok = False
                continue
            if value is None:
                if required:
                    self.error(lines.get(name, line), f"{where}.{name}", "must not be empty")
                    ok = False
                continue
            try:
                values[name] = check(value) if check is not dict else _mapping(value)
            except Invalid as problem:
                self.error(lines.get(name, line), f"{where}.{name}", str(problem))
                ok = False
        return values if ok else None

    def _unknown(self, mapping: dict, spec: Spec, where: str, line: int,
                 lines: Mapping[Any, int]) -> None:
        for key in mapping:
            if key not in spec:
                hint = process.extractOne(str(key)[:100], list(spec), score_cutoff=75)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.error(lines.get(key, line), f"{where}.{str(key)[:EXCERPT_CHARS]}",
                           f"unknown field{suggestion}")


_ABSENT = object()


def _mapping(value: Any) -> dict:
    """The check for a spec's `dict`: a nested mapping, checked by its own spec later."""
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping, not {type_name(value)}")
    return value
