"""The benchmark's generated plans are content the bot would accept, as the real plan is.

benchmarks/bench_matcher.py measures load and lookup on them; if they did not
validate, or their approved words were not in their source documents, the
figures would be about content no press office could have.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from bot.content import load_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from plan_content import plan_derived, random_words  # noqa: E402


def passages(entry) -> list[str]:
    found = [p for p in entry.text.split("\n\n") if p.strip()] + list(entry.supporting)
    return found + [text for text in (entry.question, entry.topic) if text]


def test_plan_derived_content_loads_and_is_verbatim_in_its_sources(tmp_path, snapshot):
    plan_derived(tmp_path, 70)  # two whole plans and part of a third
    generated = load_snapshot(tmp_path)
    assert len(generated.entries) == 70 and len(generated.documents) == 3
    real_kinds = Counter(e.kind for e in snapshot.entries)
    first_plan = Counter(e.kind for e in generated.entries if e.document.id == "plan-00000")
    assert first_plan == real_kinds
    for entry in generated.entries:
        source = (tmp_path / entry.document.id / entry.document.source_file).read_text()
        for passage in passages(entry):
            assert passage in source, f"{entry.id}: not in its source: {passage[:60]!r}"
    real_words = {w.lower() for e in snapshot.entries for w in e.text.split()}
    words = {w.lower() for e in generated.entries for w in e.text.split()}
    assert real_words & words and words - real_words  # real words, some replaced


def test_random_word_content_loads(tmp_path):
    random_words(tmp_path, 30)
    assert len(load_snapshot(tmp_path).entries) == 30
