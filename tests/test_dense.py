"""A long question scored whole in C must rank exactly as the pruned walks in Python do.

The index finds a query's most relevant entries one of two ways (index.py's
_most_relevant): max-score pruning in Python (pruning.py), or, when the
query's lists are long, every posting added up with numpy (dense.py). Which
way is taken is a matter of speed only: the pool, its order and every score
shown must be the same float for float. Checked on random posting lists full
of ties against the plain definition, and through the Index on plan-derived
content with random questions (paragraphs, typos, entries not served today).
The rest of a lookup's shortcuts are held to their definitions the same way:
each entry of the pool scored a concept at a time, and only the results that
can be shown made into Results.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest

import bot.matching.index as index_module
from bot.content import load_snapshot
from bot.content.records import replace
from bot.matching import Index
from bot.matching.dense import best_by_relevance
from bot.matching.postings import Columns
from bot.matching.pruning import best_alternative
from test_pruning import _everything, _random_index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from plan_content import plan_derived  # noqa: E402

TODAY = dt.date(2026, 11, 25)


def _random_concepts(rng: random.Random, names: list[str], most: int) -> list[tuple]:
    """Concepts as the index hands them over: some unknown (no terms), some with several."""
    concepts = []
    for _ in range(rng.randint(1, most)):
        picked = rng.sample(names, k=rng.choice([0, 1, 1, 1, 2, 3]))
        concepts.append(tuple((t, rng.choice([1.0, 1.0, 0.95, 0.75, 0.5])) for t in picked))
    return concepts


@pytest.mark.parametrize("seed", range(40))
def test_the_pool_is_the_one_scoring_everything_gives(seed: int) -> None:
    rng = random.Random(3000 + seed)
    entries = rng.choice([30, 200, 1500])
    postings = _random_index(rng, entries, terms=14)
    columns = Columns.made_from(postings, entries)
    names = [t for t, found in postings.items() if found]
    excluded = frozenset(rng.sample(range(entries), k=entries // rng.choice([3, 10, 50])))
    for _ in range(25):
        concepts = _random_concepts(rng, names, most=rng.choice([3, 14]))
        pool = rng.choice([1, 3, 40, 5000])
        found = best_by_relevance(concepts, columns, excluded, pool)
        assert found == _everything(concepts, postings, excluded, pool)


def test_nothing_found_and_nothing_servable() -> None:
    postings = {"a": {3: 2.0, 1: 1.0}, "b": {}}
    columns = Columns.made_from(postings, 5)
    assert best_by_relevance([], columns, frozenset(), 40) == []
    assert best_by_relevance([(), (("b", 1.0),)], columns, frozenset(), 40) == []
    assert best_by_relevance([(("a", 1.0),)], columns, frozenset({1, 3}), 40) == []
    assert best_by_relevance([(("a", 1.0),)], columns, frozenset({3}), 40) == [1]
    assert best_by_relevance([(("a", 0.5), ("b", 1.0))], columns, frozenset(), 1) == [3]


@pytest.fixture(scope="module")
def department(tmp_path_factory) -> Index:
    """Four plans' worth of plan-derived content, a fifth of it expired or not yet in effect."""
    directory = tmp_path_factory.mktemp("department")
    plan_derived(directory, 600)
    snapshot = load_snapshot(directory)
    rng = random.Random(5)
    dated = [replace(entry, expires=TODAY - dt.timedelta(days=1)) if rng.random() < 0.1
             else replace(entry, effective=TODAY + dt.timedelta(days=1))
             if rng.random() < 0.1 else entry for entry in snapshot.entries]
    return Index(replace(snapshot, entries=tuple(dated)))


