"""Loading and validating the approved content into an immutable snapshot.

The content is what the press office is allowed to say, so a mistake in it
must be caught before it is served: every problem names the file, the line
and the field. A snapshot is built whole or not at all; whoever serves the
old one keeps serving it until a new one loads cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from rapidfuzz import process

KINDS: Mapping[str, str] = MappingProxyType(
    {
        "sound_bite": "Sound bite",
        "talking_point": "Talking point",
        "if_asked": "If asked",
        "qa": "Q&A",
        "event": "Event",
        "media_action": "Media outreach",
        "contact": "Press contact",
        "reference": "Reference",
        "background": "Background",
    }
)

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str | None = None


@dataclass(frozen=True)
class AlertSettings:
    channel: str | None
    time: dt.time
    timezone: str


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    office: str
    date: dt.date
    timezone: str
    contact: Contact
    source_file: str | None = None
    effective: dt.date | None = None
    expires: dt.date | None = None
    alerts: AlertSettings | None = None
    path: str = ""


@dataclass(frozen=True)
class Schedule:
    as_written: str
    date: dt.date
    end: dt.date | None = None
    time: dt.time | None = None
    note: str | None = None
    owner: str | None = None
    spokespeople: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()

    @property
    def last_day(self) -> dt.date:
        return self.end or self.date

    def covers(self, day: dt.date) -> bool:
        return self.date <= day <= self.last_day


@dataclass(frozen=True)
class Entry:
    id: str
    document: Document
    kind: str
    title: str
    section: str
    text: str
    supporting: tuple[str, ...] = ()
    question: str | None = None
    topic: str | None = None
    schedule: Schedule | None = None
    questions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    effective: dt.date | None = None
    expires: dt.date | None = None
    path: str = ""
    line: int = 0

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def display_text(self) -> str:
        """The approved words a user is shown: the text, then any supporting points."""
        if not self.supporting:
            return self.text
        return self.text + "\n" + "\n".join(f"  - {point}" for point in self.supporting)

    def expiry(self) -> dt.date | None:
        dates = [d for d in (self.expires, self.document.expires) if d]
        return min(dates) if dates else None

    def start(self) -> dt.date | None:
        dates = [d for d in (self.effective, self.document.effective) if d]
        return max(dates) if dates else None

    def servable_on(self, day: dt.date) -> bool:
        """Expired or not-yet-effective content is listed but never served as an answer."""
        start, expiry = self.start(), self.expiry()
        return (start is None or start <= day) and (expiry is None or day <= expiry)


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" or "warning"
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        subject = f" {self.field}:" if self.field else ""
        return f"{self.severity}: {where}:{subject} {self.message}"


@dataclass(frozen=True)
class Snapshot:
    """One consistent, immutable version of all approved content."""

    directory: str
    version: str
    documents: Mapping[str, Document]
    entries: tuple[Entry, ...]
    by_id: Mapping[str, Entry]
    synonyms: tuple[tuple[str, ...], ...]
    warnings: tuple[Problem, ...] = ()

    def served(self, day: dt.date) -> list[Entry]:
        return [e for e in self.entries if e.servable_on(day)]

    def contacts_for(self, entries: Iterable[Entry]) -> list[Contact]:
        """Whom to call: the press contacts of these entries' plans, else of every plan."""
        documents = {e.document.id: e.document for e in entries} or dict(self.documents)
        contacts = []
        for document in documents.values():
            if document.contact not in contacts:
                contacts.append(document.contact)
        return contacts


