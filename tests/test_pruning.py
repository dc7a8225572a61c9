"""A lookup that skips postings must find exactly the entries that scoring everything finds.

The matcher ranks only the most relevant few entries, and stops walking a
posting list once nothing further in it can reach them (bot/matching/pruning.py).
If that reasoning were wrong anywhere, an entry that should be offered would
silently be missing, so it is checked against the plain way, scoring every
entry of every list, on many random indexes full of ties, synonyms, typo
readings (quality below 1) and entries not served today.
"""

from __future__ import annotations

import random

import pytest

from bot.matching.pruning import best_by_relevance


def _everything(concepts, postings, excluded, pool):
    """Relevance the plain way: every posting of every term, each concept's best term."""
    relevance: dict[int, float] = {}
    for alternatives in concepts:
        best: dict[int, float] = {}
        for term, quality in alternatives:
            for number, contribution in postings[term].items():
                best[number] = max(best.get(number, 0.0), contribution * quality)
        for number, value in best.items():
            relevance[number] = relevance.get(number, 0.0) + value
    ranked = sorted((n for n in relevance if n not in excluded),
                    key=lambda n: (-relevance[n], n))
    return ranked[:pool]


def _random_index(rng: random.Random, entries: int, terms: int) -> dict[str, dict[int, float]]:
    """Posting lists as the index keeps them: best first, ties in content order.

    Contributions are multiples of 1/8 and qualities powers of two or 3/4, so every
    sum is exact and a tie is a true tie, whatever order it was added in.
    """
    postings = {}
    for number in range(terms):
        share = rng.choice([0.01, 0.05, 0.2, 0.5, 0.9])
        found = {n: rng.randint(1, 24) / 8 for n in range(entries) if rng.random() < share}
        postings[f"t{number}"] = dict(sorted(found.items(), key=lambda kv: kv[1], reverse=True))
    return postings


@pytest.mark.parametrize("seed", range(40))
def test_the_pool_is_the_one_scoring_everything_gives(seed: int) -> None:
    rng = random.Random(seed)
    entries = rng.choice([30, 200, 1500])
    postings = _random_index(rng, entries, terms=12)
    names = [t for t, found in postings.items() if found]
    excluded = frozenset(rng.sample(range(entries), k=entries // rng.choice([3, 10, 50])))
    for _ in range(25):
        concepts = []
        for _ in range(rng.randint(1, 5)):
            picked = rng.sample(names, k=rng.choice([1, 1, 1, 2, 3]))
            concepts.append(tuple((t, rng.choice([1.0, 1.0, 0.75, 0.5])) for t in picked))
        pool = rng.choice([1, 3, 40])
        assert best_by_relevance(concepts, postings, excluded, pool) == _everything(
            concepts, postings, excluded, pool)


def test_nothing_found_and_nothing_servable() -> None:
    postings = {"a": {3: 2.0, 1: 1.0}}
    assert best_by_relevance([], postings, frozenset(), 40) == []
    assert best_by_relevance([(("a", 1.0),)], postings, frozenset({1, 3}), 40) == []
    assert best_by_relevance([(("a", 1.0),)], postings, frozenset({3}), 40) == [1]
