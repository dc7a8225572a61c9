"""What approved content is: plans (documents), their entries, schedules and problems.

Everything here is frozen: a Snapshot is one consistent version of all
approved content, built whole by `loading` and swapped in one assignment by
whoever serves it, so a reader never sees half of a reload.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from bot.content.records import record
from bot.content.zones import local_date

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
#: What a spokesperson is meant to say, in the order a reply offers them; every
#: other kind is an internal plan note (who does what, background, contacts),
#: shown to press officers but not a line to read out.
LINES_TO_SAY: tuple[str, ...] = ("sound_bite", "talking_point", "if_asked", "qa")
#: The label every surface shows on an internal plan note.
INTERNAL_LABEL = "Internal: not for quoting"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")

@record
class Contact:
    name: str
    phone: str
    email: str | None = None


@record
class AlertSettings:
    channel: str | None
    time: dt.time
    timezone: str


@record
class Schedule:
    as_written: str
    date: dt.date
    end: dt.date | None = None
    time: dt.time | None = None
    note: str | None = None
    owner: str | None = None
    spokespeople: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    #: The plan gives no date: `date`..`end` is only the window we expect it in, and
    #: `as_written` (optional then) holds any words the plan has, naming no day.
    undated: bool = False

    @property
    def last_day(self) -> dt.date:
        return self.end or self.date

    def covers(self, day: dt.date) -> bool:
        return self.date <= day <= self.last_day


@record
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
    review_by: dt.date | None = None  # past it: still served, labelled as due for review
    owner: str | None = None  # a Slack user id: who is reminded to re-approve the plan
    events: Schedule | None = None  # the events window the plan is about, and its places


@record
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
    review_by: dt.date | None = None
    source_check: str | None = None  # "none": not checked against the source (opted out)
    approved_by: str | None = None
    approved_on: dt.date | None = None

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    def opening(self, limit: int = 300) -> str:
        """The first sentence of the approved text, verbatim, with an ellipsis if cut
        (or if supporting points follow: it is not the whole line)."""
        text = self.text.strip()
        first = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
        if len(first) > limit:
            first = first[:limit].rsplit(" ", 1)[0]
        return first if first == text and not self.supporting else first + " …"

    @property
    def is_internal(self) -> bool:
        """An internal plan note, not a line to say (see LINES_TO_SAY)."""
        return self.kind not in LINES_TO_SAY

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

    def day_of(self, when: dt.date | dt.datetime) -> dt.date:
        """The plan's day that `when` falls on: an instant (a timezone-aware datetime,
        "now") is dated in the plan's time zone, so an embargo lifts and a line is
        withdrawn at the plan's midnight, not UTC's; a date (a day a person names,
        `ask --date`) is that day in every plan."""
        if isinstance(when, dt.datetime):  # first: a datetime is a date too
            return local_date(when, self.document.timezone)
        return when

    def servable_on(self, when: dt.date | dt.datetime) -> bool:
        """Expired or not-yet-effective content is listed but never served as an answer.

        `when` is a plan's day or an instant (see `day_of`)."""
        start, expiry = self.start(), self.expiry()
        if start is None and expiry is None:
            return True  # most content: no zone needs looking up
        day = self.day_of(when)
        return (start is None or start <= day) and (expiry is None or day <= expiry)


PROBLEM_FIELD_CHARS = 120
PROBLEM_MESSAGE_CHARS = 300


@record
class Problem:
    severity: str  # "error" or "warning"
    path: str
    line: int
    field: str
    message: str

    def __post_init__(self) -> None:
        # Whatever built it, a problem stays one readable line (see fields.excerpt).
        for name, limit in (("field", PROBLEM_FIELD_CHARS), ("message", PROBLEM_MESSAGE_CHARS)):
            value = getattr(self, name)
            if len(value) > limit:
                object.__setattr__(self, name, value[:limit - 1] + "…")

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        subject = f" {self.field}:" if self.field else ""
        return f"{self.severity}: {where}:{subject} {self.message}"


@record
class Snapshot:
    """One consistent, immutable version of all approved content."""

    directory: str
    version: str
    documents: Mapping[str, Document]
    entries: tuple[Entry, ...]
    by_id: Mapping[str, Entry]
    synonyms: tuple[tuple[str, ...], ...]
    warnings: tuple[Problem, ...] = ()

    def served(self, when: dt.date | dt.datetime) -> list[Entry]:
        """The entries servable on a day, or at an instant (each on its plan's day)."""
        return [e for e in self.entries if e.servable_on(when)]

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
