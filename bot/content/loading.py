"""Loading and validating the approved content into an immutable snapshot.

The content is what the press office is allowed to say, so a mistake in it
must be caught before it is served: every problem names the file, the line
and the field. A snapshot is built whole or not at all; whoever serves the
old one keeps serving it until a new one loads cleanly.
"""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.content import yaml_lines
from bot.content.collector import collector_paused
from bot.content.currency import warn_unreviewed
from bot.content.dates import check_schedule_words
from bot.content.fields import (
    ALERTS,
    CONTACT,
    DOCUMENT,
    ENTRY,
    EVENTS,
    REQUIRED_BY_KIND,
    SCHEDULE,
    TOP_LEVEL,
    FileChecker,
    Invalid,
    text_list,
    type_name,
)
from bot.content.files import knowledge_files
from bot.content.model import (
    AlertSettings,
    Contact,
    Document,
    Entry,
    KnowledgeError,
    Problem,
    Schedule,
    Snapshot,
)
from bot.content.source_check import check_sources

try:  # CPython's own SHA-256 (3.11): hashlib would first load OpenSSL, ~4 ms of every ask
    from _sha256 import sha256
except ImportError:  # another Python: the same digest from hashlib
    from hashlib import sha256

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
MAX_FILE_BYTES = 1_000_000  # the bundled plan's largest file is 12 kB


class _Found:
    """An entry whose fields check, as kept until every plan is read.

    Only its lines and checked values: the mapping as read, with its lists,
    goes with its file (kept for all files it was a third of the memory
    after loading, in holes nothing else filled). A class with slots, as
    small as the NamedTuple it was, which cost every start a compiled method.
    """

    __slots__ = ("path", "line", "key_lines", "values")

    def __init__(self, path: str, line: int, key_lines: dict[str, int],
                 values: dict[str, Any]) -> None:
        self.path = path
        self.line = line
        self.key_lines = key_lines
        self.values = values


#: Past this many files, the content is large enough that OpenSSL's SHA-256 repays
#: loading it: CPython's own hashes about 200 MB/s, OpenSSL's 1 GB/s and more (10,000
#: entries are 10 MB of YAML: 0.05 s against 0.01 s). The bundled plan has five files,
#: and `ask`, loading it every run, would pay ~4 ms to load OpenSSL.
MANY_FILES = 50


class _Collected:
    """What every file of a knowledge directory added, until the snapshot is built."""

    def __init__(self, files: int) -> None:
        self.documents: dict[str, Document] = {}
        self.raw_entries: list[_Found] = []
        self.synonyms: list[tuple[str, ...]] = []
        #: The content version: every file's path and bytes as read, so the version is
        #: of exactly what was parsed (and each file is read once). The same digest
        #: whichever implementation computes it.
        if files > MANY_FILES:
            import hashlib
            self.digest: Any = hashlib.sha256()
        else:
            self.digest = sha256()
        self.shared_text: dict[str, str] = {}  # see yaml_lines.load
        #: Files that added nothing (empty, or not read): a document they were to
        #: define is missing, and that, not each entry naming it, is the mistake.
        self.unread: list[str] = []
        self.rejected: list[str] = []  # files whose document had errors: likewise


def _build_document(checker: FileChecker, raw: Any) -> Document | None:
    values = checker.fields(raw, DOCUMENT, "document", getattr(raw, "line", 1))
    if values is None:
        return None
    contact = checker.fields(values["contact"], CONTACT, "document.contact", raw.line)
    alerts_raw = values.get("alerts")
    alerts = None
    if alerts_raw is not None:
        alert_values = checker.fields(alerts_raw, ALERTS, "document.alerts", raw.line)
        if alert_values is None:
            return None
        alerts = AlertSettings(
            channel=alert_values.get("channel"),
            time=alert_values.get("time", dt.time(7, 0)),
            timezone=alert_values.get("timezone", values["timezone"]),
        )
    if contact is None:
        return None
    events = None
    if values.get("events") is not None:
        window = checker.fields(values["events"], EVENTS, "document.events", raw.line)
        if window is None:
            return None
        events = Schedule(as_written=window["as_written"], date=window["date"],
                          end=window.get("end"), cities=tuple(window.get("places", ())))
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
        review_by=values.get("review_by"),
        owner=values.get("owner"),
        events=events,
    )


