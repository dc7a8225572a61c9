"""Text analysis takes shortcuts for speed; it must still find exactly the words the
plain definitions find, on any text a plan or a person may write.

The plain definitions: fold (lower case, accents dropped, "1,000" -> "1000",
possessives and apostrophes dropped, any other character that is no letter, digit
or accent a word break, "‐" a hyphen, invisible joiners dropped), then words are
runs of [a-z0-9] and compounds are hyphen- or slash-joined runs of them. Random text full of the
characters where shortcuts go wrong (underscores, typographic apostrophes,
digit groups, dashes, slashes, accents, line breaks) is compared with them.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter

import pytest

from bot.matching.analysis import Analyzer, folded_words, stem, words
from bot.matching.batches import analyse_all
from bot.matching.intent import stated_in

_JOINERS = "‘’\u00ad\u200b\u200c\u200d\u2060\ufeff"


def _plain_break(char: str) -> str:
    if char.isascii() or char in _JOINERS or unicodedata.category(char)[0] in "LN":
        return char
    if unicodedata.category(char) == "Mn" and "\u0300" <= char <= "\u036f":
        return char  # an accent, dropped with the rest of what is not ASCII
    return "-" if char in "\u2010\u2011" else " "


def _plain_fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = re.sub(r"['’]", "", re.sub(r"['’]s\b", "", plain))
    plain = "".join(map(_plain_break, plain))
    plain = plain.encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", plain)
    return re.sub(r"'", "", re.sub(r"'s\b", "", plain))


def _plain_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _plain_fold(text))


def _plain_compounds(text: str) -> list[str]:
    found = re.findall(r"[a-z0-9]+(?:[-/][a-z0-9]+)+", _plain_fold(text))
    return [f.replace("-", "").replace("/", "") for f in found]


PIECES = ["ICE", "op-ed", "a/b", "1,000", "12,34", "O'Brien's", "it’s", "Cádiz", "_x", "x_y",
          "-", "/", " ", "\n", "\t", ",", "'", "’", "—", "2009", "April 26", "non-citizen",
          "–", "‑", "•", "«", "🙂", "\u00ad", "\u200b", "·", "“", "‘", "…", "\u00a0",
          "http://www.ice.gov/secure_communities/index.htm", "â", "ß", "ﬁ", "Ⅻ", "..", "s"]


@pytest.mark.parametrize("seed", range(30))
def test_words_and_compounds_are_what_the_plain_definitions_find(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25)))
        assert words(text) == _plain_words(text), text
        assert folded_words(text) == (_plain_words(text), _plain_compounds(text)), text


def test_what_an_entry_states_is_found_with_or_without_shortcuts() -> None:
    assert stated_in(["We removed 4,000 aliens."]) == ("~quantity",)
    assert stated_in(["Since April 26, 2009."]) == ("~time",)
    assert stated_in(["Call 202-555-0100 in 2009."]) == ("~time",)
    assert stated_in(["Thousands were identified in 12 counties."]) == ("~quantity", "~place")
    assert stated_in(["Nothing to count here."]) == ()


# Synonym phrases of one word and of several, whose words also stand alone.
SYNONYMS = [("removal", "deport"), ("law enforcement", "police", "police department"),
            ("secure communities", "s-comm"), ("u.s.", "united states"), ("op-ed", "oped"),
            ("united", "joined")]
PHRASE_PIECES = ["law", "enforcement", "police", "department", "secure", "communities",
                 "U.S.", "united", "states", "removal", "deported", "zztextbreak",
                 "zztextbreak1", "ZZTEXTBREAK"]


def _one_by_one(analyzer: Analyzer, text: str) -> tuple[Counter, set[str], set[str]]:
    """A text's terms, words and compounds, analysed alone (the plain way)."""
    folded, joined = folded_words(text)
    return Counter(analyzer.terms_of_words(folded) + [stem(j) for j in joined]), \
        set(folded), set(joined)


@pytest.mark.parametrize("seed", range(30))
def test_analysing_many_texts_at_once_finds_what_analysing_each_finds(seed: int) -> None:
    """The index analyses all fields of all entries in one pass (batches.analyse_all):
    each text must get exactly its own terms, whatever its neighbours hold, including
    the word the pass joins texts with, phrases at a text's end, and empty texts."""
    rng = random.Random(seed)
    analyzer = Analyzer(SYNONYMS)
    texts = ["".join(rng.choice(PIECES + PHRASE_PIECES * 2 + [" "] * 8)
                     for _ in range(rng.choice([0, 1, 5, 30]))) for _ in range(rng.randint(1, 40))]
    analysed = analyse_all(analyzer, texts)
    assert len(analysed.terms) == len(texts)
    words_seen: dict[str, None] = {}
    compounds: set[str] = set()
    for text, terms in zip(texts, analysed.terms, strict=True):
        expected, _, joined = _one_by_one(analyzer, text)
        assert Counter(terms) == expected, text
        words_seen.update(dict.fromkeys(folded_words(text)[0]))
        compounds |= joined
    assert list(analysed.words) == list(words_seen)
    assert analysed.compounds == compounds
