"""What kind of fact a question asks for, and which entries state such facts.

"How many criminals has it caught" shares few words with the talking point
that answers it ("identified more than 18,000 aliens"); what they share is
that one asks for a number and the other states one. A question's wh-phrase
says what it wants (a quantity, a time, a place); an entry that states no
such fact cannot fully answer it, however many of its words it shares. Both
sides become one more term ("~quantity"), so the index treats the asked-for
kind of fact like any other concept of the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

QUANTITY = "~quantity"
TIME = "~time"
PLACE = "~place"

_ASKS = {
    QUANTITY: re.compile(
        r"\b(how many|how much of|number of|numbers on|what percent(age)?|what share|"
        r"what proportion|how often|statistics|figures?)\b"),
    TIME: re.compile(r"\b(when|what date|which date|what day|which day|what time|"
                     r"how long|since when|what year|which year)\b"),
    PLACE: re.compile(r"\b(where|which cit(y|ies)|what cit(y|ies)|which towns?|what towns?|"
                      r"which states?|what states?|locations?)\b"),
}

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|"
           "november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# A number starts at a digit with no word character before it (`\b` before a digit).
# _PHONE and _NUMBERS say so as a digit, then `(?<!\w\d)` (the character before that
# digit is not a word character): the same matches as `\b\d`, but starting with a digit
# lets the regex engine skip to the next digit instead of trying the whole pattern at
# every character (three times faster over an entry's text, on every entry of every
# load). tests/test_intent.py holds them to the `\b` forms.
_PHONE = re.compile(r"\d(?<!\w\d)\d{2}[-. ]\d{3}[-. ]\d{4}\b")
_DIGIT = re.compile(r"\d")


def _at_word_start(*alternatives: str) -> re.Pattern[str]:
    r"""`\b(?:alternatives)`, written so that the regex engine skips to where one may start.

    A pattern starting with `\b` is tried at every character of the text; one whose
    every alternative starts with a literal character makes the engine skip to those
    characters (a third to two fifths faster over an entry's text). Each alternative
    starts with a letter or digit, so `\b` before it is "no word character before
    it": `c(?<!\wc)`, as _PHONE does. Alternatives sharing a first character keep their
    order; no two groups can match at the same place, so every match is as before
    (tests/test_intent.py holds them to the `\b` forms).
    """
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        groups.setdefault(alternative[0], []).append(alternative[1:])
    return re.compile("|".join(f"{first}(?<!\\w{first})(?:{'|'.join(rests)})"
                               for first, rests in groups.items()))


# All patterns below read lower-cased text (cheaper than IGNORECASE on every entry).
_MONTH_LIST, _YEARS = _MONTHS.split("|"), (r"19\d\d\b", r"20\d\d\b")
_STATES = _at_word_start(  # \b(months)\.? \d{1,2}\b|\b(weekdays)\b|\b(19|20)\d\d\b|\b(today...)\b
    *[rf"{month}\.? \d{{1,2}}\b" for month in _MONTH_LIST],
    *[rf"{day}\b" for day in _WEEKDAYS.split("|")], *_YEARS,
    *[rf"{word}\b" for word in ("today", "tomorrow", "yesterday", "this week", "next week",
                                "last week", "to date", "since")])
_NUMBERS = re.compile(r"\d(?<!\w\d)(?:\d{0,2}(?:,\d{3})+\b|\d*(?:\.\d+)?\s?(?:%|percent)|\d+\b)")
_NUMBER_WORDS = re.compile(
    r"\b(hundreds?|thousands?|millions?|billions?|dozens?|majority|percent)\b")
_NUMBER_WORD_STEMS = ("hundred", "thousand", "million", "billion", "dozen", "majority", "percent")
_DATES_AND_YEARS = _at_word_start(  # \b((months)\.? \d{1,2}(-\d{1,2})?|(19|20)\d\d)\b
    *[rf"{month}\.? \d{{1,2}}(?:-\d{{1,2}})?\b" for month in _MONTH_LIST], *_YEARS)
_PLACE_WORDS = _at_word_start(  # \b(cities|city|locations?|counties|county|states?)\b
    r"cities\b", r"city\b", r"locations?\b", r"counties\b", r"county\b", r"states?\b")
# What every match of _STATES (with no digit: a weekday, today...) and of _PLACE_WORDS
# contains. These searches run on every entry of every load, and a regex tries its
# alternatives at each character; a text holding none of these words is not searched
# (most entries name no place; many state no day).
_TIME_HINTS = ("day", "tomorrow", "week", "to date", "since")
_PLACE_HINTS = ("cit", "location", "count", "state")


def asked_for(folded_query: str) -> tuple[str, ...]:
    """The kinds of fact a (folded) question asks for, e.g. (QUANTITY,)."""
    return tuple(kind for kind, pattern in _ASKS.items() if pattern.search(folded_query))


def _states_a_quantity(text: str) -> bool:
    """A number word, or a number that is not a year, a day of the month or a phone number.

    Each test runs only where it can succeed (cheap substring and digit checks
    first): this runs on every entry of every load. Taking dates and phone
    numbers out only removes numbers, so text with none to begin with has none.
    """
    if any(word in text for word in _NUMBER_WORD_STEMS) and _NUMBER_WORDS.search(text):
        return True
    if not _DIGIT.search(text) or not _NUMBERS.search(text):
        return False
    return bool(_NUMBERS.search(_PHONE.sub(" ", _DATES_AND_YEARS.sub(" ", text))))


def stated_in(texts: Iterable[str], places: Iterable[str] = ()) -> tuple[str, ...]:
    """The kinds of fact these texts (an entry's approved words) state."""
    text = "\n".join(texts).lower()
    found = []
    if _states_a_quantity(text):
        found.append(QUANTITY)
    may_state_a_time = _DIGIT.search(text) or any(word in text for word in _TIME_HINTS)
    if may_state_a_time and _STATES.search(text):
        found.append(TIME)
    if any(places) or (any(word in text for word in _PLACE_HINTS)
                       and _PLACE_WORDS.search(text)):
        found.append(PLACE)
    return tuple(found)
