"""What an entry states is found as the patterns alone find it, with the searches skipped
where none of their words occur (bot/matching/intent.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.content import load_snapshot
from bot.matching import intent
from bot.matching.intent import PLACE, QUANTITY, TIME, stated_in

PLAN_DERIVED = Path("/tmp/facts-bench-content/plan-derived-1000-v2")


def patterns_alone(texts: list[str], places: tuple[str, ...] = ()) -> tuple[str, ...]:
    """`stated_in` without its shortcuts: every pattern searched on every text."""
    text = "\n".join(texts).lower()
    found = []
    if intent._states_a_quantity(text):
        found.append(QUANTITY)
    if intent._STATES.search(text):
        found.append(TIME)
    if any(places) or intent._PLACE_WORDS.search(text):
        found.append(PLACE)
    return tuple(found)


# Each way a text can state a time or a place, and near misses that must not count.
PIECES = [
    "since", "to date", "tomorrow", "yesterday", "today", "this week", "next week",
    "last week", "Monday", "on sunday", "April 26", "sept. 3", "in 1999", "2009", "20",
    "city", "Cities", "county", "counties", "location", "locations", "state", "States",
    "statement", "countless", "accountable", "ethnicity", "daylight", "weekend",
    "sinceré", "SINCE", "٢٠٠٩", "to-date", "ca\u0301dix", "",
]


def test_each_way_of_stating_a_time_or_place_is_found_as_before():
    for first, second in itertools.product(PIECES, repeat=2):
        texts = [f"ICE works {first} with partners", f"{second}."]
        assert stated_in(texts) == patterns_alone(texts), texts


def test_every_entry_states_what_the_patterns_alone_find(snapshot):
    snapshots = [snapshot] + ([load_snapshot(PLAN_DERIVED)] if PLAN_DERIVED.is_dir() else [])
    for loaded in snapshots:
        for entry in loaded.entries:
            texts = [entry.text, *entry.supporting]
            places = entry.schedule.cities if entry.schedule else ()
            assert stated_in(texts, places) == patterns_alone(texts, places), entry.id
