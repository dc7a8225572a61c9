"""How text becomes comparable terms: folding, words, stems, stop words, synonyms.

Both sides of a match go through the same analysis, so that case, accents,
punctuation and word forms (deport / deported / deportation) stop mattering.
Synonym groups become one shared term ("~g3") on both sides, so a query for
"DUI" meets content that says "driving under the influence".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import snowballstemmer

from bot.content.records import record

# Joins the separate strings of one field so that they are analysed in one
# pass; a stop word, so it never becomes a term and no phrase spans it.
FIELD_BREAK = "zzfieldbreak"

# Function words, question words and conversational filler. They carry no
# topic, so a query made only of them asks for nothing in particular.
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren as at be because
    been before being below between both but by can cannot could couldn did didn do does
    doesn doing don down during each else ever few for from further get gets getting got
    had hadn has hasn have haven having he her here hers herself him himself his how
    however i if in into is isn it its itself just let lets like ll may me might more
    much must my myself need no nor not now of off on once only or other ought our
    ours ourselves out over own please re really s same say says said shall she should
    shouldn so some such t tell than that thats the their theirs them themselves then
    there these they this those through to too under until up upon us ve very via was
    wasn we were weren what whats when where which while who whom whose why will with
    won would wouldn yes yet you your yours yourself yourselves anything something thing
    nothing everything nobody none neither
    things know want wants give explain many
"""
# Contractions, folded (apostrophes dropped): "isn't" is "isnt". They ask for
# nothing a plan could answer; kept as words they matched whichever entry's
# alternate questions happened to contain one ("isn't it" -> a sound bite).
_CONTRACTIONS = """
    isnt arent wasnt werent dont doesnt didnt wont wouldnt cant couldnt shouldnt hasnt
    havent hadnt mustnt neednt im ive youre youve youd youll theyre theyve theyd theyll
    weve were whos whats thats theres heres hows whys wheres whens lets itll itd
"""
# Conversational filler a reporter or press officer adds around the question.
_FILLER = """
    actually anyone anybody someone somebody everyone everybody hey hi hello thanks thank
    ok okay hmm um uh well just so sure maybe kind sort lot lots
"""
STOPWORDS = (frozenset(_STOPWORD_TEXT.split()) | frozenset(_CONTRACTIONS.split())
             | frozenset(_FILLER.split()) | {FIELD_BREAK})

SYNONYM_TERM_PREFIX = "~g"

