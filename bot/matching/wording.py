"""Is a sentence word for word an approved one, and if not, which words differ?

Only differences nobody hears are forgiven: whitespace, straight versus typographic
quotes and dashes, the case of the first letter and a trailing period. Everything else
is a difference, listed word by word and named by what it risks: a changed number,
date or proper name is what gets a press office corrected in print.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NUMBER = "number"
DATE = "date"
NAME = "name"
WORD = "word"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'})
_DASHES = re.compile(r"\s*(?:[‐‑‒–—―−]|--+)\s*")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Where a dash stands alone between words ("kidnapping — 4,000") it is a token of its
# own, so spacing around it never makes two words differ.
_TOKEN = re.compile(r"[‐‑‒–—―−]|--+|[^\s‐‑‒–—―−]+(?:-[^\s‐‑‒–—―−]+)*")

_MONTHS_TEXT = """january february march april may june july august september october
    november december jan feb mar apr jun jul aug sep sept oct nov dec"""
_MONTHS = frozenset(_MONTHS_TEXT.split())
_DAYS_TEXT = """monday tuesday wednesday thursday friday saturday sunday today tomorrow
    yesterday tonight weekend"""
_DAYS = frozenset(_DAYS_TEXT.split())
_NUMBER_WORDS_TEXT = """zero one two three four five six seven eight nine ten eleven
    twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty
    fifty sixty seventy eighty ninety hundred thousand million billion trillion dozen dozens
    half quarter twice thrice double triple percent percentage first second third fourth
    fifth sixth seventh eighth ninth tenth hundreds thousands millions billions"""
_NUMBER_WORDS = frozenset(_NUMBER_WORDS_TEXT.split())
_YEAR = re.compile(r"^(?:19|20)\d\d(?:s)?$")
_ISO_DATE = re.compile(r"^\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?$")
_BARE = re.compile(r"^[^\w]+|[^\w]+$")


def normal_form(text: str) -> str:
    """`text` with only the forgiven differences taken out, for an equality test."""
    plain = _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).translate(_QUOTES)
    plain = plain.replace("…", "...")
    plain = _DASHES.sub("-", plain)
    plain = _SPACES.sub(" ", plain).strip()
    if plain.endswith("."):
        plain = plain[:-1].rstrip()
    return _lower_first_letter(plain)


def _lower_first_letter(text: str) -> str:
    for position, char in enumerate(text):
        if char.isalpha():
            return text[:position] + char.lower() + text[position + 1:]
    return text


def tokens(text: str) -> list[str]:
    """Words as written, punctuation attached, a free-standing dash as its own token."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def _token_key(token: str, position: int, last: int) -> str:
    """What a token is compared by: the forgiven differences taken out, nothing more."""
    if _DASHES.fullmatch(token):
        return "-"
    key = _INVISIBLE.sub("", token.translate(_QUOTES)).replace("…", "...")
    if position == 0:
        key = _lower_first_letter(key)
    if position == last and key.endswith(".") and len(key) > 1:
        key = key[:-1]
    return key


@dataclass(frozen=True)
class Difference:
    """Words the approved line has and the draft lacks (`removed`), and the reverse."""

    removed: str
    added: str
    kind: str


@dataclass(frozen=True)
class Opcode:
    """One stretch of the draft against the approved line: equal, or a difference."""

    approved: tuple[str, ...]
    draft: tuple[str, ...]
    difference: Difference | None


def compare(approved: str, draft: str, proper_words: frozenset[str] = frozenset()
            ) -> list[Opcode]:
    """The draft aligned word by word with the approved line it is closest to.

    `proper_words` are words the approved content capitalises mid-sentence (names of
    people, places, agencies), so a sentence-initial one still counts as a name.
    """
    old, new = tokens(approved), tokens(draft)
    old_keys = [_token_key(t, i, len(old) - 1) for i, t in enumerate(old)]
    new_keys = [_token_key(t, i, len(new) - 1) for i, t in enumerate(new)]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    result = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        removed, added = tuple(old[a0:a1]), tuple(new[b0:b1])
        difference = None
        if op != "equal":
            kind = classify(removed, added, (a0, b0), proper_words)
            difference = Difference(" ".join(removed), " ".join(added), kind)
        result.append(Opcode(removed, added, difference))
    return result


def differences(approved: str, draft: str, proper_words: frozenset[str] = frozenset()
                ) -> list[Difference]:
    return [op.difference for op in compare(approved, draft, proper_words) if op.difference]


def classify(removed: Sequence[str], added: Sequence[str], starts: tuple[int, int],
             proper_words: frozenset[str] = frozenset()) -> str:
    """The most telling kind in a stretch of differing words: date, number, name, word."""
    sides = [(removed, starts[0]), (added, starts[1])]
    bare = [(_bare(t), s + i) for words, s in sides for i, t in enumerate(words)]
    if any(_is_date(word) for word, _ in bare):
        return DATE
    if any(_is_number(word) for word, _ in bare):
        return NUMBER
    if any(_is_name(word, position, proper_words) for word, position in bare):
        return NAME
    return WORD


def _bare(token: str) -> str:
    """A token without the punctuation around it ("(CRCL)," -> "CRCL")."""
    word = _BARE.sub("", token.translate(_QUOTES))
    return word[:-2] if word.endswith("'s") else word


def _is_date(word: str) -> bool:
    lower = word.lower().rstrip(".")
    return lower in _MONTHS or lower in _DAYS or bool(_YEAR.match(word)) or bool(
        _ISO_DATE.match(word))


def _is_number(word: str) -> bool:
    return any(ch.isdigit() for ch in word) or word.lower() in _NUMBER_WORDS or "%" in word


def _is_name(word: str, position: int, proper_words: frozenset[str]) -> bool:
    if not word or not word[0].isupper():
        return False
    if position > 0:
        return True
    return sum(ch.isupper() for ch in word) > 1 or word in proper_words


def proper_words_of(sentences: Iterable[str]) -> frozenset[str]:
    """Words written with a capital where no sentence starts: names, places, agencies."""
    found: set[str] = set()
    for sentence in sentences:
        for token in tokens(sentence)[1:]:
            if not (token[:1].isupper() or token[1:2].isupper()):
                continue  # cheap: most words are lower case, and need no stripping
            word = _bare(token)
            if word[:1].isupper():
                found.add(word)
    return frozenset(found)
