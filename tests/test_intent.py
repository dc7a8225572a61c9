"""What an entry states is found as the patterns alone find it, with the searches skipped
where none of their words occur (bot/matching/intent.py)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from bot.content import load_snapshot
from bot.matching import intent
from bot.matching.intent import PLACE, QUANTITY, TIME, stated_in

PLAN_DERIVED = Path("/tmp/facts-bench-content/plan-derived-1000-v2")


# The patterns as first written (intent.py starts them with a digit or a letter, for speed).
PLAIN_PHONE = re.compile(r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b")
PLAIN_NUMBERS = re.compile(r"(\b\d{1,3}(,\d{3})+\b|\b\d+(\.\d+)?\s?(%|percent)|\b\d{2,}\b)")
PLAIN_STATES = re.compile(
    rf"(\b({intent._MONTHS})\.? \d{{1,2}}\b|\b({intent._WEEKDAYS})\b|\b(19|20)\d\d\b|"
    r"\b(today|tomorrow|yesterday|this week|next week|last week|to date|since)\b)")
PLAIN_DATES_AND_YEARS = re.compile(
    rf"\b(({intent._MONTHS})\.? \d{{1,2}}(-\d{{1,2}})?|(19|20)\d\d)\b")
PLAIN_PLACE_WORDS = re.compile(r"\b(cities|city|locations?|counties|county|states?)\b")


def plain_quantity(text: str) -> bool:
    """A number word, or a number once dates and phone numbers are taken out."""
    if intent._NUMBER_WORDS.search(text):
        return True
    return bool(PLAIN_NUMBERS.search(PLAIN_PHONE.sub(" ", PLAIN_DATES_AND_YEARS.sub(" ", text))))


def patterns_alone(texts: list[str], places: tuple[str, ...] = ()) -> tuple[str, ...]:
    """`stated_in` without its shortcuts: every pattern searched on every text."""
    text = "\n".join(texts).lower()
    found = []
    if plain_quantity(text):
        found.append(QUANTITY)
    if PLAIN_STATES.search(text):
        found.append(TIME)
    if any(places) or PLAIN_PLACE_WORDS.search(text):
        found.append(PLACE)
    return tuple(found)


# Each way a text can state a time or a place, and near misses that must not count.
PIECES = [
    "since", "to date", "tomorrow", "yesterday", "today", "this week", "next week",
    "last week", "Monday", "on sunday", "April 26", "sept. 3", "in 1999", "2009", "20",
    "city", "Cities", "county", "counties", "location", "locations", "state", "States",
    "statement", "countless", "accountable", "ethnicity", "daylight", "weekend",
    "sinceré", "SINCE", "٢٠٠٩", "to-date", "ca\u0301dix", "",
    # numbers, and digits inside words, which are not numbers
    "1,000", "x1,000", "12%", "3.5 percent", "7 %", "202-732-4217", "a202-732-4217", "_12",
    "x12", "12x", "1,00", "٣٤", "0.5", "42",
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


def test_the_patterns_match_where_and_what_their_plain_forms_match(snapshot):
    """Every match, span for span, on the pieces side by side and on every entry's text."""
    near_misses = [
        "may 5-12", "jan. 3", "jan 123", "19999", "x2009", "2009x", "citywide", "statesman",
        "mayday", "sundays", "todays", "since1", "locationx"]
    pieces = [" ".join(pair) for pair in itertools.product(PIECES + near_misses, repeat=2)]
    texts = pieces + [entry.text.lower() for entry in snapshot.entries]
    if PLAN_DERIVED.is_dir():
        texts += [entry.text.lower() for entry in load_snapshot(PLAN_DERIVED).entries]
    for ours, plain in ((intent._STATES, PLAIN_STATES),
                        (intent._DATES_AND_YEARS, PLAIN_DATES_AND_YEARS),
                        (intent._PLACE_WORDS, PLAIN_PLACE_WORDS)):
        for text in texts:
            assert ([m.span() for m in ours.finditer(text)]
                    == [m.span() for m in plain.finditer(text)]), (plain.pattern, text)