_DIGIT_GROUP = re.compile(r",(?<=\d,)(?=\d{3})")  # starts with ",": scanned for fast
_APOSTROPHE_S = re.compile(r"['’]s\b")
_APOSTROPHE = re.compile(r"['’]")
_ASCII_APOSTROPHE_S = re.compile(r"'s\b")  # a literal start: scanned for fast
# A non-ASCII character that is no letter, digit or accent (a dash, a quote mark, a bullet,
# an emoji) separates the words either side, as ASCII punctuation does. Dropped instead,
# "profiling—what" became one unknown word, and a question typed with a phone's or a
# Mac's dash lost the words it asked about. Kept out: accents (dropped after NFKD), the
# typographic apostrophes (_APOSTROPHE) and the invisible characters that join a word
# (soft hyphen, zero-width joiners), which are dropped. A true hyphen stays a hyphen.
_HYPHENS = re.compile(r"[\u2010\u2011]")
_BREAKS = re.compile(r"[^\x00-\x7f\w\u0300-\u036f\u2018\u2019\u00ad\u200b-\u200d\u2060\ufeff]")
_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower-case, strip accents (Cádiz -> cadiz), drop possessives and apostrophes;
    other punctuation (a typographic dash, a quote mark) separates words (_BREAKS).

    Only [a-z0-9] survive as words, so the folded text is made ASCII in one
    pass (accents decomposed, then dropped), after the typographic apostrophe
    has done its work. Each rewrite runs only if its character is there at all:
    content is most of a large load's text. The rewrites run in the same order
    on every path and never reach across a space, so folding texts joined by
    spaces gives the folded texts joined (the index folds all entries at once).
    """
    plain = text.lower()
    if not plain.isascii():
        plain = unicodedata.normalize("NFKD", plain)
        plain = _APOSTROPHE.sub("", _APOSTROPHE_S.sub("", plain))
        plain = _BREAKS.sub(" ", _HYPHENS.sub("-", plain))
        plain = plain.encode("ascii", "ignore").decode("ascii")
    elif "'" in plain:  # ASCII: only the straight apostrophe, found by a literal search
        plain = _ASCII_APOSTROPHE_S.sub("", plain).replace("'", "")
    if "," in plain:
        plain = _DIGIT_GROUP.sub("", plain)
    return plain


# Folded text is ASCII; every byte of it that is not [a-z0-9] becomes a space, so
# that its words (runs of [a-z0-9]) are one translate and one split: no regex, and
# bytes.translate is a table lookup (str.translate is twice as slow here).
_NOT_WORD = bytes(c if chr(c).isdigit() or "a" <= chr(c) <= "z" else 32 for c in range(256))


def _split(folded: str) -> list[str]:
    return folded.encode("ascii").translate(_NOT_WORD).decode("ascii").split()


def words(text: str) -> list[str]:
    """Folded words, in order; single letters stay so that "Level I" keeps its "i"."""
    return _split(fold(text))


# Tried only where a word starts (not again at each letter of a word that has no hyphen).
_HYPHENATED = re.compile(r"(?<![a-z0-9])[a-z0-9]+(?:[-/][a-z0-9]+)+")


def _compounds_in(folded: str, start: int = 0, end: int | None = None) -> list[str]:
    """Hyphenated words joined ("op-ed" -> "oped"), as people often type them."""
    found = _HYPHENATED.findall(folded, start, len(folded) if end is None else end)
    return [f.replace("-", "").replace("/", "") for f in found]


def folded_words(text: str) -> tuple[list[str], list[str]]:
    """The words of one text, and its compounds, from one folding of it.

    The index analyses many texts at once (batches.analyse_all); this is
    the same analysis of a single text, the definition that one is held to.
    """
    plain = fold(text)
    joined = []
    if "-" in plain or "/" in plain:  # compounds never span a space: look in tokens with one
        for token in plain.split():
            if "-" in token or "/" in token:
                joined += _compounds_in(token)
    return _split(plain), joined


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The English Snowball stem of one folded word."""
    return _stemmer.stemWord(word)


def is_content(word: str) -> bool:
    """Does this word say what the text is about? Single letters never do; digits may."""
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


@record
class Concept:
    """One thing a query asks about, with the terms that would satisfy it.

    `alternatives` pairs each acceptable term with how fully it satisfies the
    concept (1.0 for the word itself, a little less for a synonym). `word` is
    the folded surface word, kept for typo correction.
    """

    word: str
    alternatives: tuple[tuple[str, float], ...]


