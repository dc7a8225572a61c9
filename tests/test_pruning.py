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


@pytest.mark.parametrize("seed", range(6))
def test_long_questions_on_a_large_index(seed: int) -> None:
    """A pasted paragraph: up to 14 concepts, many with synonyms or typo readings, over
    lists long enough that the first theta comes from their heads, scored exactly."""
    rng = random.Random(1000 + seed)
    entries = 4000
    postings = _random_index(rng, entries, terms=30)
    names = [t for t, found in postings.items() if found]
    excluded = frozenset(rng.sample(range(entries), k=entries // 20))
    for _ in range(6):
        concepts = []
        for _ in range(rng.randint(6, 14)):
            picked = rng.sample(names, k=rng.choice([1, 1, 2, 3]))
            concepts.append(tuple((t, rng.choice([1.0, 0.75, 0.5])) for t in picked))
        assert best_by_relevance(concepts, postings, excluded, 40) == _everything(
            concepts, postings, excluded, 40)


@pytest.mark.parametrize("seed", range(20))
def test_readings_of_unequal_reach(seed: int) -> None:
    """Typos and synonyms: each concept has a telling term in few entries and a weak
    one in many, so walking the first says little about what the second can add."""
    rng = random.Random(2000 + seed)
    entries = 3000
    postings: dict[str, dict[int, float]] = {}
    concepts = []
    for number in range(rng.randint(2, 5)):
        strong = {n: rng.randint(40, 120) / 8 for n in rng.sample(range(entries), 60)}
        weak = {n: rng.randint(1, 80) / 8 for n in range(entries) if rng.random() < 0.5}
        for name, found in ((f"s{number}", strong), (f"w{number}", weak)):
            postings[name] = dict(sorted(found.items(), key=lambda kv: kv[1], reverse=True))
        concepts.append(((f"w{number}", rng.choice([1.0, 0.75])),
                         (f"s{number}", rng.choice([1.0, 0.5]))))
    excluded = frozenset(rng.sample(range(entries), k=30))
    for pool in (1, 3, 40):
        assert best_by_relevance(concepts, postings, excluded, pool) == _everything(
            concepts, postings, excluded, pool)


class _Counted(dict):
    """A posting list that counts the postings read from it, walked or looked up."""

    read = 0

    def items(self):
        for item in super().items():
            _Counted.read += 1
            yield item

    def get(self, key, default=None):
        _Counted.read += 1
        return super().get(key, default)


def test_a_weak_reading_of_a_word_is_not_walked() -> None:
    """'racail profilng': each typo has a likely reading found in few entries and an
    unlikely one found in most. An entry with only the unlikely readings cannot rank,
    so those long lists are not walked: only the few entries met are looked up there."""
    rng = random.Random(7)
    entries = 20_000

    def listing(numbers: list[int], low: int, high: int) -> dict[int, float]:
        found = {n: rng.randint(low, high) / 8 for n in numbers}
        return dict(sorted(found.items(), key=lambda kv: kv[1], reverse=True))

    common = [n for n in range(entries) if rng.random() < 0.6]
    postings = {
        "rascal": listing(rng.sample(range(entries), 60), 80, 100),
        "racial": _Counted(listing(common, 8, 24)),
        "profit": listing(rng.sample(range(entries), 80), 70, 90),
        "profil": _Counted(listing(common, 8, 24)),
    }
    concepts = [(("racial", 0.8), ("rascal", 0.8)), (("profil", 0.9), ("profit", 0.8))]
    _Counted.read = 0
    found = best_by_relevance(concepts, postings, frozenset(), 40)
    read = _Counted.read  # (walking either long list whole would be more than this)
    assert found == _everything(concepts, postings, frozenset(), 40)
    assert read < len(common) // 2


def test_nothing_found_and_nothing_servable() -> None:
    postings = {"a": {3: 2.0, 1: 1.0}}
    assert best_by_relevance([], postings, frozenset(), 40) == []
    assert best_by_relevance([(("a", 1.0),)], postings, frozenset({1, 3}), 40) == []
    assert best_by_relevance([(("a", 1.0),)], postings, frozenset({3}), 40) == [1]
