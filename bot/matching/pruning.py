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
* `theta` comes from scoring exactly a few likely entries: the heads of the
  lists first, then the best of the entries met as the walks go on.

An entry skipped or dropped has true relevance below `theta`, which is at
most the pool's weakest true relevance, so the pool is exactly the one that
scoring everything gives; the survivors are scored exactly, concept by
concept in query order, as the caller scores them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence, Set
from itertools import islice
from typing import NamedTuple

#: How many of each list's first entries are scored exactly to set the first
#: `theta`, in pools; worth it only when the lists are this many times longer.
SEED_POOLS = 8
SEED_WORTH = 4
#: Rounding room: comparisons against `theta` err towards walking one more posting.
SLACK = 1e-9
#: A concept's acceptable terms, each with how fully it satisfies the concept.
Alternatives = Sequence[tuple[str, float]]
#: Per term, entry number -> contribution, in descending order of contribution.
Postings = Mapping[str, Mapping[int, float]]


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
    terms = sorted((_Term(next(iter(postings[t].values()), 0.0) * q, i, t, q)
                    for i, c in enumerate(concepts) for t, q in c), key=lambda t: -t.bound)
    search = _Search(concepts, postings, excluded, pool)
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
            floor = self._walk(term, need)
            self.taken[concept] = min(self.taken[concept], floor)
            if need > 0.0:
                opened.append((term, floor))
                below[concept] = max(below[concept], need)
            later = max((t.bound for t in terms[position + 1:] if t.concept == concept),
                        default=0.0)
            levels[concept] = max(below[concept], later)
        return opened

    def _walk(self, term: _Term, need: float) -> float:
        """Add what `term` gives to each entry down to value `need`, into `gathered`;
        the value below which it stopped (a little under `need`)."""
        contributions, quality = self.postings[term.term], term.quality
        floor = need / quality - SLACK
        self._walk_list(term, contributions, floor)
        return floor * quality

    def _walk_list(self, term: _Term, contributions: Mapping[int, float], floor: float) -> None:
        quality = term.quality
        gathered, excluded = self.gathered, self.excluded
        if len(self.concepts[term.concept]) == 1 and floor < 0.0:  # never looked up: no `met`
            get = gathered.get
            for number, contribution in contributions.items():
                if contribution < floor:
                    return
                if number not in excluded:
                    gathered[number] = get(number, 0.0) + contribution * quality
            return
        met = self.met[term.concept]
        known = met.get
        for number, contribution in contributions.items():
            if contribution < floor:
                return
            value = contribution * quality
            old = known(number, 0.0)
            if value > old and number not in excluded:
                met[number] = value
                gathered[number] = gathered.get(number, 0.0) + (value - old)

    def look_up(self, opened: list[tuple[_Term, float]]) -> None:
        """Complete what the terms not walked to the end give the entries met, concept
        by concept (the highest level first), dropping entries that fall out of reach."""
        by_concept: dict[int, list[tuple[_Term, float]]] = {}
        for term, below in opened:
            by_concept.setdefault(term.concept, []).append((term, below))
        order = sorted(by_concept, key=lambda c: -self.levels[c])
        rest = sum(self.levels[c] for c in order)
        for concept in order:
            least = self.theta - rest - SLACK  # what an entry needs already to stay
            rest -= self.levels[concept]
            self._complete(concept, by_concept[concept], least)
            if least > 0.0:  # (the pool's best are kept, so the weakest of those kept is theirs)
                self.theta = max(self.theta, _weakest(self.gathered, self.pool))
        least = self.theta - SLACK
        self.gathered = {n: v for n, v in self.gathered.items() if v >= least}

    def _complete(self, concept: int, terms: list[tuple[_Term, float]], least: float) -> None:
        """What `terms` (of one concept) add to every entry met that has `least` already,
        by lookup; the others are dropped (one pass over the entries met).

        A term gives an entry it did not meet less than `below`, so an entry the
        concept already gave that much needs no lookup.
        """
        kept: dict[int, float] = {}
        met = self.met[concept]
        looks = [(self.postings[t.term].get, t.quality, below) for t, below in terms]
        if not met and len(looks) == 1:  # the usual case: one term, met by no walk
            look, quality, _ = looks[0]
            for number, value in self.gathered.items():
                if value >= least:
                    contribution = look(number)
                    kept[number] = value if contribution is None else value + contribution * quality
            self.gathered = kept
            return
        if least <= 0.0:  # nothing to drop: look up only what the walks left unknown
            self._complete_unknown(concept, looks)
            return
        known = met.get
        for number, value in self.gathered.items():
            if value < least:
                continue
            had = best = known(number, 0.0)
            for look, quality, below in looks:
                if had < below:
                    contribution = look(number)
                    if contribution is not None and contribution * quality > best:
                        best = contribution * quality
            kept[number] = value + (best - had)
        self.gathered = kept

    def _complete_unknown(self, concept: int,
                          looks: list[tuple[Callable[[int], float | None], float, float]]
                          ) -> None:
        """What the looked-up terms add to the entries met that a walk of the concept did
        not already give at least their `below` (in place: the other entries stay as they are)."""
        gathered, met = self.gathered, self.met[concept]
        unknown = gathered.keys() - met.keys()
        highest = max(below for _, _, below in looks)
        if self.taken[concept] < highest:
            unknown.update(number for number, value in met.items() if value < highest)
        known = met.get
        for number in unknown:
            had = best = known(number, 0.0)
            for look, quality, below in looks:
                if had < below:
                    contribution = look(number)
                    if contribution is not None and contribution * quality > best:
                        best = contribution * quality
            if best > had:
                gathered[number] += best - had

    def relevance(self, number: int) -> float:
        """Entry `number`'s exact relevance, summed in concept order as the caller sums it."""
        postings = self.postings
        return sum(best_alternative(number, alternatives, postings)[0]
                   for alternatives in self.concepts)

    def best(self) -> list[int]:
        """The pool, by exact relevance (the running sums may differ in the last bit)."""
        scored = [(-self.relevance(n), n) for n in self.gathered]
        return [number for _, number in heapq.nsmallest(self.pool, scored)]


def _seed(terms: list[_Term], search: _Search) -> float:
    """A first `theta`: the pool's weakest if it were the heads of the lists, scored exactly.

    Entries at the head of some list are likely to rank; their exact relevance
    (a few thousand lookups) gives a bound high enough that even the first
    walks stop early, instead of starting from nothing. Short lists are
    simply walked.
    """
    heads: dict[int, None] = {}
    walked = 0
    excluded, pool = search.excluded, search.pool
    for term in terms:
        contributions = search.postings[term.term]
        walked += len(contributions)
        taken = [n for n in islice(contributions, pool * SEED_POOLS + len(excluded))
                 if n not in excluded]
        heads.update(dict.fromkeys(taken[:pool * SEED_POOLS]))
    if len(heads) < pool or walked < SEED_WORTH * len(heads):
        return 0.0
    return heapq.nlargest(pool, map(search.relevance, heads))[-1]


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


def _weakest(gathered: Mapping[int, float], pool: int) -> float:
    """A lower bound on the pool's weakest final relevance (0 until the pool is full)."""
    if len(gathered) < pool:
        return 0.0
    return heapq.nlargest(pool, gathered.values())[-1]