class KnowledgeError(Exception):
    """The content did not validate; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in knowledge: " + "; ".join(map(str, errors[:3])))


# ---------------------------------------------------------------- YAML with line numbers


class _LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps line numbers and leaves dates as text for us to check."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


# ---------------------------------------------------------------- field checks


class _Invalid(Exception):
    pass


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be text, not {_type_name(value)}")
    if not value.strip():
        raise _Invalid("must not be empty")
    return value


def _date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise _Invalid(f"must be a date YYYY-MM-DD, not {_type_name(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _time(value: Any) -> dt.time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise _Invalid(f"{value!r} is not a time of day (HH:MM)")
    hours, minutes = map(int, value.split(":"))
    if hours > 23 or minutes > 59:
        raise _Invalid(f"{value!r} is not a time of day (HH:MM)")
    return dt.time(hours, minutes)


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list of text, not {_type_name(value)}")
    return tuple(_text(item) for item in value)


def _identifier(value: Any) -> str:
    value = _text(value)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
        raise _Invalid(f"{value!r} must use only a-z, 0-9 and '-'")
    return value


def _timezone(value: Any) -> str:
    value = _text(value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(f"{value!r} is not a known time zone (e.g. America/New_York)") from None
    return value


def _kind(value: Any) -> str:
    value = _text(value)
    if value not in KINDS:
        raise _Invalid(f"{value!r} is not a kind; use one of {', '.join(KINDS)}")
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


Check = Callable[[Any], Any]
Spec = Mapping[str, tuple[Check, bool]]  # field -> (check, required)

_CONTACT: Spec = {"name": (_text, True), "phone": (_text, True), "email": (_text, False)}
_ALERTS: Spec = {"channel": (_text, False), "time": (_time, False), "timezone": (_timezone, False)}
_DOCUMENT: Spec = {
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
}
_SCHEDULE: Spec = {
    "as_written": (_text, True),
    "date": (_date, True),
    "end": (_date, False),
    "time": (_time, False),
    "note": (_text, False),
    "owner": (_text, False),
    "spokespeople": (_text_list, False),
    "cities": (_text_list, False),
}
_ENTRY: Spec = {
    "id": (_identifier, True),
    "document": (_identifier, True),
    "kind": (_kind, True),
    "title": (_text, True),
    "section": (_text, True),
    "text": (_text, True),
    "supporting": (_text_list, False),
    "question": (_text, False),
    "topic": (_text, False),
    "schedule": (dict, False),
    "questions": (_text_list, False),
    "keywords": (_text_list, False),
    "effective": (_date, False),
    "expires": (_date, False),
    "notes": (_text, False),
}
_REQUIRED_BY_KIND = {"qa": "question", "if_asked": "topic", "event": "schedule"}
_TOP_LEVEL = ("document", "entries", "synonyms")


class _FileChecker:
    """Checks the mappings of one file against specs, collecting problems."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def error(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(Problem("error", self.path, line, field_name, message))

    def warn(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(Problem("warning", self.path, line, field_name, message))

    def fields(self, mapping: Any, spec: Spec, where: str, line: int) -> dict[str, Any] | None:
        """The checked values of `mapping`, or None when it has errors."""
        if not isinstance(mapping, dict):
            self.error(line, where, f"must be a mapping, not {_type_name(mapping)}")
            return None
        lines = getattr(mapping, "key_lines", {})
        ok = True
        for key in mapping:
            if key not in spec:
                hint = process.extractOne(str(key), list(spec), score_cutoff=75)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.error(lines.get(key, line), f"{where}.{key}", f"unknown field{suggestion}")
                ok = False
        values: dict[str, Any] = {}
        for name, (check, required) in spec.items():
            if name not in mapping:
                if required:
                    self.error(mapping.line or line, f"{where}.{name}", "missing required field")
                    ok = False
                continue
            if mapping[name] is None:
                if required:
                    self.error(lines.get(name, line), f"{where}.{name}", "must not be empty")
                    ok = False
                continue
            try:
                values[name] = _check_mapping_type(check, mapping[name])
            except _Invalid as problem:
                self.error(lines.get(name, line), f"{where}.{name}", str(problem))
                ok = False
        return values if ok else None


def _check_mapping_type(check: Check, value: Any) -> Any:
    if check is dict:
        if not isinstance(value, dict):
            raise _Invalid(f"must be a mapping, not {_type_name(value)}")
        return value
    return check(value)


# ---------------------------------------------------------------- building


@dataclass
class _Collected:
    documents: dict[str, Document] = field(default_factory=dict)
    raw_entries: list[tuple[str, dict, dict[str, Any]]] = field(default_factory=list)
    synonyms: list[tuple[str, ...]] = field(default_factory=list)


def _build_document(checker: _FileChecker, raw: Any) -> Document | None:
    values = checker.fields(raw, _DOCUMENT, "document", getattr(raw, "line", 1))
    if values is None:
        return None
    contact = checker.fields(values["contact"], _CONTACT, "document.contact", raw.line)
    alerts_raw = values.get("alerts")
    alerts = None
    if alerts_raw is not None:
        alert_values = checker.fields(alerts_raw, _ALERTS, "document.alerts", raw.line)
        if alert_values is None:
            return None
        alerts = AlertSettings(
            channel=alert_values.get("channel"),
            time=alert_values.get("time", dt.time(7, 0)),
            timezone=alert_values.get("timezone", values["timezone"]),
        )
    if contact is None:
        return None
    return Document(
        id=values["id"],
        title=values["title"],
        office=values["office"],
        date=values["date"],
        timezone=values["timezone"],
        contact=Contact(**contact),
        source_file=values.get("source_file"),
        effective=values.get("effective"),
        expires=values.get("expires"),
        alerts=alerts,
        path=checker.path,
    )


def _check_synonyms(checker: _FileChecker, raw: Any, line: int) -> list[tuple[str, ...]]:
    if not isinstance(raw, list):
        checker.error(line, "synonyms", f"must be a list of groups, not {_type_name(raw)}")
        return []
    groups = []
    for number, group in enumerate(raw):
        try:
            terms = _text_list(group)
        except _Invalid as problem:
            checker.error(line, f"synonyms[{number}]", str(problem))
            continue
        if len(terms) < 2:
            checker.error(line, f"synonyms[{number}]", "a group needs at least two terms")
            continue
        groups.append(terms)
    return groups


def _read_file(path: Path, root: Path, collected: _Collected, problems: list[Problem]) -> None:
    relative = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    checker = _FileChecker(relative, problems)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as broken:
        mark = broken.problem_mark or broken.context_mark
        line = mark.line + 1 if mark else 0
        checker.error(line, "", f"not valid YAML: {broken.problem or broken.context}")
        return
    except (yaml.YAMLError, UnicodeDecodeError) as broken:
        checker.error(0, "", f"not valid YAML: {broken}")
        return
    if data is None:
        return
    if not isinstance(data, dict):
        checker.error(1, "", f"the file must be a mapping with {', '.join(_TOP_LEVEL)}")
        return
    for key in data:
        if key not in _TOP_LEVEL:
            checker.error(data.key_lines.get(key, 1), str(key), "unknown top-level field")
    if "document" in data:
        document = _build_document(checker, data["document"])
        if document is not None:
            if document.id in collected.documents:
                other = collected.documents[document.id].path
                checker.error(data.key_lines["document"], "document.id",
                              f"duplicate document id {document.id!r} (also in {other})")
            else:
                collected.documents[document.id] = document
    if "entries" in data:
        raw_entries = data["entries"]
        if not isinstance(raw_entries, list):
            checker.error(data.key_lines["entries"], "entries", "must be a list of entries")
        else:
            for number, raw in enumerate(raw_entries):
                entry_id = raw.get("id") if isinstance(raw, dict) else None
                where = f"entry {entry_id}" if isinstance(entry_id, str) else f"entries[{number}]"
                values = checker.fields(raw, _ENTRY, where, data.key_lines["entries"])
                if values is not None:
                    collected.raw_entries.append((relative, raw, values))
    if "synonyms" in data:
        groups = _check_synonyms(checker, data["synonyms"], data.key_lines["synonyms"])
        collected.synonyms.extend(groups)


def _build_entry(checker: _FileChecker, raw: dict, values: dict[str, Any],
                 document: Document) -> Entry | None:
    where = f"entry {values['id']}"
    needed = _REQUIRED_BY_KIND.get(values["kind"])
    if needed and needed not in values:
        checker.error(raw.line, f"{where}.{needed}", f"required for kind {values['kind']}")
        return None
    schedule = None
    if "schedule" in values:
        checked = checker.fields(values["schedule"], _SCHEDULE, f"{where}.schedule",
                                 raw.key_lines["schedule"])
        if checked is None:
            return None
        schedule = Schedule(**checked)
        if schedule.end and schedule.end < schedule.date:
            checker.error(raw.key_lines["schedule"], f"{where}.schedule.end",
                          "ends before it starts")
            return None
        _warn_date_conflicts(checker, raw.key_lines["schedule"], where, schedule, document)
    values = {k: v for k, v in values.items() if k not in ("schedule", "notes", "document")}
    return Entry(**values, document=document, schedule=schedule, path=checker.path,
                 line=raw.line)


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


def _warn_date_conflicts(checker: _FileChecker, line: int, where: str, schedule: Schedule,
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


def _content_version(files: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def knowledge_files(directory: Path) -> list[Path]:
    """The YAML files, hidden paths skipped.

    A Kubernetes ConfigMap volume holds each file twice: in a hidden dated
    folder and as a link beside it. Reading only visible paths loads each once
    and gives every replica the same content version.
    """
    return sorted(
        path for path in directory.rglob("*")
        if path.suffix in (".yaml", ".yml") and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    )


def check_knowledge(directory: str | Path, today: dt.date | None = None
                    ) -> tuple[Snapshot | None, list[Problem]]:
    """Validate a knowledge directory; the snapshot is None when there is any error."""
    root = Path(directory)
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem("error", str(root), 0, "", "no such knowledge directory")]
    files = knowledge_files(root)
    if not files:
        return None, [Problem("error", str(root), 0, "", "no .yaml files in this directory")]
    collected = _Collected()
    for path in files:
        _read_file(path, root, collected, problems)
    entries = _build_entries(collected, problems)
    if today is not None:
        _warn_expired(entries, collected.documents.values(), today, problems)
    if any(p.severity == "error" for p in problems):
        return None, problems
    snapshot = Snapshot(
        directory=str(root),
        version=_content_version(files, root),
        documents=MappingProxyType(dict(collected.documents)),
        entries=tuple(entries),
        by_id=MappingProxyType({e.id: e for e in entries}),
        synonyms=tuple(collected.synonyms),
        warnings=tuple(p for p in problems if p.severity == "warning"),
    )
    return snapshot, problems


def _build_entries(collected: _Collected, problems: list[Problem]) -> list[Entry]:
    entries: list[Entry] = []
    first_seen: dict[str, str] = {}
    for path, raw, values in collected.raw_entries:
        checker = _FileChecker(path, problems)
        entry_id = values["id"]
        if entry_id in first_seen:
            checker.error(raw.key_lines["id"], f"entry {entry_id}.id",
                          f"duplicate id {entry_id!r} (first in {first_seen[entry_id]})")
            continue
        first_seen[entry_id] = f"{path}:{raw.line}"
        document = collected.documents.get(values["document"])
        if document is None:
            checker.error(raw.key_lines["document"], f"entry {entry_id}.document",
                          f"unknown document {values['document']!r}")
            continue
        entry = _build_entry(checker, raw, values, document)
        if entry is not None:
            entries.append(entry)
    return entries


def _warn_expired(entries: list[Entry], documents: Iterable[Document], today: dt.date,
                  problems: list[Problem]) -> None:
    for document in documents:
        if document.expires and document.expires < today:
            problems.append(Problem("warning", document.path, 0, "document.expires",
                                    f"{document.id} expired on {document.expires}; "
                                    "its entries are listed but never served"))
    for entry in entries:
        if entry.expires and entry.expires < today:
            problems.append(Problem("warning", entry.path, entry.line,
                                    f"entry {entry.id}.expires",
                                    f"expired on {entry.expires}; listed but never served"))


def load_snapshot(directory: str | Path, today: dt.date | None = None) -> Snapshot:
    """The validated snapshot, or KnowledgeError listing every problem."""
    snapshot, problems = check_knowledge(directory, today)
    if snapshot is None:
        raise KnowledgeError(problems)
    return snapshot
