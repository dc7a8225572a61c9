"""The few entries most relevant to a query, without scoring every entry that shares a word.

Relevance is a sum over the query's concepts, each concept worth the best of
its alternative terms (a word, its synonyms, a typo's readings). Summing every
posting of every term costs time in proportion to how common the words are:
in a department's worth of plans "ICE" or "program" is in half of all
entries. Only the best `pool` entries are ever ranked, so this keeps a lower
bound on the pool's weakest true relevance (`theta`) and skips what cannot
reach it (max-score pruning, term at a time):

* each term can add at most its `bound` (its list's first posting times its
  quality); a concept's `level` is the most it can still add to an entry not
  met so far, the bound of its best term not yet walked;
* terms are walked in order of bound, rare telling words first; each posting
  list is best first, so a walk can stop part way, and the walks stop as soon
  as the levels sum below `theta`: an entry not met by then cannot reach the
  pool. A concept's weak alternatives (a typo's unlikely reading, a broad
  synonym group) often need no walk at all;
* the entries met get what the terms not walked add by lookup, concept by
  concept, dropping those that can no longer reach `theta`;
* `theta` comes from scoring exactly the entries at the heads of the lists
  (likely to rank), and rises as the lookups complete the entries met.

An entry skipped or dropped has true relevance below `theta`, which is at
most the pool's weakest true relevance, so the pool is exactly the one that
scoring everything gives; the survivors are scored exactly, concept by
concept in query order, as the caller scores them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence, Set
from itertools import islice, repeat
from operator import add, mul, neg
from typing import NamedTuple

#: How many of each list's first entries are scored exactly to set the first
#: `theta`, in pools; worth it only when the lists are this many times longer.
SEED_POOLS = 8
SEED_WORTH = 4
#: Each head is looked up in every term, so with more terms than this (a pasted
#: paragraph) each list gives proportionally fewer heads.
SEED_TERMS = 8
#: The heads' lookups (each head in every term) are at most this share of the
#: postings in the query's lists: the seed must cost less than the walks it shortens.
SEED_SHARE = 0.5
#: Lists holding this many pools' worth of postings or fewer are simply scored whole:
#: pruning them saves less than its own bookkeeping costs (a plan or two of content).
SCORE_ALL = 4
#: Rounding room: comparisons against `theta` err towards walking one more posting.
SLACK = 1e-9
#: A concept's acceptable terms, each with how fully it satisfies the concept.
Alternatives = Sequence[tuple[str, float]]
#: Per term, entry number -> contribution, in descending order of contribution.
Postings = Mapping[str, Mapping[int, float]]
#: A term to look up: its postings' get, its quality, and the value its walk stopped below.
_Look = tuple[Callable[[int], float | None], float, float]


class _Term(NamedTuple):
    """One alternative of one concept, with the most it can add to any entry."""

    bound: float
    concept: int
    term: str
    quality: float


def best_by_relevance(concepts: Sequence[Alternatives], postings: Postings,
                      excluded: Set[int], pool: int) -> list[int]:
    """The `pool` entries (not `excluded`) with the highest relevance, best first.

    Ties go to the lower entry number, so equal entries always come in
    content order.
    """
    concepts = [c for c in concepts if c]
    search = _Search(concepts, postings, excluded, pool)
    lists = [postings[t] for c in concepts for t, _ in c]
    if sum(map(len, lists)) <= pool * SCORE_ALL:
        search.gathered = dict.fromkeys(set().union(*lists).difference(excluded))
        return search.best()
    terms = sorted((_Term(next(iter(postings[t].values()), 0.0) * q, i, t, q)
                    for i, c in enumerate(concepts) for t, q in c), key=lambda t: -t.bound)
    search.theta = _seed(terms, search)
    opened = search.walk(terms)
    search.look_up(opened)
    return search.best()


class _Search:
    """One lookup's state: the entries met, what each concept gave them, and `theta`."""

    def __init__(self, concepts: list[Alternatives], postings: Postings, excluded: Set[int],
                 pool: int) -> None:
        self.concepts, self.postings, self.excluded, self.pool = concepts, postings, excluded, pool
        self.theta = 0.0
        #: Entry -> the sum of what each concept gave it so far: a lower bound on relevance.
        self.gathered: dict[int, float] = {}
        #: Per concept, entry -> the best its terms gave so far (for a concept of one term,
        #: only ever its one walk or lookup, so not kept).
        self.met: list[dict[int, float]] = [{} for _ in concepts]
        #: Per concept, the most it can still add to an entry not met.
        self.levels = [0.0] * len(concepts)
        #: Per concept, the least value its walks could take (each entry met has at least it).
        self.taken = [float("inf")] * len(concepts)
        #: Per concept walked, where in `gathered` (in order of arrival) the entries that
        #: arrived during each of its walks begin and end: each of those is in its `met`.
        self.spans: dict[int, list[tuple[int, int]]] = {}

    def walk(self, terms: list[_Term]) -> list[tuple[_Term, float]]:
        """Walk terms best first until no entry not met can reach `theta`. Returns the
        terms not walked to the end, each with the value below which its walk stopped
        (its `bound` if not walked): what they give the entries met is still unknown."""
        levels = self.levels
        for term in terms:
            levels[term.concept] = max(levels[term.concept], term.bound)
        below = [0.0] * len(levels)  # per concept, the most its part-walked terms hold back
        opened: list[tuple[_Term, float]] = []
        for position, term in enumerate(terms):
            if sum(levels) + SLACK < self.theta:  # an entry not met has at most the sum
                return opened + [(t, t.bound) for t in terms[position:]]
            concept = term.concept
            # An entry met first here reaches theta only if this term gives it `need`.
            need = max(0.0, self.theta - (sum(levels) - levels[concept]))
            start = len(self.gathered)
            floor = self._walk(term, need)
            self.taken[concept] = min(self.taken[concept], floor)
            self.spans.setdefault(concept, []).append((start, len(self.gathered)))
            if need > 0.0:
                opened.append((term, floor))
                below[concept] = max(below[concept], need)
            later = max((t.bound for t in terms[position + 1:] if t.concept == concept),
                        default=0.0)
            levels[concept] = max(below[concept], later)
        return opened

    def _walk(self, term: _Term, need: float) -> float:
        """Add what `term` gives each entry, down to value `need`, to `gathered` (and to
        the concept's `met`); the value below which it stopped (a hair under `need`)."""
        contributions, quality = self.postings[term.term], term.quality
        floor = need / quality - SLACK  # sorted: from the first posting below, all are
        gathered, excluded = self.gathered, self.excluded
        if len(self.concepts[term.concept]) == 1 and need == 0.0:  # never looked up: no `met`
            get = gathered.get
            for number, contribution in contributions.items():
                if contribution < floor:
                    break
                if number not in excluded:
                    gathered[number] = get(number, 0.0) + contribution * quality
            return floor * quality
        met = self.met[term.concept]
        if not gathered:  # the first walk: into `met` alone, then copied
            for number, contribution in contributions.items():
                if contribution < floor:
                    break
                if number not in excluded:
                    met[number] = contribution * quality
            gathered.update(met)
            return floor * quality
        known = met.get
        for number, contribution in contributions.items():
            if contribution < floor:
                break
            value = contribution * quality
            had = known(number, 0.0)
            if value > had and number not in excluded:
                met[number] = value
                gathered[number] = gathered.get(number, 0.0) + (value - had)
        return floor * quality

    def look_up(self, opened: list[tuple[_Term, float]]) -> None:
        """Complete what the terms not walked to the end give the entries met, concept
        by concept (the highest level first), dropping entries that fall out of reach."""
        by_concept: dict[int, list[tuple[_Term, float]]] = {}
        for term, below in opened:
            by_concept.setdefault(term.concept, []).append((term, below))
        unknown = {c: self._unknown(c, terms) for c, terms in by_concept.items()}
        order = sorted(by_concept, key=lambda c: -self.levels[c])
        rest = sum(self.levels[c] for c in order)
        for concept in order:
            least = self.theta - rest - SLACK  # what an entry needs already to stay
            rest -= self.levels[concept]
            looks = [(self.postings[t.term].get, t.quality, below)
                     for t, below in by_concept[concept]]
            if unknown[concept] is not None:
                self._complete_few(self.met[concept], looks, unknown[concept])
                continue
            self._complete(self.met[concept], looks, least)
            if least > 0.0:  # (the pool's best are kept, so the weakest of those kept is theirs)
                self.theta = max(self.theta, _weakest(self.gathered, self.pool))
        least = self.theta - SLACK
        self.gathered = {n: v for n, v in self.gathered.items() if v >= least}

    def _unknown(self, concept: int, terms: list[tuple[_Term, float]]) -> list[int] | None:
        """The entries met whose value for `concept` its walks left unknown, when they are
        few enough to find without a pass over all (None if not): those that arrived
        before or after its walks and those a walk gave less than a term holds back."""
        if concept not in self.spans:
            return None
        gathered, met = self.gathered, self.met[concept]
        outside, position = [], 0
        for start, end in [*self.spans[concept], (len(gathered), len(gathered))]:
            outside.append((position, start))
            position = end
        if sum(end - start for start, end in outside) > len(gathered) // 4:
            return None
        unknown = [n for start, end in outside for n in islice(gathered, start, end)
                   if n not in met]
        highest = max(below for _, below in terms)
        if self.taken[concept] < highest:
            unknown += [n for n, value in met.items() if value < highest]
        return unknown

    def _complete_few(self, met: dict[int, float], looks: list[_Look], numbers: list[int]
                      ) -> None:
        """What the looked-up terms of one concept add to `numbers`, in place."""
        gathered, known = self.gathered, met.get
        for number in numbers:
            if number in gathered:
                had = known(number, 0.0)
                best = _best(number, had, looks)
                if best > had:
                    gathered[number] += best - had

    def _complete(self, met: dict[int, float], looks: list[_Look], least: float) -> None:
        """What the looked-up terms of one concept add to every entry met that has
        `least` already; the others are dropped (one pass over the entries met)."""
        kept: dict[int, float] = {}
        gathered = self.gathered
        if len(looks) == 1 and len(met) * 8 <= len(gathered):  # the usual case: one term,
            look, quality, _ = looks[0]                          # met by no walk (or few)
            for number, value in gathered.items():
                if value >= least:
                    contribution = look(number)
                    kept[number] = value if contribution is None else value + contribution * quality
            for number, had in met.items():  # those few: what the walk gave counts too
                if number in kept:
                    kept[number] = gathered[number] + (_best(number, had, looks) - had)
            self.gathered = kept
            return
        known = met.get
        for number, value in gathered.items():
            if value >= least:
                had = known(number, 0.0)
                kept[number] = value + (_best(number, had, looks) - had)
        self.gathered = kept

    def relevances(self, numbers: list[int]) -> list[float]:
        """Each entry's exact relevance: per concept its best alternative (as
        `best_alternative` finds it), summed in concept order as the caller sums them, so
        the pool is cut where the caller's ranking would cut it. A concept at a time for all
        the entries at once, in C (each lookup is a cache miss; the loop adds no more)."""
        totals = [0.0] * len(numbers)
        zero = repeat(0.0)
        for alternatives in self.concepts:
            best = None
            for term, quality in alternatives:
                values = map(self.postings[term].get, numbers, zero)
                if quality != 1.0:
                    values = map(mul, values, repeat(quality))
                best = values if best is None else map(max, best, values)
            totals = list(map(add, totals, best))
        return totals

    def best(self) -> list[int]:
        """The pool, by exact relevance (the running sums may differ in the last bit)."""
        numbers = list(self.gathered)
        scored = zip(map(neg, self.relevances(numbers)), numbers, strict=True)
        return [number for _, number in heapq.nsmallest(self.pool, scored)]


