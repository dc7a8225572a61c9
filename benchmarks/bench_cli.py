"""`facts-bot ask racial profiling` against its floor: starting Python with the libraries
asking needs (`python -c "import yaml, rapidfuzz, snowballstemmer"`).

Both run as fresh processes, alternately, --runs times each (plus one unmeasured
warm-up, so the disk cache is warm for both); a bare `python -c pass` runs
beside them for scale. Prints min and median wall time of each, and min and
median of the per-pair ratio ask/floor: the pair ran seconds apart, so the
ratio holds up on a shared machine better than either time. Numbers only.

Both sides run from cached bytecode, as an installed package does (pip
compiles it at install time): with PYTHONDONTWRITEBYTECODE set, facts-bot's
own modules would be compiled from source on every run (about 80 ms) while
the floor's libraries were compiled by pip, so the runs here unset it and the
warm-up writes facts-bot's __pycache__.

Run: .venv/bin/python benchmarks/bench_cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
COMMANDS = {
    "facts-bot ask racial profiling": [str(Path(PYTHON).with_name("facts-bot")), "ask",
                                       "racial", "profiling"],
    "python -c 'import yaml, rapidfuzz, snowballstemmer'": [
        PYTHON, "-c", "import yaml, rapidfuzz, snowballstemmer"],
    "python -c pass": [PYTHON, "-c", "pass"],
}


# The modules outside facts-bot that `ask` loads beyond the floor's (bisect, unicodedata...).
LIBRARIES = """import contextlib, io, sys
import yaml, rapidfuzz, snowballstemmer
floor = set(sys.modules)
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["ask", "racial", "profiling"])
print(" ".join(sorted(m for m in set(sys.modules) - floor if m.split(".")[0] != "bot")))
"""

# Where ask's time goes past the floor, measured inside one fresh process. The collector
# is off past the floor's imports, as `facts-bot ask` has it (bot.cli.main, then the
# loader's pause): with it on, the imports here took a third longer than in ask.
SPLIT = """import gc, importlib, re, sys, time
started = time.perf_counter()
import yaml, rapidfuzz, snowballstemmer
floor = time.perf_counter()
gc.disable()
for name in sys.argv[1:]:
    importlib.import_module(name)
libraries = time.perf_counter()
# How much of facts-bot's own import time is compiling its regular expressions (re
# compiles each pattern's source at every start; a pattern already compiled is cached).
compiling, spent = re._compile, [0.0]
def timed(*args):
    began = time.perf_counter()
    try:
        return compiling(*args)
    finally:
        spent[0] += time.perf_counter() - began
re._compile = timed
import datetime
from bot.cli import main
from bot.cli import ask
from bot.content import BUNDLED_KNOWLEDGE, load_snapshot
from bot.matching import Index
imported = time.perf_counter()
re._compile = compiling
snapshot = load_snapshot(BUNDLED_KNOWLEDGE)
loaded = time.perf_counter()
index = Index(snapshot)
indexed = time.perf_counter()
index.search("racial profiling", datetime.date.today(), limit=3)
done = time.perf_counter()
print(floor - started, libraries - floor, imported - libraries, spent[0],
      loaded - imported, indexed - loaded, done - indexed)
"""
SPLIT_PARTS = ("floor's imports", "other libraries ask imports (listed below)",
               "facts-bot's own imports", "  of which compiling regular expressions",
               "read and validate the knowledge",
               "build the index (bot/matching)", "the lookup")


def wall_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    names = list(COMMANDS)
    for command in COMMANDS.values():
        wall_seconds(command)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in names}
    for run in range(args.runs):
        order = names if run % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(wall_seconds(COMMANDS[name]))
    print(f"{args.runs} runs each, alternating; wall time in ms, min / median "
          f"(median/min shows the noise)")
    for name in names:
        ms = [t * 1000 for t in times[name]]
        print(f"  {name:55} {min(ms):7.0f} / {statistics.median(ms):7.0f}"
              f"   (x{statistics.median(ms) / min(ms):.2f})")
    ask, floor = times[names[0]], times[names[1]]
    ratios = [a / b for a, b in zip(ask, floor, strict=True)]
    print(f"  ask / floor: min-to-min {min(ask) / min(floor):.2f}, per-pair ratio "
          f"min {min(ratios):.2f} / median {statistics.median(ratios):.2f} (target <= 1.5)")
    libraries = subprocess.run([PYTHON, "-c", LIBRARIES], check=True, capture_output=True,
                               text=True, env=ENV).stdout.split()
    splits = [[float(x) * 1000 for x in subprocess.run(
        [PYTHON, "-c", SPLIT, *libraries], check=True, capture_output=True, text=True,
        env=ENV).stdout.split()] for _ in range(args.runs)]
    print("where ask's time goes, in one process (ms, min / median):")
    for number, part in enumerate(SPLIT_PARTS):
        values = [split[number] for split in splits]
        print(f"  {part:55} {min(values):7.1f} / {statistics.median(values):7.1f}")
    print(f"  other libraries: {' '.join(m for m in libraries if not m.startswith('_'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