def _questions(index: Index, rng: random.Random, count: int) -> list[str]:
    """Questions made of the content's own words: a few, or a pasted paragraph's worth,
    with misspellings, unknown words and the way people ask ("how many", "when")."""
    words = [entry.text.split() for entry in index.entries]
    made = []
    for _ in range(count):
        picked = [rng.choice(rng.choice(words)) for _ in range(rng.choice([1, 2, 4, 8, 16]))]
        if rng.random() < 0.3:
            at = rng.randrange(len(picked))
            word = picked[at]
            picked[at] = word[:len(word) // 2] + word[len(word) // 2 + 1:]  # a letter dropped
        if rng.random() < 0.2:
            picked.append("zyxwvut")
        opening = rng.choice(["", "how many", "when is", "what does", "Critics say that"])
        made.append(" ".join([opening, *picked]).strip())
    return made


def _shown(index: Index, question: str, day: dt.date) -> tuple:
    match = index.search(question, day, limit=40)
    return (match.status, [(r.entry.id, r.score) for r in match.results],
            dict(match.corrections))


@pytest.mark.parametrize("seed", range(4))
def test_questions_rank_the_same_whichever_way_they_are_scored(department, monkeypatch,
                                                              seed: int) -> None:
    rng = random.Random(seed)
    questions = _questions(department, rng, 60)
    days = [TODAY, TODAY + dt.timedelta(days=2)]  # what is served differs from day to day
    for question in questions:
        day = rng.choice(days)
        monkeypatch.setattr(index_module, "DENSE_FROM", 10**12)  # pruned walks only
        walked = _shown(department, question, day)
        monkeypatch.setattr(index_module, "DENSE_FROM", 0)  # every lookup scored whole
        monkeypatch.setattr(index_module, "DENSE_ENTRIES", 0)
        assert _shown(department, question, day) == walked, question


def _as_defined(index: Index, concepts: list, weights: list[float], number: int
                ) -> tuple[int, float, float]:
    """One entry's (number, relevance, coverage credit), plainly: per concept, in order,
    its best alternative's value and the weight it covers (index._scored's docstring)."""
    relevance = covered = 0.0
    for (_, known), weight in zip(concepts, weights, strict=True):
        value, term, quality = best_alternative(number, known, index.postings)
        if term is not None:
            relevance += value
            covered += weight * quality * index._about_below_one[number].get(term, 1.0)
    return number, relevance, covered


@pytest.mark.parametrize("seed", range(2))
def test_the_pool_is_scored_as_defined(department, seed: int) -> None:
    """Each entry of the pool gets the relevance and coverage the definition gives it,
    float for float, whichever concepts have typo readings or synonyms (quality < 1)."""
    rng = random.Random(100 + seed)
    below_one = 0
    for question in _questions(department, rng, 60):
        found = department.analyzer.concepts(question, known=department.spellings.knows)
        concepts, _ = department.spellings.resolve(found)
        weights = [department._concept_weight(c, known) for c, known in concepts]
        below_one += any(q < 1.0 for _, known in concepts for _, q in known)
        for scored in department._scored(concepts, weights, TODAY):
            assert scored == _as_defined(department, concepts, weights, scored[0]), question
    assert below_one >= 10  # (the questions did read words as typos and synonyms)


def test_a_huge_paste_ranks_the_same_whichever_way(department, monkeypatch) -> None:
    """Hundreds of concepts at once (a whole plan pasted in, past any caller's bound)."""
    rng = random.Random(9)
    pasted = " ".join(entry.text for entry in rng.sample(department.entries, 30))
    monkeypatch.setattr(index_module, "DENSE_FROM", 10**12)
    walked = _shown(department, pasted, TODAY)
    monkeypatch.setattr(index_module, "DENSE_FROM", 0)
    monkeypatch.setattr(index_module, "DENSE_ENTRIES", 0)
    assert walked[1] and _shown(department, pasted, TODAY) == walked


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 5])
def test_fewer_results_asked_for_are_the_first_of_the_same_results(department, limit: int
                                                                  ) -> None:
    """Only the results that can be shown are made (index._rank): asking for `limit`
    gives the first `limit` of what asking for all gives, what to say first included."""
    rng = random.Random(200 + limit)
    for question in _questions(department, rng, 80):
        everything = department.search(question, TODAY, limit=len(department.entries))
        few = department.search(question, TODAY, limit=limit)
        assert (few.status, few.results) == (everything.status, everything.results[:limit])
