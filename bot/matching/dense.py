"""The few entries most relevant to a long question, every posting scored at once in C.

A pasted paragraph names a dozen concepts, several of them common words of
the content ("program", "ICE", "local"): their lists hold a large share of
all postings, and an entry in the pool typically has many of them, so
max-score pruning (pruning.py) must walk most of those lists and look every
entry it meets up in the rest, one Python object at a time (at 100,000
entries over 100 ms). Here every posting of every list is added into one
score per entry with numpy, term at a time, reading the index's Columns in
place: a few milliseconds, and nothing skipped, so nothing to get wrong.

The sums are the floats the rest of the lookup computes: per concept the best
of its alternatives (contribution times quality), added to the entry's total
in concept order, starting from 0.0 (an entry without the concept adds
nothing, as adding 0.0 changes no float). The pool is ranked as
pruning.best_by_relevance ranks it: highest relevance first, ties to the
lower entry number.

numpy is imported with this module, which index.py imports only when it builds
a large index, the only kind a question is scored here for (so `facts-bot ask`
on a plan never pays for it, and no question waits for the import).
"""

from __future__ import annotations

from collections.abc import Sequence, Set

import numpy

from bot.matching.postings import Columns

#: A concept's acceptable terms, each with how fully it satisfies the concept.
Alternatives = Sequence[tuple[str, float]]


def best_by_relevance(concepts: Sequence[Alternatives], columns: Columns,
                      excluded: Set[int], pool: int) -> list[int]:
    """The `pool` entries (not `excluded`) with the highest relevance, best first;
    ties to the lower entry number. Only entries with some relevance are ranked."""
    total = numpy.zeros(columns.entries)
    numbers = numpy.frombuffer(columns.numbers, dtype=numpy.intc)
    values = numpy.frombuffer(columns.values, dtype=numpy.float64)
    for alternatives in concepts:
        if len(alternatives) == 1:  # the usual case: added straight into the total
            (term, quality), = alternatives
            start, end = columns.span(term)
            found = values[start:end] if quality == 1.0 else values[start:end] * quality
            total[numbers[start:end]] += found  # (a term lists an entry once)
        elif alternatives:
            total += _best_of(alternatives, columns, numbers, values)
    if excluded:
        total[numpy.fromiter(excluded, dtype=numpy.intp, count=len(excluded))] = 0.0
    return _top(total, pool)


def _best_of(alternatives: Alternatives, columns: Columns, numbers: numpy.ndarray,
             values: numpy.ndarray) -> numpy.ndarray:
    """Per entry, the best of one concept's alternatives (0.0 where it has none)."""
    best = numpy.zeros(columns.entries)
    for term, quality in alternatives:
        start, end = columns.span(term)
        found = values[start:end] if quality == 1.0 else values[start:end] * quality
        at = numbers[start:end]
        best[at] = numpy.maximum(best[at], found)
    return best


def _top(total: numpy.ndarray, pool: int) -> list[int]:
    """The `pool` highest totals above zero, by (-total, entry number).

    The pool's weakest total is selected among the totals above zero only: most
    entries of a large index have none, and selecting among that many equal
    zeros is several times slower than picking the others out first.
    """
    found = total[total > 0.0]
    if pool <= 0 or not len(found):
        return []
    if pool < len(found):  # every entry at the pool's weakest total or above is a candidate
        least = numpy.partition(found, len(found) - pool)[len(found) - pool]
        candidates = numpy.flatnonzero(total >= least)
    else:
        candidates = numpy.flatnonzero(total)
    order = numpy.lexsort((candidates, -total[candidates]))[:pool]
    return candidates[order].tolist()
