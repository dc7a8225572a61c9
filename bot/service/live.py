"""The knowledge being served, and reloading it without ever serving a broken one.

A reload builds a whole new snapshot and index off the event loop, then
swaps it in with one assignment: requests in flight keep the index they
started with, and a reload that fails leaves the old content serving.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.content import KnowledgeError, Problem, Snapshot, check_knowledge
from bot.content.fields import excerpt
from bot.matching import Index, MatchSettings
from bot.matching.lexicon import is_real_word

log = logging.getLogger("facts_bot")


@dataclass(frozen=True)
class ReloadOutcome:
    ok: bool
    version: str
    previous_version: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def diff(old: Snapshot, new: Snapshot) -> tuple[tuple[str, ...], ...]:
    """Entry ids added, removed, and changed in any field, between two snapshots."""
    added = tuple(sorted(set(new.by_id) - set(old.by_id)))
    removed = tuple(sorted(set(old.by_id) - set(new.by_id)))
    changed = tuple(sorted(i for i in set(old.by_id) & set(new.by_id)
                           if _comparable(old.by_id[i]) != _comparable(new.by_id[i])))
    return added, removed, changed


def _comparable(entry) -> tuple:
    return (entry.kind, entry.title, entry.section, entry.text, entry.supporting, entry.question,
            entry.topic, entry.schedule, entry.questions, entry.keywords, entry.effective,
            entry.expires, entry.document)


class LiveKnowledge:
    """Holds the current Index (and through it the snapshot) for every request."""

    def __init__(self, directory: Path, index: Index,
                 check: Callable[[Path, dt.date], tuple[Snapshot | None, list[Problem]]]
                 = check_knowledge) -> None:
        self.directory = directory
        self.current = index
        self.check = check  # how a reload reads the directory (tests pass a broken one)
        self._reloading = asyncio.Lock()

    @classmethod
    def load(cls, directory: Path, settings: MatchSettings, today: dt.date) -> LiveKnowledge:
        snapshot, problems = check_knowledge(directory, today)
        if snapshot is None:
            raise KnowledgeError(problems)
        # The word list typo correction consults is loaded now, not on the first
        # query with an unknown word (about 0.2 s, which that person would wait).
        is_real_word("warm")
        return cls(directory, Index(snapshot, settings))

    @property
    def snapshot(self) -> Snapshot:
        return self.current.snapshot

    async def reload(self, today: dt.date) -> ReloadOutcome:
        """Re-read, validate and swap; on any error the old content keeps serving."""
        async with self._reloading:
            old = self.current
            try:
                snapshot, problems = await asyncio.to_thread(self.check, self.directory, today)
                index = None if snapshot is None else \
                    await asyncio.to_thread(Index, snapshot, old.settings)
            except Exception as crashed:  # a bug or an unreadable file: say so, keep serving
                log.exception("reload of %s crashed", self.directory)
                problems = [Problem("error", str(self.directory), 0, "",
                                    f"the reload crashed ({type(crashed).__name__}: "
                                    f"{excerpt(str(crashed))}); the log has the details")]
                snapshot = index = None
            if snapshot is None or index is None:
                return ReloadOutcome(False, old.snapshot.version, old.snapshot.version,
                                     problems=tuple(problems))
            added, removed, changed = diff(old.snapshot, snapshot)
            self.current = index
            return ReloadOutcome(True, snapshot.version, old.snapshot.version, added, removed,
                                 changed, tuple(problems))
