"""Finding the approved response a person is asking for, and how sure we are.

Two numbers decide. Relevance (BM25 over weighted fields) ranks entries.
Coverage asks the question that protects press officers: of everything the
query asks about, weighted by how telling each word is, how much does this
entry explain? A word found in no entry at all counts fully against every
entry, so "weather in Miami tomorrow" cannot be answered by the one entry
that mentions Miami. The score shown (0-100) is coverage, tempered by
relevance relative to the best candidate; the outcome needs both a high score
and a clear lead over the runner-up, because a wrong confident answer said
to a reporter is worse than none.

An Index is built once per snapshot; a lookup only walks posting lists of the
query's terms and scores a few candidates.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from bot.content import LINES_TO_SAY, Entry, Snapshot
from bot.content.collector import collector_paused
from bot.content.zones import local_date
from bot.matching.analysis import (
    FIELD_BREAK,
    Analyzer,
    Concept,
    fold,
)
from bot.matching.batches import WordTable, analyse_all
from bot.matching.framing import topic_of
from bot.matching.intent import asked_for, stated_in
from bot.matching.outcome import (
    ANSWER,
    NO_MATCH,
    SUGGESTIONS,
    Match,
    MatchSettings,
    Result,
)
from bot.matching.postings import Columns, PostingsBuilder, idf
from bot.matching.pruning import best_alternative, best_by_relevance
from bot.matching.spelling import Spellings

FIELD_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "title": 3.0,
        "topic": 2.0,
        "question": 2.0,
        "questions": 1.5,
        "keywords": 2.0,
        "kind": 1.0,
        "schedule": 1.5,
        "text": 1.0,
        "section": 0.5,
        "facts": 1.0,
    }
)
# How fully a word found in each field shows that the entry is *about* it.
# Titles, questions and keywords say what an entry answers; a word met only in
# the approved text may be mentioned in passing ("the BBC wants to discuss
# 287(g)"), so it covers a question's concept less.
FIELD_ABOUTNESS: Mapping[str, float] = MappingProxyType(
    {
        "title": 1.0,
        "topic": 1.0,
        "question": 1.0,
        "questions": 1.0,
        "keywords": 1.0,
        "kind": 0.6,
        "schedule": 0.8,
        "text": 0.8,
        "section": 0.5,
        "facts": 1.0,
    }
)
# Responses scoring within this many points of the best fit a query "about
# equally"; among them, lines to say come before internal notes, in
# LINES_TO_SAY order (sound bites first).
TIE_BAND = 2.0
INTENT_SHARE = 0.5
ANALYSED_TOGETHER = 1_000  # entries whose fields are analysed in one pass
KEPT_TEXT_CHARS = 200  # field texts up to this long are analysed once per build
RELEVANCE_EXPONENT = 0.5
# In an index of DENSE_ENTRIES entries or more, a query whose lists hold DENSE_FROM postings
# or more is scored whole, in C (dense.py). Measured at 1,000 to 100,000 plan-derived
# entries, that costs less than the pruned walks in Python for all but a question of one
# telling word ("racial profiling"), and at most a millisecond more for those; a smaller
# index (a plan or two) has lists too short to be worth numpy's import (0.2 s).
DENSE_ENTRIES = 1_000
DENSE_FROM = 1_000
# Field weights in half-units: a term in a title counts 6 halves (3.0).
_HALVES: Mapping[str, int] = MappingProxyType({n: int(w * 2) for n, w in FIELD_WEIGHTS.items()})
assert all(h == w * 2 for h, w in zip(_HALVES.values(), FIELD_WEIGHTS.values(), strict=True))


# The fields entry_fields gives, in its order (the weighted ones but "facts").
_ENTRY_FIELDS = tuple(name for name in FIELD_WEIGHTS if name != "facts")
# Each field's weight in half-units, in _ENTRY_FIELDS order; where the title is; the
# fields that say fully what an entry is about; the others, most telling first.
_FIELD_HALVES = tuple(_HALVES[name] for name in _ENTRY_FIELDS)
_TITLE = _ENTRY_FIELDS.index("title")
_ABOUT = tuple(n for n, name in enumerate(_ENTRY_FIELDS) if FIELD_ABOUTNESS[name] == 1.0)
_PARTLY = tuple(sorted(((n, FIELD_ABOUTNESS[name]) for n, name in enumerate(_ENTRY_FIELDS)
                        if FIELD_ABOUTNESS[name] != 1.0), key=lambda field: -field[1]))


def entry_fields(entry: Entry) -> dict[str, list[str]]:
    """The searchable text of an entry, by field; matching aids included."""
    schedule = entry.schedule
    scheduled = []
    if schedule:
        scheduled = [schedule.as_written, schedule.owner or "", *schedule.spokespeople,
                     *schedule.cities]
    return {
        "title": [entry.title],
        "topic": [entry.topic or ""],
        "question": [entry.question or ""],
        "questions": list(entry.questions),
        "keywords": list(entry.keywords),
        "kind": [entry.kind_label],
        "schedule": scheduled,
        "text": [entry.text, *entry.supporting],
        "section": [entry.section],
    }


def _in_field_order(fields: dict[str, list[str]]) -> Iterable[list[str]]:
    """An entry's field texts in _ENTRY_FIELDS order, whatever order entry_fields has."""
    return map(fields.__getitem__, _ENTRY_FIELDS)