def _check_synonyms(checker: FileChecker, raw: Any, line: int) -> list[tuple[str, ...]]:
    if not isinstance(raw, list):
        checker.error(line, "synonyms", f"must be a list of groups, not {type_name(raw)}")
        return []
    groups = []
    for number, group in enumerate(raw):
        try:
            terms = text_list(group)
        except Invalid as problem:
            checker.error(line, f"synonyms[{number}]", str(problem))
            continue
        if len(terms) < 2:
            checker.error(line, f"synonyms[{number}]", "a group needs at least two terms")
            continue
        groups.append(terms)
    return groups


def _read_text(path: Path, relative: str, collected: _Collected) -> str:
    """The file's text as `read_text` gives it (newlines as \\n), its bytes hashed."""
    raw = path.read_bytes()
    for part in (relative.encode(), b"\0", raw, b"\0"):
        collected.digest.update(part)
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read_file(path: Path, root: Path, collected: _Collected, problems: list[Problem]) -> None:
    relative = _relative(path, root)
    checker = FileChecker(relative, problems)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a pipe blocks the read, /dev/zero never ends
            collected.unread.append(relative)
            checker.error(0, "", "not a regular file (a pipe, device or folder): content "
                                 "files must be plain YAML files")
            return
        size = status.st_size
        if size > MAX_FILE_BYTES:
            collected.unread.append(relative)
            checker.error(0, "", f"{size:,} bytes is more than a content file may hold "
                                 f"({MAX_FILE_BYTES:,}); split it into several files")
            return
        data = yaml_lines.load(_read_text(path, relative, collected),
                               shared=collected.shared_text)
    except yaml_lines.Refused as refused:
        collected.unread.append(relative)
        checker.error(refused.line, "", refused.message)
        return
    except yaml.MarkedYAMLError as broken:
        collected.unread.append(relative)
        mark = broken.problem_mark or broken.context_mark
        line = mark.line + 1 if mark else 0
        checker.error(line, "", f"not valid YAML: {broken.problem or broken.context}")
        return
    except UnicodeDecodeError as broken:
        collected.unread.append(relative)
        checker.error(_line_at(broken.object, broken.start), "",
                      f"not UTF-8 text: byte 0x{broken.object[broken.start]:02x} at byte "
                      f"{broken.start:,}; save the file as UTF-8")
        return
    except yaml.YAMLError as broken:
        checker.error(0, "", f"not valid YAML: {type(broken).__name__}")
        return
    except OSError as failed:
        collected.unread.append(relative)
        checker.error(0, "", f"cannot be read: {failed.strerror or failed}")
        return
    if data is None:
        collected.unread.append(relative)
        checker.warn(0, "", f"is empty: it adds none of {', '.join(TOP_LEVEL)}")
        return
    if not isinstance(data, dict):
        checker.error(1, "", f"the file must be a mapping with {', '.join(TOP_LEVEL)}")
        return
    for key in data:
        if key not in TOP_LEVEL:
            checker.error(data.key_lines.get(key, 1), str(key), "unknown top-level field")
    if "document" in data:
        document = _build_document(checker, data["document"])
        if document is None:
            collected.rejected.append(relative)
        else:
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
                values = checker.fields(raw, ENTRY, where, data.key_lines["entries"])
                if values is not None:
                    collected.raw_entries.append(_Found(relative, raw.line, raw.key_lines, values))
    if "synonyms" in data:
        groups = _check_synonyms(checker, data["synonyms"], data.key_lines["synonyms"])
        collected.synonyms.extend(groups)


def _build_entry(checker: FileChecker, raw: _Found, values: dict[str, Any],
                 document: Document) -> Entry | None:
    where = f"entry {values['id']}"
    needed = REQUIRED_BY_KIND.get(values["kind"])
    if needed and needed not in values:
        checker.error(raw.line, f"{where}.{needed}", f"required for kind {values['kind']}")
        return None
    schedule = None
    if "schedule" in values:
        checked = checker.fields(values["schedule"], SCHEDULE, f"{where}.schedule",
                                 raw.key_lines["schedule"])
        if checked is None:
            return None
        schedule = Schedule(**{"as_written": "", **checked})
        if schedule.end and schedule.end < schedule.date:
            checker.error(raw.key_lines["schedule"], f"{where}.schedule.end",
                          "ends before it starts")
            return None
        check_schedule_words(checker, raw.key_lines["schedule"], where, schedule)
    values = {k: v for k, v in values.items() if k not in ("schedule", "notes", "document")}
    return Entry(**values, document=document, schedule=schedule, path=checker.path,
                 line=raw.line)


