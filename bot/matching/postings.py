"""BM25 posting lists, built term by term from each entry's weighted term counts.

Why term by term: at 10,000 entries there are half a million postings over a
few thousand terms. Storing each entry's contributions into every one of its
terms' lists cost a dictionary store per posting, then each list was copied
again to sort it. Here an entry only appends its number and counts to its
terms' lists (in C, `map`); once every entry is in, each term's
contributions are computed together (they share the term's idf) and sorted
once, straight into the list a lookup reads.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Mapping
from itertools import repeat
from operator import add, itemgetter, mul, truediv

from bot.content.records import record

BM25_K1 = 1.2
BM25_B = 0.3  # light length normalisation: long Q&A answers are not less relevant
_CONTRIBUTION = itemgetter(1)  # of a posting (entry number, contribution)
_NUMBER = itemgetter(0)
_NOTHING = repeat(0.0)  # x + 0.0 is x, as a new float
_extend = list.extend


def idf(document_frequency: int, total: int) -> float:
    return math.log(1 + (total - document_frequency + 0.5) / (document_frequency + 0.5))


@record
class Columns:
    """Every term's postings again, end to end in two flat arrays, in the lists' order.

    Why: a long question (a pasted paragraph) over a large index meets lists
    holding a large share of all postings, and reading them one Python object
    at a time is what its lookup cost (bot/matching/dense.py adds them up in C
    from these). Two machine arrays cost 12 bytes a posting, no objects, and
    numpy reads them in place.
    """

    #: Entry numbers (int32) and contributions (float64, the dicts' very floats).
    numbers: array
    values: array
    #: Term -> its ordinal; its postings lie from bounds[ordinal] to bounds[ordinal + 1].
    ordinals: dict[str, int]
    bounds: array
    #: How many entries the index holds (the numbers run from 0 to one less).
    entries: int

    @classmethod
    def made_from(cls, postings: Mapping[str, Mapping[int, float]], entries: int) -> Columns:
        """`postings` (over `entries` entries) laid end to end, each list in its order.

        The arrays are made at their full size, then filled: grown a list at a
        time, their reallocations left twice their size behind (11 MB at 10,000
        entries, where the arrays hold 6).
        """
        total = sum(map(len, postings.values()))
        numbers, values = array("i", [0]) * total, array("d", [0.0]) * total
        bounds, ordinals, start = array("q", [0]), {}, 0
        for ordinal, (term, found) in enumerate(postings.items()):
            ordinals[term] = ordinal
            end = start + len(found)
            numbers[start:end] = array("i", found)
            values[start:end] = array("d", found.values())
            bounds.append(end)
            start = end
        return cls(numbers, values, ordinals, bounds, entries)

    def span(self, term: str) -> tuple[int, int]:
        """Where `term`'s postings lie in `numbers` and `values`."""
        ordinal = self.ordinals[term]
        return self.bounds[ordinal], self.bounds[ordinal + 1]


class PostingsBuilder:
    """Takes each of `entries` entries' term counts in half-units, in entry order; then builds.

    An entry's counts need not be kept once added: only its number and counts
    go into its terms' lists (memory: a Counter per entry was 40% of a large build's).
    """

    def __init__(self, entries: int) -> None:
        #: The entry numbers every list holds, made together (see `build`).
        self.numbers = list(range(entries))
        # Each term (in order of first use): entry number, count, entry number, count...
        # (one list a term, extended by a pair at a time: one lookup a posting, not two).
        self._found: defaultdict[str, list[int]] = defaultdict(list)
        self._lengths: list[float] = []

    def add(self, halves: Counter[str]) -> None:
        """The next entry's weighted term counts (in half-units)."""
        number = self.numbers[len(self._lengths)]
        self._lengths.append(sum(halves.values()) * 0.5)
        pairs = zip(repeat(number), halves.values())
        deque(map(_extend, map(self._found.__getitem__, halves), pairs), 0)

    def build(self) -> tuple[dict[str, float], dict[str, dict[int, float]]]:
        """Each term's idf, and its postings {entry number: contribution}, best first
        (ties in entry order), so a lookup can stop early (see pruning.py).

        A contribution is idf * tf * (k1 + 1) / (tf + norm), computed in that
        order (the same float every time), with tf = halves * 0.5. Each term's
        lists are let go as its postings are made (memory).

        Laid out for a walk: a walk reads each posting's entry number and
        contribution, objects of their own. Numbers made one by one during the
        build lie all over a department's heap (a cache and TLB miss each);
        made together (`numbers`, a few MB at 100,000 entries) they lie side
        by side. A term's contributions are made again (x + 0.0, the same
        float) once sorted, so they lie in the order a walk reads them. At
        100,000 plan-derived entries the bench queries took half the CPU.
        """
        lengths, found = self._lengths, self._found
        total = len(lengths)
        average = (sum(lengths) / total) if total else 1.0
        norms = [BM25_K1 * (1 - BM25_B + BM25_B * length / average) for length in lengths]
        idfs = {term: idf(len(pairs) // 2, total) for term, pairs in found.items()}
        boost, postings = BM25_K1 + 1, {}
        for term in list(found):
            pairs = found.pop(term)
            numbers, tfs = pairs[0::2], list(map(mul, pairs[1::2], repeat(0.5)))
            weights = map(mul, map(mul, repeat(idfs[term]), tfs), repeat(boost))
            values = map(truediv, weights, map(add, tfs, map(norms.__getitem__, numbers)))
            ranked = sorted(zip(numbers, values, strict=True), key=_CONTRIBUTION, reverse=True)
            postings[term] = dict(zip(map(_NUMBER, ranked),
                                      map(add, map(_CONTRIBUTION, ranked), _NOTHING), strict=True))
        self._lengths = []
        return idfs, postings
