"""Many texts analysed at once: how a load analyses every field of every entry.

The definition is Analyzer.terms on one text (plus its compounds' stems,
`folded_words`); tests/test_analysis.py and tests/test_index_build.py hold
this to it. Why a separate way: a load analyses tens of thousands of short
texts, and analysing them one by one spent more time in Python's per-call
overhead than on the words. The texts are joined by a word found in none of
them, folded and split once; each distinct word is analysed once per load
(WordTable); Python only cuts the result into texts and looks at the few
places where a phrase of several words may start. It reads the Analyzer's
synonym tables (`_single`, `_seconds`, `_spans`, `_any_second`, `_phrase_at`)
as the Analyzer's own `terms_of_words` does.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import chain, compress, count, islice

from bot.content.records import record
from bot.matching.analysis import Analyzer, _compounds_in, _split, fold, is_content, stem


@record
class Analysed:
    """Many texts analysed at once (analyse_all)."""

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
    one load (analyse_all's `table`), a word is analysed once per load,
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


def analyse_all(analyzer: Analyzer, texts: Sequence[str],
                table: WordTable | None = None) -> Analysed:
    """Each text's terms (as `terms`, plus its compounds' stems), in one pass over all
    (see the module's docstring). `table` is kept across a load's batches, so a
    word is analysed once per load. Folding never reaches across a space, so each
    text's words are the ones `words` gives it alone.
    """
    table = WordTable(analyzer) if table is None else table
    mark, folded, every = _joined_words(texts)
    table.joined_by(mark)
    ends = _ends(every, mark, len(texts))
    terms_of = list(map(table.__getitem__, every))
    terms = [list(chain.from_iterable(terms_of[start:end]))
             for start, end in zip([0, *(end + 1 for end in ends)], ends, strict=False)]
    _add_phrases(analyzer, terms, every, table, ends)
    compounds = _add_compounds(terms, folded, f" {mark} ")
    return Analysed(terms, table, compounds)


def _add_phrases(analyzer: Analyzer, terms: list[list[str]], every: list[str],
                 table: WordTable, ends: list[int]) -> None:
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
            change = found_at[window] = _phrase_in(analyzer, window, table)
        if change is not None:
            found = terms[bisect_left(ends, position)]
            for group in change[0]:
                found.remove(group)
            found += change[1]


def _phrase_in(analyzer: Analyzer, window: tuple[str, ...], table: WordTable
               ) -> _Change | None:
    """If `window` starts with a phrase of several words: the groups its first word
    stands for alone (to take out) and the phrase's groups (to put in)."""
    stems_of = [table.stems.get(word) if word != table.mark else None for word in window]
    first = stems_of[0]
    if first is None or stems_of[1] not in analyzer._seconds[first]:
        return None
    length, groups = analyzer._phrase_at(stems_of, 0)  # type: ignore[arg-type]
    return (analyzer._single.get(first, ()), tuple(groups)) if length > 1 else None