def check_knowledge(directory: str | Path, today: dt.date | None = None
                    ) -> tuple[Snapshot | None, list[Problem]]:
    """Validate a knowledge directory; the snapshot is None when there is any error."""
    with collector_paused():
        return _check_knowledge(Path(directory), today)


def _check_knowledge(root: Path, today: dt.date | None
                     ) -> tuple[Snapshot | None, list[Problem]]:
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem("error", str(root), 0, "", "no such knowledge directory")]
    unreadable: list[Path] = []
    folder_links: list[Path] = []
    files = knowledge_files(root, unreadable, folder_links)
    if unreadable:  # passed over, its plans would be withdrawn without a word
        return None, [Problem("error", _relative(folder, root), 0, "",
                              "folder cannot be read: permission denied") for folder in unreadable]
    for link in folder_links:  # "OK, 0 entries" for a plan linked in, and no answers
        problems.append(Problem("warning", _relative(link, root), 0, "",
                                "a link to a folder is not read: copy the plan folder here "
                                "(or link its files one by one)"))
    if not files:
        return None, [*problems, Problem("error", str(root), 0, "",
                                         "no .yaml files in this directory")]
    collected = _Collected(len(files))
    for path in files:
        _read_file(path, root, collected, problems)
    entries = _build_entries(collected, problems)
    field_lines = {found.values["id"]: found.key_lines for found in collected.raw_entries}
    check_sources(root, collected.documents, entries, field_lines, problems)
    warn_unreviewed(collected.documents.values(), problems)
    if today is not None:
        _warn_expired(entries, collected.documents.values(), today, problems)
    if any(p.severity == "error" for p in problems):
        return None, problems
    snapshot = Snapshot(
        directory=str(root),
        version=collected.digest.hexdigest()[:12],
        documents=MappingProxyType(dict(collected.documents)),
        entries=tuple(entries),
        by_id=MappingProxyType({e.id: e for e in entries}),
        synonyms=tuple(collected.synonyms),
        warnings=tuple(p for p in problems if p.severity == "warning"),
    )
    return snapshot, problems


def _build_entries(collected: _Collected, problems: list[Problem]) -> list[Entry]:
    entries: list[Entry] = []
    first_seen: dict[str, tuple[str, int]] = {}
    missing: dict[tuple[str, str], list[_Found]] = {}  # (file, document id) -> its entries
    for raw in collected.raw_entries:
        path, values = raw.path, raw.values
        checker = FileChecker(path, problems)
        entry_id = values["id"]
        if entry_id in first_seen:
            first_path, first_line = first_seen[entry_id]
            checker.error(raw.key_lines["id"], f"entry {entry_id}.id",
                          f"duplicate id {entry_id!r} (first in {first_path}:{first_line})")
            continue
        first_seen[entry_id] = (path, raw.line)
        document = collected.documents.get(values["document"])
        if document is None:
            missing.setdefault((path, values["document"]), []).append(raw)
            continue
        entry = _build_entry(checker, raw, values, document)
        if entry is not None:
            entries.append(entry)
    for (path, document_id), naming in missing.items():
        _unknown_document(FileChecker(path, problems), document_id, naming, collected)
    return entries


def _unknown_document(checker: FileChecker, document_id: str, naming: list[_Found],
                      collected: _Collected) -> None:
    """One error per file for its entries naming a document no file defines.

    A plan whose document.yaml is broken or empty would otherwise bury that
    one mistake under an error for every entry of the plan.
    """
    first = naming[0]
    others = f" (and {len(naming) - 1} more entries in this file)" if len(naming) > 1 else ""
    hint = "".join([f"; {', '.join(files)} {what} (see above)" for files, what in (
        (collected.unread, "added nothing"), (collected.rejected, "had its document rejected"))
        if files])
    checker.error(first.key_lines["document"], f"entry {first.values['id']}.document",
                  f"unknown document {document_id!r}{others}{hint}")


def _line_at(data: bytes, offset: int) -> int:
    """The line (from 1) that byte `offset` of `data` is on."""
    return data.count(b"\n", 0, offset) + 1


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
