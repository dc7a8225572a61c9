"""Reading a query word the content does not spell: another form of it, or a typo.

People type "complains" where the plan says "complaint", "kidnappers" where it
says "kidnapping", "racail" for "racial". Each such word would otherwise count
fully against every entry (index.py), sinking an answer the plan has. So a word
with no posting list is tried, in turn, as a related form of a content term and,
unless it is a real English word, as a misspelling of a content word, and the
reply says what a typo was read as. A real word is never "corrected" into
another: the plan not using "funds" does not make it a typo of "found".

A `Spellings` is built once per index, from the words the content uses; its
typo cache is the only thing a lookup changes (bounded, oldest out first).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Mapping

from rapidfuzz import fuzz, process

from bot.matching.analysis import STOPWORDS, Concept, stem
from bot.matching.lexicon import is_real_word
from bot.matching.outcome import MatchSettings

TYPO_CACHE_SIZE = 10_000
RELATED_FORM_QUALITY = 0.85  # a related form counts a little less than the word itself
RELATED_STEM_MIN = 6  # shorter stems have too many unrelated extensions ("car" / "care")

Alternatives = tuple[tuple[str, float], ...]


class Spellings:
    """The content's words and terms, for reading unknown query words (see module)."""

    def __init__(self, known: set[str], vocabulary: dict[str, str],
                 postings: Mapping[str, object], settings: MatchSettings) -> None:
        """`known`: the words and compounds the content uses; `vocabulary`: those a typo
        may be read as, with their terms (`vocabulary_of`); `postings`: its terms."""
        self.known = known
        self.vocabulary = vocabulary
        self._postings = postings
        self._settings = settings
        # Fresh strings, side by side in memory: a typo scan reads every one, and the words
        # as split from the content lie all over the heap (at 100,000 entries the scan
        # took twice as long). Words are runs of [a-z0-9], never a line break.
        self._words = "\n".join(vocabulary).split("\n") if vocabulary else []
        self._spelling: dict[str, str] = {}
        for word, term in vocabulary.items():
            self._spelling.setdefault(term, word)
        self._sorted_terms = sorted(t for t in postings if not t.startswith("~"))
        self.typo_cache: OrderedDict[str, Alternatives] = OrderedDict()

    @staticmethod
    def vocabulary_of(seen: Mapping[str, object], settings: MatchSettings) -> dict[str, str]:
        """The content's words (in order of first appearance) a typo may be read as, each
        with its term: long enough, not a number, not a function word."""
        shortest = settings.typo_min_length
        return {word: stem(word) for word in seen if len(word) >= shortest
                and not word.isdigit() and word not in STOPWORDS}

    def knows(self, word: str) -> bool:
        """Does the content use this word, or a form of it ("fingerprinting": its stem is
        "fingerprint"): what two typed pieces ("finger printing") are read as, joined."""
        return word in self.known or (
            len(word) >= self._settings.typo_min_length and stem(word) in self._postings)

    def resolve(self, concepts: list[Concept]
                ) -> tuple[list[tuple[Concept, Alternatives]], dict[str, str]]:
        """Each concept's alternatives that exist in the content, typos corrected; and
        what each corrected word was read as (shown to the person)."""
        resolved, corrections = [], {}
        for concept in concepts:
            known = tuple((t, q) for t, q in concept.alternatives if t in self._postings)
            if not known and " " not in concept.word:
                real = is_real_word(concept.word)
                known = self._related_forms(stem(concept.word), shorter=real)
                if not known and not real:
                    known = self._typo_alternatives(concept.word)
                    if known:
                        corrections[concept.word] = self._spelling.get(known[0][0],
                                                                       concept.word)
            resolved.append((concept, known))
        return resolved, corrections

    def _related_forms(self, stemmed: str, shorter: bool = False) -> Alternatives:
        """Content terms that extend this stem by a letter or two (complain -> complaint),
        and with `shorter` (the word is a real one, not a typo to correct), those it
        extends by a letter or two, at least six left: the stemmer leaves the people who
        do a thing longer than the thing (kidnapp(ers) / kidnap(ping)). A misspelling
        ("profilng") is left to typo correction, which says what it was read as."""
        if len(stemmed) < RELATED_STEM_MIN:
            return ()
        start = bisect_left(self._sorted_terms, stemmed)
        found = []
        for term in self._sorted_terms[start:start + 8]:
            if not term.startswith(stemmed):
                break
            if 0 < len(term) - len(stemmed) <= 2:
                found.append((term, RELATED_FORM_QUALITY))
        for cut in (1, 2) if shorter else ():
            term = stemmed[:-cut]
            if len(term) >= RELATED_STEM_MIN and term in self._postings:
                found.append((term, RELATED_FORM_QUALITY))
        return tuple(found)

    def _typo_alternatives(self, word: str) -> Alternatives:
        """Known terms this unknown word is probably a misspelling of (cached, bounded)."""
        if len(word) < self._settings.typo_min_length or word.isdigit():
            return ()
        cache = self.typo_cache
        if word in cache:
            cache.move_to_end(word)
            return cache[word]
        found = process.extract(word, self._words, scorer=fuzz.ratio,
                                score_cutoff=self._settings.typo_min_similarity, limit=3)
        best: dict[str, float] = {}
        for candidate, similarity, _ in found:
            term = self.vocabulary[candidate]
            if term in self._postings:
                best[term] = max(best.get(term, 0.0), similarity / 100)
        cache[word] = tuple(sorted(best.items(), key=lambda kv: -kv[1]))
        if len(cache) > TYPO_CACHE_SIZE:
            cache.popitem(last=False)
        return cache[word]