class Index:
    """Everything a lookup needs, precomputed from one snapshot."""

    def __init__(self, snapshot: Snapshot, settings: MatchSettings | None = None) -> None:
        with collector_paused():  # millions of objects that all live on: nothing to collect
            self._build(snapshot, settings)

    def _build(self, snapshot: Snapshot, settings: MatchSettings | None) -> None:
        self.snapshot = snapshot
        self.settings = settings or MatchSettings()
        self.analyzer = Analyzer(snapshot.synonyms)
        self.entries = snapshot.entries
        self._about_below_one: list[dict[str, float]] = []
        self._titles: list[frozenset[str]] = []
        self._numbers = {entry.id: number for number, entry in enumerate(self.entries)}
        builder = PostingsBuilder(len(self.entries))
        known, vocabulary = self._weighted_terms(self.entries, builder)
        self.idf, self.postings = builder.build()
        self.spellings = Spellings(known, vocabulary, self.postings, self.settings)
        if len(self.entries) >= DENSE_ENTRIES:  # made and imported now, not by a question
            self.columns  # noqa: B018 (a cached_property, made now)
            import bot.matching.dense  # noqa: F401
        self._unknown_weight = idf(0, len(self.entries))
        # Entries by the (start, expiry) they are served between, in their plan's time
        # zone (the days are the plan's: Entry.day_of); most have neither.
        self._limits: dict[tuple[dt.date | None, dt.date | None, str], list[int]] = {}
        for number, entry in enumerate(self.entries):
            start, expiry = entry.start(), entry.expiry()
            if start is not None or expiry is not None:
                key = (start, expiry, entry.document.timezone)
                self._limits.setdefault(key, []).append(number)
        self._zones = tuple(sorted({zone for _, _, zone in self._limits}))
        self._unservable_on: dict[object, frozenset[int]] = {}

    def _weighted_terms(self, entries: Sequence[Entry], builder: PostingsBuilder
                        ) -> tuple[set[str], dict[str, str]]:
        """Each entry's term frequencies weighted by field, in half-units, given to
        `builder` in entry order; records where each term says least about the
        entry (see FIELD_ABOUTNESS) and its title's terms. Returns the content's
        words and compounds, and the words a typo may be read as (spelling.py).

        The fields of a thousand entries at a time are analysed in one pass
        (batches.analyse_all): fast, and the words of all the content are never
        held at once (memory). A field text met before is not analysed again:
        its terms are the first one's, and none of its words can be new, so the
        words' order of first appearance is unchanged. Short texts (a kind, a
        section, a schedule, a topic: the entries of a plan share them) are
        remembered for the whole build, longer ones only within their batch
        (an approved text rarely recurs, and keeping them all would hold all
        the content's words at once). Counting whole half-units (every field
        weight is a multiple of one half) lets C do the counting, and the sums
        stay exact.
        """
        fields = len(_ENTRY_FIELDS)
        table = WordTable(self.analyzer)  # every word analysed once per build
        compounds: set[str] = set()
        kept: dict[str, list[str]] = {}  # short field texts' terms, for the whole build
        for start in range(0, len(entries), ANALYSED_TOGETHER):
            chunk = entries[start:start + ANALYSED_TOGETHER]
            texts = [f" {FIELD_BREAK} ".join(field) if any(field) else ""
                     for entry in chunk for field in _in_field_order(entry_fields(entry))]
            new = [text for text in dict.fromkeys(texts) if text not in kept]
            analysed = analyse_all(self.analyzer, new, table)
            terms_of = dict(zip(new, analysed.terms, strict=True))
            kept.update((text, terms) for text, terms in terms_of.items()
                        if len(text) <= KEPT_TEXT_CHARS)
            compounds.update(analysed.compounds)
            for number, entry in enumerate(chunk):
                first = number * fields
                terms = [terms_of[text] if text in terms_of else kept[text]
                         for text in texts[first:first + fields]]
                builder.add(self._entry_terms(entry, terms))
        compounds.update(table)
        return compounds, Spellings.vocabulary_of(table, self.settings)

    def _entry_terms(self, entry: Entry, terms_by_field: list[list[str]]) -> Counter[str]:
        """One entry's weighted terms, from its fields' terms (see _weighted_terms).

        Fields go in _ENTRY_FIELDS order, then the facts its text states; the
        field positions and weights are worked out once (_FIELD_HALVES...), not per entry.
        """
        self._titles.append(frozenset(terms_by_field[_TITLE]))
        places = entry.schedule.cities if entry.schedule else ()
        facts = stated_in([entry.text, *entry.supporting], places)
        about = set(facts).union(*map(terms_by_field.__getitem__, _ABOUT))
        below: dict[str, float] = {}  # each term at the most its fields say of it
        for field, aboutness in _PARTLY:
            if terms_by_field[field]:
                below.update(dict.fromkeys(
                    set(terms_by_field[field]).difference(about, below), aboutness))
        self._about_below_one.append(below)
        halves: list[str] = []  # each term once per half-unit of its field's weight
        for terms, weight in zip(terms_by_field, _FIELD_HALVES, strict=True):
            if terms:
                halves += terms * weight
        halves += facts * _HALVES["facts"]
        return Counter(halves)

    # ------------------------------------------------------------ lookup

    def search(self, query: str, today: dt.date | dt.datetime, limit: int = 3) -> Match:
        """The outcome and the best servable results for `query` on a day given by a
        person, or at an instant (each entry judged on its plan's day: Entry.day_of)."""
        topic = topic_of(fold(query))  # "comment on X": X (framing.py)
        found = self.analyzer.concepts(topic, known=self.spellings.knows)
        if not found:
            return Match(query, NO_MATCH, ())
        asked = [Concept(kind, ((kind, 1.0),)) for kind in asked_for(topic)
                 if kind in self.postings]
        concepts, corrections = self.spellings.resolve(found + asked)
        weights = [self._concept_weight(concept, alternatives)
                   for concept, alternatives in concepts]
        ranked = self._rank(self._scored(concepts, weights, today), sum(weights), limit)
        status = self._outcome(ranked, concepts)
        return Match(query, status, tuple(self._shown(ranked, status, limit)), corrections)

    def _concept_weight(self, concept: Concept,
                        alternatives: tuple[tuple[str, float], ...]) -> float:
        """How telling a concept is: the idf of its best-known term; unknown words weigh most.

        The kind of fact asked for ("how many") weighs half: it narrows the
        choice without outweighing what the question is about.
        """
        if not alternatives:
            return self._unknown_weight
        weight = max(self.idf[term] for term, _ in alternatives)
        return weight * INTENT_SHARE if concept.word.startswith("~") else weight

    def _scored(self, concepts: list[tuple[Concept, tuple[tuple[str, float], ...]]],
                weights: list[float], today: dt.date | dt.datetime, pool: int = 40
                ) -> list[tuple[int, float, float]]:
        """The `pool` most relevant servable entries: (number, relevance, coverage credit).

        Relevance sums each concept's best alternative; coverage sums the
        concept's weight times how fully that alternative satisfies it, and how
        much the entry is about it.
        """
        alternatives = [known for _, known in concepts]
        numbers = self._most_relevant(alternatives, self._unservable(today), pool)
        relevance, covered = [0.0] * len(numbers), [0.0] * len(numbers)
        about = [self._about_below_one[number] for number in numbers]
        for known, weight in zip(alternatives, weights, strict=True):
            if len(known) == 1:  # the usual case, a concept at a time for all the entries
                (term, quality), = known
                get, credit = self.postings[term].get, weight * quality
                for at, number in enumerate(numbers):
                    contribution = get(number)
                    if contribution is not None and (value := contribution * quality) > 0.0:
                        relevance[at] += value
                        covered[at] += credit * about[at].get(term, 1.0)
                continue
            for at, number in enumerate(numbers):
                value, term, quality = best_alternative(number, known, self.postings)
                if term is not None:
                    relevance[at] += value
                    covered[at] += weight * quality * about[at].get(term, 1.0)
        return list(zip(numbers, relevance, covered, strict=True))

    def _most_relevant(self, alternatives: list[tuple[tuple[str, float], ...]],
                       excluded: frozenset[int], pool: int) -> list[int]:
        """The pool by relevance: the same entries in the same order either way, found
        by pruned walks in Python, or for a query with long lists in a large index by
        adding up every posting in C (dense.py, imported when such an index is built)."""
        if len(self.entries) < DENSE_ENTRIES or sum(
                len(self.postings[term]) for known in alternatives for term, _ in known
        ) < DENSE_FROM:
            return best_by_relevance(alternatives, self.postings, excluded, pool)
        from bot.matching import dense
        return dense.best_by_relevance(alternatives, self.columns, excluded, pool)

    @functools.cached_property
    def columns(self) -> Columns:
        """The postings as flat arrays, which dense.py reads: made with an index large
        enough to be scored that way, else only if asked for (a plan's `ask` never is)."""
        return Columns.made_from(self.postings, len(self.entries))

    def serving_day(self, when: dt.date | dt.datetime) -> object:
        """What decides which entries are served at `when`: a day given as it is, an
        instant as the day it is in each time zone of dated content (none, when no
        entry has dates; most content is one plan's zone). Equal keys, same entries."""
        if not isinstance(when, dt.datetime):
            return when
        return tuple(local_date(when, zone) for zone in self._zones)

    def _unservable(self, today: dt.date | dt.datetime) -> frozenset[int]:
        """Entries not served at `today` (expired, or not yet in effect); cached per
        serving day, so a lookup at an instant costs a time zone conversion or two."""
        key = self.serving_day(today)
        cached = self._unservable_on.get(key)
        if cached is None:
            cached = frozenset().union(*(  # an entry of each group stands for the group
                numbers for numbers in self._limits.values()
                if not self.entries[numbers[0]].servable_on(today)))
            if len(self._unservable_on) >= 8:
                self._unservable_on.clear()
            self._unservable_on[key] = cached
        return cached

    def _rank(self, scored: list[tuple[int, float, float]], total_weight: float, limit: int
              ) -> list[Result]:
        """The results by score, what to say first among equal fits (_lines_to_say_first).

        Only those that can be shown become Results: the equal fits (which
        may be reordered), then `limit` more (at least one: the runner-up
        decides whether the best is a clear answer).
        """
        if not scored:
            return []
        top_relevance = max(relevance for _, relevance, _ in scored)
        results = []
        for number, relevance, covered in scored:
            coverage = covered / total_weight
            score = 100 * coverage * (relevance / top_relevance) ** RELEVANCE_EXPONENT
            results.append((score, relevance, number))
        results.sort(key=lambda item: (-item[0], -item[1], item[2]))
        floor = _band_floor(round(results[0][0], 1), self.settings.answer_min_score)
        band = 0
        while band < len(results) and round(results[band][0], 1) >= floor:
            band += 1
        ranked = [Result(self.entries[n], round(score, 1))
                  for score, _, n in results[:band + max(limit, 1)]]
        return _lines_to_say_first(ranked, self.settings.answer_min_score)

    def _outcome(self, ranked: list[Result],
                 concepts: list[tuple[Concept, tuple[tuple[str, float], ...]]]) -> str:
        settings = self.settings
        if not ranked or ranked[0].score < settings.suggest_min_score:
            return NO_MATCH
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        confident = ranked[0].score >= settings.answer_min_score
        clear = ranked[0].score - runner_up >= settings.answer_min_margin
        if confident and clear and self._may_answer(ranked[0].entry, concepts):
            return ANSWER
        return SUGGESTIONS

    def _may_answer(self, entry: Entry,
                    concepts: list[tuple[Concept, tuple[tuple[str, float], ...]]]) -> bool:
        """Is this entry the answer, or only the closest lead?

        A question asking for a kind of fact (a number, a date, a place) is
        not answered by an entry that states none. And an internal note
        answers only a query about what its title names: notes (an interview
        request, background, a contact) mention many things in passing;
        asked about one of those ("is this the same as 287(g)?"), they are a
        lead for the press officer, not the answer.
        """
        number = self._numbers[entry.id]
        asked = [alternatives for concept, alternatives in concepts
                 if concept.word.startswith("~")]
        if not all(number in self.postings[term] for alternatives in asked
                   for term, _ in alternatives):
            return False  # asked "how many", and this entry states no number
        if not self._about_any(number, concepts):
            return False  # every word asked about is only mentioned in passing
        if entry.kind in LINES_TO_SAY:
            return True
        title = self._titles[number]
        return all(any(term in title for term, _ in alternatives)
                   for concept, alternatives in concepts if not concept.word.startswith("~"))

    def _about_any(self, number: int,
                   concepts: list[tuple[Concept, tuple[tuple[str, float], ...]]]) -> bool:
        """Is the entry *about* something the question asks (its title, questions or
        keywords name it), not merely mentioning it in its text?

        One word met only in passing ("hide behind a long list of aliases") covers
        a one-word question at the text's aboutness, which is the answer bar itself
        (0.8 x 100): "hiding" was answered with the color-blind sound bite.
        """
        below = self._about_below_one[number]
        return any(number in self.postings[term] and term not in below
                   for concept, alternatives in concepts if not concept.word.startswith("~")
                   for term, _ in alternatives)

    def _shown(self, ranked: list[Result], status: str, limit: int) -> Iterable[Result]:
        """What a person sees: close alternatives, or for no_match the nearest few."""
        if status == NO_MATCH:
            return [r for r in ranked[:limit] if r.score > 0]
        floor = self.settings.suggest_min_score
        return [r for r in ranked[:limit] if r is ranked[0] or r.score >= floor]


def _kind_order(entry: Entry) -> int:
    return LINES_TO_SAY.index(entry.kind) if entry.kind in LINES_TO_SAY else len(LINES_TO_SAY)


def _band_floor(best: float, fits: float) -> float:
    """The least score that fits (`fits`) about equally well as the `best` score."""
    return max(fits, best - TIE_BAND)


def _lines_to_say_first(ranked: list[Result], fits: float) -> list[Result]:
    """Among results that fit (score `fits` or more) about equally well, what to say first."""
    if not ranked:
        return ranked
    floor = _band_floor(ranked[0].score, fits)
    band = [r for r in ranked if r.score >= floor]
    band.sort(key=lambda r: (_kind_order(r.entry), -r.score))
    return band + ranked[len(band):]
