"""Which words are real English words, so that a typo fix never changes what was asked.

A query word the content does not know is either a typo ("interoprability")
or a real word the plan simply never uses ("funds", "never"). Reading the
second kind as a typo of a content word ("funds" -> "found", "never" ->
"every") turns a question the plan does not answer into a confident wrong
answer. The word list is pyspellchecker's English frequency list, shipped
inside its package (no download); only words seen often enough count, since
its long tail holds rare misspellings and names. Without the package, no word
is known to be real and typo correction behaves as before.
"""

from __future__ import annotations

from functools import lru_cache

#: Words seen fewer times than this in the list's corpus are its long tail
#: (names, rare misspellings), not words a typo could hide behind; about
#: 47,000 English words clear it.
REAL_WORD_MIN_COUNT = 100


@lru_cache(maxsize=1)
def _real_words() -> frozenset[str]:
    """Loaded on first use (about 0.2 s), only when a query has an unknown word.

    So are the modules that read it: importlib.resources, json and gzip cost
    `facts-bot ask` about 10 ms to import, and most questions never get here.
    """
    import gzip
    import json
    from importlib import resources

    try:
        raw = (resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    counts = json.loads(gzip.decompress(raw))
    return frozenset(word for word, count in counts.items() if count >= REAL_WORD_MIN_COUNT)


def is_real_word(word: str) -> bool:
    """Is this folded word an ordinary English word (so not a misspelling to correct)?"""
    return word in _real_words()
