"""Generated knowledge for the matcher benchmark: plan-derived, and random words.

`plan_derived` makes a department's worth of plans out of the real one: each
generated plan has the real plan's files, entries, kinds and structure
(sound bites with supporting points, Q&A with their questions, if-asked
topics, scheduled actions...), and the real plan's words, except that a share
of them are replaced, consistently across the plan (its subject is another),
by English words drawn from a pool that grows with the plan's number (a larger
department says more different things), and some neighbouring words are
swapped. Each plan has a source document holding its entries' words, so it
passes a verbatim check as the real plan does. Queries about the real plan
then find many plans partly relevant, as real queries find real content.

`random_words` is the older generator: entries of random words with
`termNNN` placeholders, which share almost no words with real queries and so
flatter lookup. It stays as a second row for comparison.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.content import BUNDLED_KNOWLEDGE

REAL_PLAN = BUNDLED_KNOWLEDGE / "ice-secure-communities-2009-04"
WORD = re.compile(r"[A-Za-z][A-Za-z']*")
#: Fields whose words are content: transformed, and (but for aids) in the source.
VERBATIM = ("text", "question", "topic")
AIDS = ("title", "questions", "keywords")


def english_words(min_count: int = 100) -> list[str]:
    """pyspellchecker's English words (shipped in the package), most frequent first."""
    raw = (resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes()
    counts = json.loads(gzip.decompress(raw))
    return [w for w, c in sorted(counts.items(), key=lambda wc: -wc[1])
            if c >= min_count and w.isalpha() and len(w) >= 4]


def _real_plan() -> tuple[dict, dict[str, list[dict]]]:
    document = yaml.safe_load((REAL_PLAN / "document.yaml").read_text())["document"]
    files = {path.name: yaml.safe_load(path.read_text())["entries"]
             for path in sorted(REAL_PLAN.glob("*.yaml")) if path.name != "document.yaml"}
    return document, files


def _case_like(model: str, word: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    return word.capitalize() if model[:1].isupper() else word


class PlanWords:
    """One generated plan's wording: a consistent word map, and a few swapped neighbours."""

    def __init__(self, rng: random.Random, pool: list[str], replace: float,
                 swap: float = 0.04) -> None:
        self.rng, self.pool, self.replace, self.swap = rng, pool, replace, swap
        self.mapping: dict[str, str] = {}

    def word(self, word: str) -> str:
        key = word.lower()
        if key not in self.mapping:
            change = len(key) >= 4 and self.rng.random() < self.replace
            self.mapping[key] = self.rng.choice(self.pool) if change else key
        return _case_like(word, self.mapping[key])

    def text(self, text: str, swap: bool = True) -> str:
        pieces = re.split(r"([A-Za-z][A-Za-z']*)", text)  # odd indexes are words
        words = [self.word(p) for p in pieces[1::2]]
        if swap:
            for i in range(len(words) - 1):
                if self.rng.random() < self.swap:
                    words[i], words[i + 1] = words[i + 1], words[i]
        pieces[1::2] = words
        return "".join(pieces)


def _entry(raw: dict, number: int, plan_id: str, words: PlanWords) -> dict:
    entry: dict[str, Any] = dict(raw, id=f"{raw['id']}-{number}", document=plan_id)
    entry.pop("notes", None)
    for name in VERBATIM + ("title",):
        if name in entry:
            entry[name] = words.text(entry[name], swap=name != "title")
    if "supporting" in entry:
        entry["supporting"] = [words.text(point) for point in entry["supporting"]]
    if "questions" in entry:
        entry["questions"] = [words.text(q, swap=False) for q in entry["questions"]]
    if "keywords" in entry:
        entry["keywords"] = [words.text(str(k), swap=False) for k in entry["keywords"]]
    if "schedule" in entry:
        schedule = dict(entry["schedule"])
        schedule.pop("note", None)
        entry["schedule"] = schedule
    return entry


def _source(entries: list[dict]) -> str:
    """The plan's source document: every verbatim passage of its entries, in order."""
    blocks: list[str] = []
    for entry in entries:
        blocks += [entry[name] for name in ("topic", "question") if name in entry]
        blocks.append(entry["text"])
        blocks += entry.get("supporting", [])
        if (entry.get("schedule") or {}).get("as_written"):
            blocks.append(entry["schedule"]["as_written"])
    return "\n\n".join(blocks) + "\n"


def plan_derived(directory: Path, count: int, seed: int = 7, replace: float = 0.35) -> None:
    """`count` entries as whole plans shaped like the real one (the last one cut short)."""
    document, files = _real_plan()
    per_plan = sum(len(entries) for entries in files.values())
    english = english_words()
    shutil.copy(BUNDLED_KNOWLEDGE / "synonyms.yaml", directory / "synonyms.yaml")
    made = 0
    for number in range((count + per_plan - 1) // per_plan):
        rng = random.Random(seed * 1_000_003 + number)
        pool = english[:min(len(english), 3000 + 12 * number)]  # grows with the department
        words = PlanWords(rng, pool, replace)
        plan_id = f"plan-{number:05d}"
        folder = directory / plan_id
        folder.mkdir(parents=True)
        doc = dict(document, id=plan_id, title=words.text(document["title"], swap=False),
                   source_file=f"{plan_id}.txt")
        doc.pop("alerts", None)
        _dump(folder / "document.yaml", {"document": doc})
        plan_entries: list[dict] = []
        for name, entries in files.items():
            chosen = entries[:max(0, count - made)]
            made += len(chosen)
            generated = [_entry(raw, number, plan_id, words) for raw in chosen]
            if generated:
                _dump(folder / name, {"entries": generated})
                plan_entries += generated
        (folder / doc["source_file"]).write_text(_source(plan_entries))


def random_words(directory: Path, count: int, seed: int = 7) -> None:
    """The older generator: plan-shaped files of talking points in random real words."""
    rng = random.Random(seed)
    source_text = " ".join(p.read_text() for p in sorted(BUNDLED_KNOWLEDGE.rglob("*.yaml")))
    vocabulary = sorted(
        {w.strip(".,:;\"'()").lower() for w in source_text.split() if w.isalpha() and len(w) > 3}
    )
    vocabulary += [f"term{n}" for n in range(5000)]
    per_file = 500

    def sentence(n: int) -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(n)).capitalize() + "."

    for start in range(0, count, per_file):
        plan = start // per_file
        doc = {"id": f"plan-{plan}", "title": f"Generated plan {plan}", "office": "Press Office",
               "date": "2026-01-15", "timezone": "America/Chicago",
               "contact": {"name": "Pat Example", "phone": "555-0100"}}
        entries = [{"id": f"gen-{number}", "document": f"plan-{plan}", "kind": "talking_point",
                    "title": sentence(5), "section": "Talking Points",
                    "text": " ".join(sentence(rng.randint(12, 30))
                                     for _ in range(rng.randint(1, 3))),
                    "questions": [sentence(7) for _ in range(3)],
                    "keywords": [rng.choice(vocabulary) for _ in range(6)]}
                   for number in range(start, min(start + per_file, count))]
        folder = directory / f"plan-{plan}"
        folder.mkdir(parents=True)
        doc["source_file"] = "source.txt"
        (folder / "source.txt").write_text(_source(entries))
        _dump(folder / "document.yaml", {"document": doc})
        _dump(folder / "entries.yaml", {"entries": entries})


GENERATORS: dict[str, Callable[[Path, int], None]] = {
    "plan-derived": plan_derived,
    "random words": random_words,
}


def _dump(path: Path, data: dict) -> None:
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, width=1000, sort_keys=False,
                              allow_unicode=True))
