"""Loading pauses the cyclic garbage collector, and always gives it back as it was.

The pause is what keeps load time linear at department scale (the speed
itself lives in benchmarks/bench_matcher.py); these tests guard that it
happens, and that no load, failed or concurrent, leaves the collector off
for the rest of the process.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.content import BUNDLED_KNOWLEDGE, KnowledgeError, collector, load_snapshot, loading

PLAN = "ice-secure-communities-2009-04"


#: The functions that do the loading work: a collection started with one of them
#: running is one the pause should have prevented. (The first allocation after the
#: pause ends may well start one: that is the collector back at work, as it should.)
LOADING_WORK = {"_check_knowledge", "_build"}


@contextmanager
def collections_seen(only_while: set[str] | None = None) -> Iterator[list[int]]:
    """The generation of every collection the collector runs meanwhile
    (with `only_while`, only those started while one of those functions runs)."""
    seen: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start" and (only_while is None or _running(only_while)):
            seen.append(info["generation"])
    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def _running(names: set[str]) -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name in names:
            return True
        frame = frame.f_back
    return False


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_no_collection_runs_while_content_loads(collector_on):
    with collections_seen(only_while=LOADING_WORK) as seen:
        snapshot = load_snapshot(BUNDLED_KNOWLEDGE)
    assert len(snapshot.entries) == 28
    assert seen == []
    assert gc.isenabled()
    with collections_seen() as seen:
        garbage = [[] for _ in range(5000)]  # the collector runs again as usual afterwards
    assert garbage and seen


def test_no_collection_runs_while_the_index_is_built(collector_on):
    from bot.matching import Index

    snapshot = load_snapshot(BUNDLED_KNOWLEDGE)
    with collections_seen(only_while=LOADING_WORK) as seen:
        index = Index(snapshot)
    assert index.search("racial profiling", snapshot.entries[0].document.date).results
    assert seen == []
    assert gc.isenabled()


def test_a_failed_load_gives_the_collector_back(collector_on, knowledge_copy, monkeypatch):
    qa = knowledge_copy / PLAN / "qa.yaml"
    qa.write_text(qa.read_text().replace("kind: qa", "kind: [qa", 1))
    with pytest.raises(KnowledgeError):
        load_snapshot(knowledge_copy)
    with pytest.raises(KnowledgeError):
        load_snapshot(knowledge_copy / "no-such-folder")
    assert gc.isenabled()

    def crash(*_: object) -> None:  # anything unforeseen, half way through a load
        raise MemoryError("out of memory while building entries")
    monkeypatch.setattr(loading, "_build_entries", crash)
    with pytest.raises(MemoryError):
        load_snapshot(BUNDLED_KNOWLEDGE)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        load_snapshot(BUNDLED_KNOWLEDGE)
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_loads_overlapping_in_threads_leave_the_collector_on(collector_on):
    """A reload runs in a thread while others may load: the last one out switches it on."""
    started = threading.Barrier(4)
    failures: list[BaseException] = []

    def load() -> None:
        try:
            started.wait(timeout=10)
            for _ in range(3):
                load_snapshot(BUNDLED_KNOWLEDGE)
        except BaseException as failed:  # reported below, not lost in the thread
            failures.append(failed)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and not any(thread.is_alive() for thread in threads)
    assert gc.isenabled()


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_large_load_is_kept_out_of_later_collections(collector_on, unfrozen, monkeypatch):
    """What a department-size load makes is frozen, so lookups never walk it again."""
    load_snapshot(BUNDLED_KNOWLEDGE)
    assert gc.get_freeze_count() == 0  # the bundled plan is small: nothing to spare
    monkeypatch.setattr(collector, "FREEZE_MIN_OBJECTS", 100)
    snapshot = load_snapshot(BUNDLED_KNOWLEDGE)
    assert gc.get_freeze_count() >= len(snapshot.entries)
    assert not any(o is snapshot.entries[0] for o in gc.get_objects())
    assert gc.isenabled()
