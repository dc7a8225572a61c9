"""Matcher accuracy on the development query sets, per failure class.

Run alone (`.venv/bin/python benchmarks/eval_dev.py [--misses]`) or from
bench_matcher.py. Each set lists in-scope queries (with phrases the right
response contains, or its ids) and out-of-scope ones; the `# --- Class N:`
comments of a set name its failure classes. Reported per set and per class:
top-1 and top-3 (is a right response first / among the first three),
confident-wrong (an `answer` whose response is not a right one) and
out-of-scope queries answered. These are development sets: the matcher is
judged on held-out sets phrased differently, so read the classes, not the
strings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bot.content import BUNDLED_KNOWLEDGE, Entry, load_snapshot  # noqa: E402
from bot.matching import ANSWER, Index  # noqa: E402

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
DEV_SETS = (SHARED_EVAL / "dev_queries.yaml", SHARED_EVAL / "dev_queries_hard.yaml",
            Path(__file__).resolve().parents[1] / "tests" / "data" / "matcher_own_queries.yaml")
TODAY = dt.date(2026, 11, 25)
_CLASS = re.compile(r"#\s*---\s*(Class [^:]+):\s*(.*?)\s*-*\s*$")


@dataclass
class Tally:
    queries: int = 0
    top1: int = 0
    top3: int = 0
    confident_wrong: int = 0
    out_of_scope: int = 0
    answered: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        parts = [f"{label:<58}"]
        if self.queries:
            parts.append(f"top-1 {self.top1:>3}/{self.queries:<3} "
                         f"({100 * self.top1 / self.queries:5.1f}%)  "
                         f"top-3 {self.top3:>3}/{self.queries:<3}  "
                         f"confident-wrong {self.confident_wrong}")
        if self.out_of_scope:
            parts.append(f"out-of-scope answered {self.answered}/{self.out_of_scope}")
        return "  ".join(parts)


def classes_of(path: Path) -> dict[str, str]:
    """Each query's failure class, from the `# --- Class N: ... ---` comments above it."""
    found, current = {}, "all"
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = _CLASS.search(line)
        if heading:
            current = f"{heading[1]}: {heading[2]}"[:56]
            continue
        item = re.match(r"\s*-\s*(?:\{\s*)?q:\s*(['\"])(.*)\1", line)
        if item:
            found[item[2]] = current
    return found


def is_right(item: dict) -> Callable[[Entry], bool]:
    if "ids" in item:
        return lambda entry: entry.id in item["ids"]
    expected = [phrase.lower() for phrase in item["expect"]]
    return lambda entry: any(phrase in entry.display_text.lower() for phrase in expected)


def evaluate(index: Index, path: Path, show_misses: bool = False) -> dict[str, Tally]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    classes = classes_of(path)
    tallies: dict[str, Tally] = {"all": Tally()}
    for item in data.get("in_scope", []):
        match = index.search(item["q"], TODAY, limit=3)
        right = is_right(item)
        hits = [right(r.entry) for r in match.results]
        for tally in _tallies_for(tallies, classes.get(item["q"], "all")):
            tally.queries += 1
            tally.top1 += bool(hits and hits[0])
            tally.top3 += any(hits)
            tally.confident_wrong += match.status == ANSWER and not hits[0]
        if show_misses and not (hits and hits[0]):
            got = ", ".join(f"{r.entry.id} {r.score:.0f}" for r in match.results)
            tallies["all"].misses.append(f"  miss: {item['q']!r} -> {match.status} [{got}]")
    for item in data.get("out_of_scope", []):
        query = item["q"] if isinstance(item, dict) else item
        match = index.search(query, TODAY, limit=3)
        for tally in _tallies_for(tallies, classes.get(query, "all")):
            tally.out_of_scope += 1
            tally.answered += match.status == ANSWER
        if show_misses and match.status == ANSWER:
            tallies["all"].misses.append(f"  out-of-scope answered: {query!r} -> "
                                         f"{match.results[0].entry.id}")
    return tallies


def _tallies_for(tallies: dict[str, Tally], klass: str) -> list[Tally]:
    """The whole set's tally, and its class's when the set has classes."""
    return [tallies["all"]] + ([tallies.setdefault(klass, Tally())] if klass != "all" else [])


def report(index: Index, show_misses: bool = False, sets: tuple[Path, ...] = DEV_SETS) -> None:
    for path in sets:
        if not path.exists():
            print(f"{path.name}: not found (skipped)")
            continue
        tallies = evaluate(index, path, show_misses)
        print(tallies["all"].line(path.name))
        for label, tally in tallies.items():
            if label != "all":
                print(tally.line("  " + label))
        for miss in tallies["all"].misses:
            print(miss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("sets", nargs="*", type=Path,
                        help="query sets to score instead of the development sets (e.g. a "
                             "held-out set: leave out --misses to see only its figures)")
    args = parser.parse_args()
    report(Index(load_snapshot(BUNDLED_KNOWLEDGE)), args.misses, tuple(args.sets) or DEV_SETS)


if __name__ == "__main__":
    main()
