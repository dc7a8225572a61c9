"""The index build takes shortcuts for speed (texts joined and analysed in batches, each
word and each repeated text analysed once, phrase searches remembered, postings built
term by term); it must still build exactly what the plain definition builds.

The plain definition, entry by entry and field by field: a field's terms are
`Analyzer.terms` of its texts joined by FIELD_BREAK plus its compounds' stems;
an entry counts each term in half-units of its fields' weights, plus the
kinds of fact its text states; its length is half its count; a posting is
idf * tf * (k1 + 1) / (tf + norm), each term's list best first, ties in
entry order. Every posting is compared, in order, float for float.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

import pytest

import bot.matching.index as index_module
from bot.content import load_snapshot
from bot.content.records import replace
from bot.matching import Index, entry_fields
from bot.matching.analysis import FIELD_BREAK, STOPWORDS, Analyzer, folded_words, stem
from bot.matching.index import FIELD_ABOUTNESS, FIELD_WEIGHTS
from bot.matching.intent import stated_in
from bot.matching.postings import BM25_B, BM25_K1, PostingsBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from plan_content import plan_derived  # noqa: E402


def plain_build(snapshot, typo_min_length: int) -> dict:
    """What the index holds, computed the plain way (see the module's docstring)."""
    analyzer = Analyzer(snapshot.synonyms)
    counts, belows, titles, words, compounds = [], [], [], {}, set()
    for entry in snapshot.entries:
        halves: Counter[str] = Counter()
        aboutness: dict[str, float] = {}
        for name, texts in entry_fields(entry).items():
            folded, joined = folded_words(f" {FIELD_BREAK} ".join(texts))
            words.update(dict.fromkeys(folded))  # FIELD_BREAK too, as the index has it
            compounds.update(joined)
            terms = analyzer.terms_of_words(folded) + [stem(j) for j in joined]
            for term in terms:
                halves[term] += int(FIELD_WEIGHTS[name] * 2)
                aboutness[term] = max(aboutness.get(term, 0.0), FIELD_ABOUTNESS[name])
            if name == "title":
                titles.append(frozenset(terms))
        places = entry.schedule.cities if entry.schedule else ()
        for fact in stated_in([entry.text, *entry.supporting], places):
            halves[fact] += int(FIELD_WEIGHTS["facts"] * 2)
            aboutness[fact] = 1.0
        counts.append(halves)
        belows.append({term: level for term, level in aboutness.items() if level < 1.0})
    total = len(counts)
    lengths = [sum(halves.values()) * 0.5 for halves in counts]
    average = sum(lengths) / total
    frequency = Counter(term for halves in counts for term in halves)
    idf = {t: math.log(1 + (total - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
    postings: dict[str, list[tuple[int, float]]] = {term: [] for term in frequency}
    for number, halves in enumerate(counts):
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[number] / average)
        for term, count in halves.items():
            tf = count * 0.5
            postings[term].append((number, idf[term] * tf * (BM25_K1 + 1) / (tf + norm)))
    for found in postings.values():
        found.sort(key=lambda posting: (-posting[1], posting[0]))
    vocabulary = {w: stem(w) for w in words if len(w) >= typo_min_length
                  and not w.isdigit() and w not in STOPWORDS}
    return {"postings": postings, "columns": (postings, total),
            "idf": idf, "about_below_one": belows, "titles": titles,
            "known_words": set(words) | compounds, "vocabulary": list(vocabulary.items())}


def built(index: Index) -> dict:
    return {"postings": {t: list(found.items()) for t, found in index.postings.items()},
            "columns": (_laid_out(index.columns), index.columns.entries),
            "idf": index.idf, "about_below_one": index._about_below_one,
            "titles": index._titles, "known_words": index.spellings.known,
            "vocabulary": list(index.spellings.vocabulary.items())}


def _laid_out(columns) -> dict[str, list[tuple[int, float]]]:
    """Each term's postings as the columns hold them (dense.py reads them so)."""
    found = {}
    for term in columns.ordinals:
        start, end = columns.span(term)
        found[term] = list(zip(columns.numbers[start:end], columns.values[start:end],
                               strict=True))
    return found


def assert_same(index: Index, snapshot) -> None:
    expected, got = plain_build(snapshot, index.settings.typo_min_length), built(index)
    for part, value in expected.items():
        assert got[part] == value, part


# Texts where the shortcuts could go wrong: the words the batches are joined with (in one
# batch and not the next), synonym phrases of several words across a field's strings,
# at a text's end and repeated, hyphenated compounds, and the same text in many entries.
TRICKY = ["zztextbreak racial profiling zztextbreak1", "racial", "profiling by law enforcement",
          "racial zztextbreak", "a racial", "zztextbreak",
          "U.S. Department of Homeland Security", "op-ed drunk driving", "Level 1 level one",
          "law", "enforcement", "the same text in many entries", ""]


def _tricky(snapshot, seed: int):
    import random
    rng = random.Random(seed)
    entries = []
    for number in range(40):
        entry = rng.choice(snapshot.entries)
        # The later entries never hold a joining word: their batches are joined by one.
        pool = TRICKY if number < 20 else [t for t in TRICKY if "zztextbreak" not in t]
        pick = [rng.choice(pool) for _ in range(3)]
        entries.append(replace(entry, id=f"{entry.id}-{number}", title=pick[0] or entry.title,
                               questions=tuple(pick), keywords=(pick[1], pick[2]),
                               text=f"{entry.text} {pick[2]}"))
    # A phrase holding a joining word: where that word joins texts, no phrase spans it.
    synonyms = (*snapshot.synonyms, ("racial zztextbreak", "mark phrase"))
    return replace(snapshot, entries=tuple(entries), synonyms=synonyms)


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_the_bundled_plan_is_indexed_as_the_plain_definition_says(snapshot, batch, monkeypatch):
    monkeypatch.setattr(index_module, "ANALYSED_TOGETHER", batch)
    assert_same(Index(snapshot), snapshot)


@pytest.mark.parametrize("seed", range(8))
def test_tricky_texts_in_small_batches_are_indexed_as_the_plain_definition_says(
        snapshot, seed, monkeypatch):
    monkeypatch.setattr(index_module, "ANALYSED_TOGETHER", 3 + seed)
    tricky = _tricky(snapshot, seed)
    assert_same(Index(tricky), tricky)


def test_plan_derived_content_is_indexed_as_the_plain_definition_says(tmp_path, monkeypatch):
    plan_derived(tmp_path, 90)  # three plans and part of a fourth: texts repeat across plans
    generated = load_snapshot(tmp_path)
    monkeypatch.setattr(index_module, "ANALYSED_TOGETHER", 20)
    assert_same(Index(generated), generated)



def test_every_list_holds_the_entry_numbers_made_together():
    """A walk reads each posting's entry number: the lists share one object per entry,
    made side by side before the build (PostingsBuilder.build says why), not one made
    as each entry was added, somewhere in a heap that grows as the build runs."""
    builder = PostingsBuilder(600)
    for number in range(600):
        builder.add(Counter({"common": 2, f"t{number % 7}": 1 + number % 3}))
    _, postings = builder.build()
    assert sum(map(len, postings.values())) == 1200
    for found in postings.values():
        assert all(number is builder.numbers[number] for number in found)
