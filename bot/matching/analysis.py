"""How text becomes comparable terms: folding, words, stems, stop words, synonyms.

Both sides of a match go through the same analysis, so that case, accents,
punctuation and word forms (deport / deported / deportation) stop mattering.
Synonym groups become one shared term ("~g3") on both sides, so a query for
"DUI" meets content that says "driving under the influence".
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import chain, compress, count, islice

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
_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower-case, strip accents (Cádiz -> cadiz), drop possessives and apostrophes.

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

    The index analyses many texts at once (Analyzer.analyse_all); this is
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


@record
class Analysed:
    """Many texts analysed at once (Analyzer.analyse_all)."""

    terms: list[list[str]]  # per text: content stems, synonym terms, compounds' stems
    # Every folded word of these texts (and, with a WordTable kept across calls, of the
    # texts before), in order of first appearance, with its own terms.
    words: dict[str, tuple[str, ...]]
    compounds: set[str]  # hyphenated words joined ("op-ed" -> "oped")


_REMEMBERED_RUNS = 100_000  # runs of words whose phrase search a WordTable remembers

# Where a phrase of several words starts: the groups its first word stands for alone
# (taken out of the text's terms) and the phrase's groups (put in).
_Change = tuple[tuple[str, ...], tuple[str, ...]]


class WordTable(dict[str, tuple[str, ...]]):
    """Each folded word met so far, in order of first appearance, with its own terms
    (its stem if it is a content word, and the synonym groups it alone stands for).

    Why a table that fills itself (`__missing__`): a load looks up every word
    of every field, a million and a half at 10,000 entries, and only a few
    thousand are distinct. `map(table.__getitem__, words)` runs in C and calls
    back into Python only for a word not met before; kept across the calls of
    one load (Analyzer.analyse_all's `table`), a word is analysed once per load,
    not once per batch. The word that joins texts (`mark`) maps to no terms and
    is never kept.
    """

    __slots__ = ("stems", "firsts", "follows", "pairs", "mark", "phrases", "_analyzer")

    def __init__(self, analyzer: Analyzer) -> None:
        super().__init__()
        self._analyzer = analyzer
        self.stems: dict[str, str] = {}  # word -> stem, for the words in the table
        # Words whose stem starts a phrase of several words, with the longest such phrase's length.
        self.firsts: dict[str, int] = {}
        self.follows: set[str] = set()  # words whose stem may come second in one
        # Two words that may start a phrase of several words, the second after the first.
        self.pairs: set[tuple[str, str]] = set()
        self.mark = ""
        # What a phrase search found where a first word starts this run of words (the
        # phrase's groups, or None), remembered: plans repeat their phrases.
        self.phrases: dict[tuple[str, ...], _Change | None] = {}

    def __missing__(self, word: str) -> tuple[str, ...]:
        if word == self.mark:
            return ()
        analyzer = self._analyzer
        term = self.stems[word] = stem(word)
        terms = ((term,) if is_content(word) else ()) + analyzer._single.get(term, ())
        self[word] = terms
        if term in analyzer._seconds:
            self.firsts[word] = analyzer._spans[term]
            seconds = analyzer._seconds[term]
            self.pairs.update((word, other) for other in self.follows
                              if self.stems[other] in seconds)
        if term in analyzer._any_second:
            self.follows.add(word)
            self.pairs.update((first, word) for first in self.firsts
                              if term in analyzer._seconds[self.stems[first]])
        return terms

    def joined_by(self, mark: str) -> None:
        """This batch's texts are joined by `mark`; what was found next to another goes."""
        if mark != self.mark:
            self.mark = mark
            self.phrases.clear()  # a window holding the old mark may mean other words now


def _joined_words(texts: Sequence[str]) -> tuple[str, str, list[str]]:
    """A joining word found in none of `texts`, the texts joined by it and folded, and
    their words (the joining word between each two texts)."""
    if not texts:
        return "", "", []
    # The few texts with non-ASCII letters are folded first (folding is idempotent), so the
    # whole is ASCII and folds on the fast path: no NFKD over all of it.
    plain = [text if text.isascii() else fold(text) for text in texts]
    for attempt in count():
        mark = f"zztextbreak{attempt or ''}"
        folded = fold(f" {mark} ".join(plain))
        every = _split(folded)
        if every.count(mark) == len(texts) - 1:
            return mark, folded, every
    raise AssertionError("unreachable")


def _ends(every: list[str], mark: str, texts: int) -> list[int]:
    """Where each text's words end in `every` (the joining words' positions, then the end)."""
    ends, position = [], -1
    for _ in range(texts - 1):
        position = every.index(mark, position + 1)
        ends.append(position)
    ends.append(len(every))
    return ends


def _add_compounds(terms: list[list[str]], folded: str, joint: str) -> set[str]:
    """Each hyphenated word joined, its stem added to the text it is in (`_compounds_in`).

    Only the tokens around a "-" or "/" are searched (found by `str.find`,
    fast): the pattern tried at every word start of all the text took longer
    than the rest of the analysis.
    """
    marks = sorted(_positions(folded, "-") + _positions(folded, "/"))
    if not marks:
        return set()
    starts = _positions(folded, joint)
    found: set[str] = set()
    end = -1
    for position in marks:
        if position < end:
            continue  # in the token just searched
        start = folded.rfind(" ", 0, position) + 1
        end = folded.find(" ", position)
        end = len(folded) if end < 0 else end
        text = terms[bisect_right(starts, start)]
        for joined in _compounds_in(folded, start, end):
            found.add(joined)
            text.append(stem(joined))
    return found


def _positions(text: str, part: str) -> list[int]:
    """Where `part` starts in `text`, each time."""
    found, position = [], text.find(part)
    while position >= 0:
        found.append(position)
        position = text.find(part, position + 1)
    return found


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

    def analyse_all(self, texts: Sequence[str], table: WordTable | None = None) -> Analysed:
        """Each text's terms (as `terms`, plus its compounds' stems), in one pass over all.

        Why one pass: a load analyses every field of every entry, tens of
        thousands of short texts, and analysing them one by one spent more
        time in Python's per-call overhead than on the words. Here the texts
        are joined by a word found in none of them, folded and split once,
        and each distinct word is analysed once (`table`, which a load keeps
        across its batches): its terms are a dictionary lookup, done for every
        word in C (`map`); Python only cuts the result into texts and looks at
        the few places where a phrase of several words may start. Folding
        never reaches across a space, so each text's words are the ones
        `words` gives it alone.
        """
        table = WordTable(self) if table is None else table
        mark, folded, every = _joined_words(texts)
        table.joined_by(mark)
        ends = _ends(every, mark, len(texts))
        terms_of = list(map(table.__getitem__, every))
        terms = [list(chain.from_iterable(terms_of[start:end]))
                 for start, end in zip([0, *(end + 1 for end in ends)], ends, strict=False)]
        self._add_phrases(terms, every, table, ends)
        compounds = _add_compounds(terms, folded, f" {mark} ")
        return Analysed(terms, table, compounds)

    def _add_phrases(self, terms: list[list[str]], every: list[str], table: WordTable,
                     ends: list[int]) -> None:
        """Where a phrase of several words is found, its groups instead of its first word's.

        Only where two words may start such a phrase (`table.pairs`, found for
        every two neighbouring words in C) is a phrase looked for, and what a
        run of words holds is looked for once (`table.phrases`).
        """
        if not table.pairs:
            return
        neighbours = zip(every, islice(every, 1, None), strict=False)  # the last has none
        found_at, spans = table.phrases, table.firsts
        if len(found_at) > _REMEMBERED_RUNS:  # bounded memory on a department's content
            found_at.clear()
        for position in compress(count(), map(table.pairs.__contains__, neighbours)):
            window = tuple(every[position:position + spans[every[position]]])
            if window in found_at:
                change = found_at[window]
            else:
                change = found_at[window] = self._phrase_in(window, table)
            if change is not None:
                found = terms[bisect_left(ends, position)]
                for group in change[0]:
                    found.remove(group)
                found += change[1]

    def _phrase_in(self, window: tuple[str, ...], table: WordTable) -> _Change | None:
        """If `window` starts with a phrase of several words: the groups its first word
        stands for alone (to take out) and the phrase's groups (to put in)."""
        stems_of = [table.stems.get(word) if word != table.mark else None for word in window]
        first = stems_of[0]
        if first is None or stems_of[1] not in self._seconds[first]:
            return None
        length, groups = self._phrase_at(stems_of, 0)  # type: ignore[arg-type]
        return (self._single.get(first, ()), tuple(groups)) if length > 1 else None

    def concepts(self, query: str, known: Callable[[str], bool] | None = None
                 ) -> list[Concept]:
        """What a query asks about: a synonym phrase counts as one concept.

        With `known` (is this word in the content?), two query words that the
        content writes as one ("finger prints", "op ed") are read as that word.
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
        out.append(word)
        position += 1
    return out