def _seed(terms: list[_Term], search: _Search) -> float:
    """A first `theta`: the pool's weakest if it were the heads of the lists, scored exactly.

    Entries at the head of some list are likely to rank; their exact relevance
    (a few thousand lookups) gives a bound high enough that even the first
    walks stop early, instead of starting from nothing. Short lists are
    simply walked. A long query over shorter lists (a pasted paragraph at
    10,000 entries) takes fewer heads: each is looked up in every term, so
    the heads' cost grows with the square of the terms, and beyond a share of
    the lists' postings it outweighs what a higher `theta` saves.
    """
    if not terms:
        return 0.0
    heads: dict[int, None] = {}
    excluded, pool, postings = search.excluded, search.pool, search.postings
    walked = sum(len(postings[term.term]) for term in terms)
    each = min(pool * SEED_POOLS * SEED_TERMS // max(SEED_TERMS, len(terms)),
               int(walked * SEED_SHARE) // len(terms) ** 2)
    for term in terms:
        contributions = postings[term.term]
        taken = [n for n in islice(contributions, each + len(excluded)) if n not in excluded]
        heads.update(dict.fromkeys(taken[:each]))
    if len(heads) < pool or walked < SEED_WORTH * len(heads):
        return 0.0
    return heapq.nlargest(pool, search.relevances(list(heads)))[-1]


def best_alternative(number: int, alternatives: Alternatives, postings: Postings
                     ) -> tuple[float, str | None, float]:
    """What one concept adds to entry `number`: the best (value, term, quality) of its
    alternatives, or (0, None, 0) if the entry has none of them."""
    best: tuple[float, str | None, float] = (0.0, None, 0.0)
    for term, quality in alternatives:
        contribution = postings[term].get(number)
        if contribution is not None and contribution * quality > best[0]:
            best = (contribution * quality, term, quality)
    return best


def _best(number: int, had: float, looks: list[_Look]) -> float:
    """The most a concept gives an entry: what its walks gave it (`had`), or a term's
    value by lookup; a term is looked up only if it can give more than `had`."""
    best = had
    for look, quality, below in looks:
        if had < below:
            contribution = look(number)
            if contribution is not None and contribution * quality > best:
                best = contribution * quality
    return best


def _weakest(gathered: Mapping[int, float], pool: int) -> float:
    """A lower bound on the pool's weakest final relevance (0 until the pool is full)."""
    if len(gathered) < pool:
        return 0.0
    return heapq.nlargest(pool, gathered.values())[-1]
