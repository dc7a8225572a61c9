"""On-message check benchmark: a 1,000-sentence draft against the bundled knowledge and
against 10,000 generated entries.

Run: .venv/bin/python benchmarks/bench_check.py [--entries N] [--sentences N] [--rounds N]

Prints, for each knowledge set, the time per sentence (min and median over rounds of the
mean, and p99 of single sentences) for the Checker, and for a floor measured in the same
run: a plain rapidfuzz `process.extractOne` scan of every approved sentence, which is
what a check without an index would cost. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.content import BUNDLED_KNOWLEDGE, Snapshot, load_snapshot
from bot.matching.analysis import words
from bot.matching.check import Checker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_matcher import generate_knowledge  # noqa: E402

TODAY = dt.date(2026, 11, 25)


def make_draft(checker: Checker, count: int, seed: int = 11) -> list[str]:
    """Half approved sentences (some recased or respaced), a quarter with one word or
    number changed, a quarter invented from the content's own words."""
    rng = random.Random(seed)
    approved = [line.text for line in checker.lines]
    vocabulary = sorted({w for text in approved for w in text.split() if w.isalpha()})
    draft = []
    for number in range(count):
        sentence = rng.choice(approved)
        kind = number % 4
        if kind == 1:
            sentence = sentence[:1].lower() + sentence[1:].replace(" ", "  ", 1)
        elif kind == 2:
            tokens = sentence.split()
            tokens[rng.randrange(len(tokens))] = rng.choice(["20,000", "FBI", "never"])
            sentence = " ".join(tokens)
        elif kind == 3:
            sentence = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 25)))
            sentence = sentence.capitalize() + "."
        draft.append(sentence)
    return draft


def timed(function: Callable[[str], object], sentences: list[str], rounds: int
          ) -> tuple[list[float], list[float]]:
    """Per-round mean ms per sentence, and every single sentence's ms."""
    means, singles = [], []
    for _ in range(rounds):
        started_round = time.perf_counter()
        for sentence in sentences:
            started = time.perf_counter()
            function(sentence)
            singles.append((time.perf_counter() - started) * 1000)
        means.append((time.perf_counter() - started_round) * 1000 / len(sentences))
    return means, sorted(singles)


def report(label: str, means: list[float], singles: list[float]) -> float:
    p99 = singles[max(0, int(len(singles) * 0.99) - 1)]
    median = statistics.median(means)
    print(f"  {label:<34} per sentence: min {min(means):.3f} ms, median {median:.3f} ms, "
          f"p99 {p99:.3f} ms")
    return median


def bench(snapshot: Snapshot, label: str, sentences: int, rounds: int) -> None:
    started = time.perf_counter()
    checker = Checker(snapshot)
    build = time.perf_counter() - started
    print(f"{label}: {len(snapshot.entries)} entries, {len(checker.lines)} approved sentences, "
          f"checker built in {build:.2f} s")
    draft = make_draft(checker, sentences)
    text = "\n".join(draft)
    started = time.perf_counter()
    result = checker.check(text, TODAY)
    whole = time.perf_counter() - started
    print(f"  whole draft ({len(text):,} characters, {len(result.sentences)} sentences): "
          f"{whole * 1000:.0f} ms; {result.counts()}")
    ours = report("Checker.check_sentence", *timed(
        lambda s: checker.check_sentence(s, TODAY), draft, rounds))
    folded = checker.folded
    floor = report("floor: rapidfuzz extractOne scan", *timed(
        lambda s: process.extractOne(" ".join(words(s)), folded, scorer=fuzz.ratio),
        draft, rounds))
    print(f"  ratio Checker / floor (medians): {ours / floor:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--sentences", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bench(load_snapshot(BUNDLED_KNOWLEDGE), "bundled knowledge", args.sentences, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        generate_knowledge(Path(tmp), args.entries)
        bench(load_snapshot(tmp), "generated knowledge", args.sentences, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
