"""The few entries most relevant to a query, without scoring every entry that shares a word.

Relevance is a sum over the query's concepts, each concept worth the best of
its alternative terms (a word, its synonyms, a typo's readings). Summing every
posting of every concept costs time in proportion to how common the words
are: in a department's worth of plans "ICE" or "program" is in half of all
entries, and a lookup walked them all. Only the best `pool` entries are ever
ranked, so this keeps a running lower bound on the pool's weakest member
(`theta`) and skips what cannot reach it (max-score pruning, term at a time):

* concepts go in order of the most they can add (`bound`), so the rare,
  telling words come first and build the pool;
* each posting list is in descending order of contribution, so a walk stops
  at the first posting that, with everything the later concepts could still
  add, stays below `theta`: no entry met from there on can enter the pool;
* entries already gathered that the walk did not reach get their contribution
  by lookup, and those that can no longer reach `theta` are dropped.

An entry skipped this way can have been underrated only if its true
relevance is below `theta`, which is at most the pool's weakest true
relevance, so the pool is exactly the one that scoring everything gives.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence, Set

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


def best_by_relevance(concepts: Sequence[Alternatives], postings: Postings,
                      excluded: Set[int], pool: int) -> list[int]:
    """The `pool` entries (not `excluded`) with the highest relevance, best first.

    Ties go to the lower entry number, so equal entries always come in
    content order.
    """
    bounded = sorted(((_bound(c, postings), c) for c in concepts if c), key=lambda b: -b[0])
    bounds = [bound for bound, _ in bounded]
    ordered = [concept for _, concept in bounded]
    seeded = _seed(ordered, postings, excluded, pool)
    gathered: dict[int, float] = {}
    for position, alternatives in enumerate(ordered):
        rest = sum(bounds[position + 1:])  # the most the later concepts can add
        theta = max(seeded, _weakest(gathered, pool))
        if theta > 0:
            reach = bounds[position] + rest + SLACK
            gathered = {n: v for n, v in gathered.items() if v + reach >= theta}
        _add_concept(gathered, alternatives, postings, rest, theta, excluded, pool)
    best = heapq.nsmallest(pool, gathered.items(), key=lambda item: (-item[1], item[0]))
    return [number for number, _ in best]


def _bound(alternatives: Alternatives, postings: Postings) -> float:
    """The most this concept can add to any entry: its best term's first posting."""
    return max((next(iter(postings[t].values()), 0.0) * q for t, q in alternatives),
               default=0.0)


def _seed(concepts: Sequence[Alternatives], postings: Postings, excluded: Set[int],
          pool: int) -> float:
    """A first `theta`: the pool's weakest if it were the heads of the lists, scored exactly.

    Entries at the head of some list are likely to rank; their exact relevance
    (a few thousand lookups) gives a bound high enough that even the first
    list's walk stops early, instead of starting from nothing. Short lists
    are simply walked.
    """
    heads: set[int] = set()
    walked = 0
    for alternatives in concepts:
        for term, _ in alternatives:
            walked += len(postings[term])
            taken = 0
            for number in postings[term]:
                if number not in excluded:
                    heads.add(number)
                    taken += 1
                    if taken == pool * SEED_POOLS:
                        break
    if len(heads) < pool or walked < SEED_WORTH * len(heads):
        return 0.0
    return heapq.nlargest(pool, (_relevance(n, concepts, postings) for n in heads))[-1]


def _relevance(number: int, concepts: Sequence[Alternatives], postings: Postings) -> float:
    return sum(best_alternative(number, alternatives, postings)[0] for alternatives in concepts)


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


def _add_concept(gathered: dict[int, float], alternatives: Alternatives, postings: Postings,
                 rest: float, theta: float, excluded: Set[int], pool: int) -> None:
    """Add one concept's contribution (its best alternative per entry) to `gathered`."""
    first = not gathered  # the first concept: the pool fills from these postings alone
    best: dict[int, float] = {}
    for term, quality in alternatives:
        contributions = postings[term]
        floor = (theta - rest) / quality - SLACK  # below it, no entry can reach the pool
        items = iter(contributions.items())
        walked = 0
        if first:  # until the pool is full, each entry taken raises the bound
            walked, filled = _fill_pool(items, quality, floor, best, excluded, pool)
            theta = max(theta, filled)
            floor = (theta - rest) / quality - SLACK
        walked += _walk(items, quality, floor, best, merge=len(best) > walked)
        if walked < len(contributions):
            _look_up(gathered, contributions, quality, best)
    if first:
        gathered.update(best)
        for number in excluded & best.keys():
            del gathered[number]
        return
    for number, value in best.items():
        if number in gathered:
            gathered[number] += value
        elif number not in excluded:
            gathered[number] = value


def _fill_pool(items: Iterator[tuple[int, float]], quality: float, floor: float,
               best: dict[int, float], excluded: Set[int], pool: int) -> tuple[int, float]:
    """The first concept's walk until `pool` servable entries are taken: how many
    postings that took, and the bound they give (0 if the list ran out first)."""
    walked = taken = 0
    for number, contribution in items:
        if contribution < floor:
            return walked, 0.0  # (a posting is lost from `items`: the walk ends anyway)
        walked += 1
        value = contribution * quality
        if value > best.get(number, 0.0):
            best[number] = value
        if number not in excluded:
            taken += 1
            if taken == pool:  # `pool` entries have at least `value` already
                return walked, value
    return walked, 0.0


def _walk(items: Iterator[tuple[int, float]], quality: float, floor: float,
          best: dict[int, float], merge: bool) -> int:
    """The rest of a list down to `floor`, into `best`; how many postings were taken.

    `merge`: `best` already holds another term's values, so keep the larger.
    """
    walked = 0
    if merge:
        known = best.get
        for number, contribution in items:
            if contribution < floor:
                return walked
            walked += 1
            if contribution * quality > known(number, 0.0):
                best[number] = contribution * quality
        return walked
    for number, contribution in items:
        if contribution < floor:
            return walked  # sorted: nothing from here on can enter the pool
        walked += 1
        best[number] = contribution * quality
    return walked


def _look_up(gathered: Mapping[int, float], contributions: Mapping[int, float], quality: float,
             best: dict[int, float]) -> None:
    """What a term adds to the entries already gathered that its walk stopped before."""
    for number in gathered:
        contribution = contributions.get(number)
        if contribution is not None and contribution * quality > best.get(number, 0.0):
            best[number] = contribution * quality