class Analyzer:
    """Turns text into terms, knowing one knowledge set's synonym groups."""

    def __init__(self, synonym_groups: Iterable[Sequence[str]]) -> None:
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for number, group in enumerate(synonym_groups):
            term = f"{SYNONYM_TERM_PREFIX}{number}"
            for phrase in group:
                stems = tuple(stem(w) for w in words(phrase))
                options = self._phrases.setdefault(stems[0], []) if stems else []
                if stems and (stems, term) not in options:  # remove / removal: one stem
                    options.append((stems, term))
        for options in self._phrases.values():
            options.sort(key=lambda option: -len(option[0]))
        # The groups a stem stands for alone (found without a search), and for a stem
        # that starts longer phrases, the stems that can come second in them.
        self._single: dict[str, tuple[str, ...]] = {
            first: tuple(term for phrase, term in options if len(phrase) == 1)
            for first, options in self._phrases.items()}
        self._seconds: dict[str, frozenset[str]] = {
            first: seconds for first, options in self._phrases.items()
            if (seconds := frozenset(phrase[1] for phrase, _ in options if len(phrase) > 1))}
        self._any_second = frozenset().union(*self._seconds.values())
        self._spans = {first: max(len(phrase) for phrase, _ in self._phrases[first])
                       for first in self._seconds}
        self._longest = max((len(phrase) for options in self._phrases.values()
                             for phrase, _ in options), default=1)

    def _phrase_at(self, stems: Sequence[str], start: int) -> tuple[int, list[str]]:
        """Length of the longest synonym phrase starting at `start`, and its groups."""
        best_length, groups = 0, []
        for phrase, term in self._phrases.get(stems[start], ()):
            if tuple(stems[start : start + len(phrase)]) == phrase:
                if len(phrase) > best_length:
                    best_length, groups = len(phrase), [term]
                elif len(phrase) == best_length:
                    groups.append(term)
        return best_length, groups

    def terms(self, text: str) -> list[str]:
        """Content stems of `text` plus one synonym term per synonym occurrence."""
        return self.terms_of_words(words(text))

    def terms_of_words(self, folded: Sequence[str]) -> list[str]:
        """As `terms`, for text already split by `words`."""
        stems = list(map(stem, folded))
        found = [s for w, s in zip(folded, stems, strict=True)
                 if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]  # is_content, inlined
        if self._phrases.keys().isdisjoint(stems):
            return found
        present = Counter(stems)
        for first in self._phrases.keys() & present.keys():
            if first not in self._seconds:  # one-word phrases: each group once per occurrence
                found += self._single[first] * present[first]
                continue
            start = -1
            for _ in range(present[first]):  # where each occurrence is (list.index: in C)
                start = stems.index(first, start + 1)
                found += self._phrase_at(stems, start)[1]
        return found

    def concepts(self, query: str, known: Callable[[str], bool] | None = None
                 ) -> list[Concept]:
        """What a query asks about: a synonym phrase counts as one concept.

        With `known` (is this word in the content?), two query words that the
        content writes as one ("finger prints", "op ed") are read as that word, and
        one the content writes as two ("colorblind") as those two.
        """
        folded = _joined(words(query), known) if known else words(query)
        stems = [stem(w) for w in folded]
        concepts: list[Concept] = []
        position = 0
        while position < len(stems):
            length, groups = self._phrase_at(stems, position)
            word, own = folded[position], stems[position]
            if length > 1:
                phrase = " ".join(folded[position : position + length])
                concepts.append(Concept(phrase, tuple((g, 1.0) for g in groups)))
                position += length
                continue
            if is_content(word):
                alternatives = ((own, 1.0),) + tuple((g, 0.95) for g in groups)
                concepts.append(Concept(word, alternatives))
            position += 1
        return _dedupe(concepts)


def _dedupe(concepts: list[Concept]) -> list[Concept]:
    """A repeated word asks for the same thing once."""
    seen: set[tuple[tuple[str, float], ...]] = set()
    unique = []
    for concept in concepts:
        if concept.alternatives not in seen:
            seen.add(concept.alternatives)
            unique.append(concept)
    return unique


def _joined(folded: list[str], known: Callable[[str], bool]) -> list[str]:
    """Adjacent words whose concatenation the content knows, as that one word."""
    out: list[str] = []
    position = 0
    while position < len(folded):
        word = folded[position]
        if position + 1 < len(folded):
            both = word + folded[position + 1]
            either_unknown = not known(word) or not known(folded[position + 1])
            if either_unknown and len(both) >= 5 and known(both):
                out.append(both)
                position += 2
                continue
        out += _split_in_two(word, known)
        position += 1
    return out


SPLIT_PART_MIN = 4  # "therapist" is never "the rapist"


def _split_in_two(word: str, known: Callable[[str], bool]) -> list[str]:
    """An unknown word the content writes as two ("colorblind": "color blind"), as those
    two; each a content word of SPLIT_PART_MIN letters or more, else the word as it is."""
    if known(word) or len(word) < 2 * SPLIT_PART_MIN:
        return [word]
    for cut in range(SPLIT_PART_MIN, len(word) - SPLIT_PART_MIN + 1):
        first, second = word[:cut], word[cut:]
        if (first not in STOPWORDS and second not in STOPWORDS
                and known(first) and known(second)):
            return [first, second]
    return [word]
