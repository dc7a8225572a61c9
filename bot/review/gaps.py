"""Gaps: what people asked that had no approved answer, grouped so authors can fill them.

A gap is a group of similar unanswered or low-confidence queries. The communications team
reads them to decide where new approved language is needed, so queries that ask the same
thing in other words ("racial profilling", "profiling racial?") must land in one group,
and unrelated questions must not.

Grouping stays close to linear in the number of distinct queries (a year of logs can hold
tens of thousands), never comparing every query with every other:

1. Each query is keyed by its sorted content words (`query_key`): case, punctuation, word
   order, stop words and repeats stop mattering, and identical keys are merged on the spot.
2. Misspelt words are read as the more frequent similar word (rapidfuzz ratio), looking
   only among words that share a first two letters or last three, at most
   `_BUCKET_CAP` of each; then words become stems, and equal stemmed keys merge.
3. Near-identical keys are found by blocking: each key joins the blocks of its
   `_RAREST_TOKENS` rarest stems, only keys within a block are compared (a block larger
   than `_BLOCK_CAP` is compared in sorted windows of that size), and similar pairs are
   joined with union-find.

The cost is bounded by distinct words x bucket cap plus distinct queries x blocks per key
x block cap.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import yaml
from rapidfuzz import fuzz, process

from bot.matching import ANSWER, NO_MATCH, SUGGESTIONS, Index, MatchSettings
from bot.matching.analysis import is_content, stem, words

#: Suggestions whose best scores this much or more fit the query: the approved content
#: covers it (the matcher's bar for a confident answer).
FITS_SCORE = MatchSettings().answer_min_score
#: An `answer` whose top score (0-100, the matcher's scale) is below this is counted as
#: low-confidence in the summary: it cleared the bar for a confident answer by a small
#: margin, so it is worth a look by the team.
LOW_CONFIDENCE_SCORE = FITS_SCORE + 8.0

#: A gap's outcomes in words.
GAP_OUTCOME_WORDS = {ANSWER: "answered", SUGGESTIONS: "suggestions not taken",
                     NO_MATCH: "no match"}

#: How alike (rapidfuzz ratio, 0-100) two words must be to be read as one misspelt.
WORD_SIMILARITY = 85.0
#: How alike two stemmed query keys must be to be grouped.
QUERY_SIMILARITY = 88.0
#: Shorter words are never read as typos: too many short words are one letter apart.
TYPO_MIN_LENGTH = 5

#: Distinct phrasings remembered per query key. A tally's count keeps growing beyond it;
#: only new example wordings are dropped, which keeps memory bounded by distinct keys.
MAX_PHRASINGS = 12
#: Example phrasings shown per gap.
EXAMPLES = 5

_BUCKET_CAP = 200
_RAREST_TOKENS = 2
_BLOCK_CAP = 64


def query_key(text: str) -> str:
    """What a query asks, independent of case, punctuation, word order and filler words.

    Words are kept unstemmed so that gap grouping can still spot misspellings; a query of
    filler words only keeps them, so that "what is it" is not merged with "??".
    """
    folded = words(text)
    content = sorted({word for word in folded if is_content(word)})
    return " ".join(content or folded)


def is_gap(status: str, top_score: float | None, taken: bool = False,
           fits_score: float = FITS_SCORE) -> bool:
    """Did this question end with no fitting approved response?

    No match is a gap. Suggestions are one only when the person took none of
    them (no Show, Share or Helpful) and they do not cover the query: when
    several responses fit ("racial profiling"), the content is there. An
    answer, however close its margin, was a fitting response.
    """
    if status == NO_MATCH:
        return True
    if status == SUGGESTIONS:
        return not taken and (top_score is None or top_score < fits_score)
    return False


@dataclass(slots=True)
class QueryTally:
    """Running totals for one query key: how often, when, in which words, with what outcome."""

    count: int
    first: dt.datetime
    last: dt.datetime
    phrasings: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, ts: dt.datetime) -> QueryTally:
        return cls(0, ts, ts)

    def add(self, text: str, ts: dt.datetime, status: str) -> None:
        self.count += 1
        if ts < self.first:
            self.first = ts
        elif ts > self.last:
            self.last = ts
        phrasings = self.phrasings
        if text in phrasings:
            phrasings[text] += 1
        elif len(phrasings) < MAX_PHRASINGS:
            phrasings[text] = 1
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


@dataclass(frozen=True)
class Closest:
    """The existing entry nearest to a gap, as the matcher ranks the gap's main phrasing."""

    entry_id: str
    title: str
    score: float
    status: str
    document_id: str
    kind: str
    section: str


@dataclass(frozen=True)
class Gap:
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    phrasings: tuple[tuple[str, int], ...]  # (wording, times asked), most frequent first
    outcomes: Mapping[str, int]
    closest: Closest | None

    @property
    def text(self) -> str:
        """The wording asked most often, which names the gap."""
        return self.phrasings[0][0] if self.phrasings else ""


def find_gaps(tallies: Mapping[str, QueryTally], index: Index | None, today: dt.date,
              limit: int | None = None) -> list[Gap]:
    """Similar gap queries grouped, largest group first; the closest entry for each shown."""
    keys = list(tallies)
    groups = group_keys(keys, {key: tallies[key].count for key in keys})
    merged = [_merge([tallies[key] for key in group]) for group in groups]
    merged.sort(key=lambda gap: (-gap.count, -gap.last_seen.timestamp(), gap.text))
    if limit is not None:
        merged = merged[:limit]
    if index is None:
        return merged
    return [_with_closest(gap, index, today) for gap in merged]


def group_keys(keys: Sequence[str], weights: Mapping[str, int]) -> list[list[str]]:
    """Partition query keys into groups asking the same thing (see the module docstring)."""
    word_weights: Counter[str] = Counter()
    for key in keys:
        for word in key.split():
            word_weights[word] += weights.get(key, 1)
    canonical = canonical_words(word_weights)
    by_stems: dict[str, list[str]] = {}
    for key in keys:
        stems = sorted({stem(canonical.get(w, w)) for w in key.split()})
        by_stems.setdefault(" ".join(stems), []).append(key)
    stem_keys = list(by_stems)
    sets = _UnionFind(len(stem_keys))
    for a, b in similar_pairs(stem_keys):
        sets.union(a, b)
    groups: dict[int, list[str]] = {}
    for number, stem_key in enumerate(stem_keys):
        groups.setdefault(sets.find(number), []).extend(by_stems[stem_key])
    return list(groups.values())


def canonical_words(weights: Mapping[str, int],
                    similarity: float = WORD_SIMILARITY) -> dict[str, str]:
    """Map each misspelt word to the more frequent similar word; unmapped words stand.

    Words are visited most frequent first, so a word is only ever read as one that is asked
    at least as often, and a target is never itself mapped (no chains).
    """
    mapping: dict[str, str] = {}
    buckets: dict[str, list[str]] = {}
    for word in sorted(weights, key=lambda w: (-weights[w], w)):
        if len(word) < TYPO_MIN_LENGTH or word.isdigit():
            continue
        bucket_keys = ("^" + word[:2], "$" + word[-3:])
        candidates = [c for k in bucket_keys for c in buckets.get(k, ())]
        found = process.extractOne(word, candidates, scorer=fuzz.ratio,
                                   score_cutoff=similarity) if candidates else None
        if found is not None:
            mapping[word] = found[0]
            continue
        for bucket_key in bucket_keys:
            bucket = buckets.setdefault(bucket_key, [])
            if len(bucket) < _BUCKET_CAP:
                bucket.append(word)
    return mapping


def similar_pairs(keys: Sequence[str],
                  similarity: float = QUERY_SIMILARITY) -> Iterator[tuple[int, int]]:
    """Index pairs of similar keys, comparing only keys that share a rare token."""
    for block in _blocks(keys):
        for window in _windows(sorted(block, key=keys.__getitem__), _BLOCK_CAP):
            choices = [keys[i] for i in window]
            for position, number in enumerate(window[:-1]):
                rest = choices[position + 1:]
                for _, _, offset in process.extract(choices[position], rest, scorer=fuzz.ratio,
                                                    score_cutoff=similarity, limit=None):
                    yield number, window[position + 1 + offset]


def _blocks(keys: Sequence[str]) -> Iterable[list[int]]:
    """Keys sharing one of their rarest tokens; rare tokens say most about a query."""
    frequency: Counter[str] = Counter()
    token_sets = [set(key.split()) for key in keys]
    for tokens in token_sets:
        frequency.update(tokens)
    blocks: dict[str, list[int]] = {}
    for number, tokens in enumerate(token_sets):
        for token in heapq.nsmallest(_RAREST_TOKENS, tokens, key=lambda t: (frequency[t], t)):
            blocks.setdefault(token, []).append(number)
    return (block for block in blocks.values() if len(block) > 1)


def _windows(members: list[int], size: int) -> Iterator[list[int]]:
    """The block itself, or overlapping sorted windows when it is too big to compare whole."""
    if len(members) <= size:
        yield members
        return
    step = size // 2
    for start in range(0, len(members) - step, step):
        yield members[start:start + size]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _merge(tallies: list[QueryTally]) -> Gap:
    phrasings: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for tally in tallies:
        phrasings.update(tally.phrasings)
        outcomes.update(tally.outcomes)
    ranked = sorted(phrasings.items(), key=lambda kv: -kv[1])  # ties: first asked first
    return Gap(
        count=sum(t.count for t in tallies),
        first_seen=min(t.first for t in tallies),
        last_seen=max(t.last for t in tallies),
        phrasings=tuple(ranked[:EXAMPLES]),
        outcomes=dict(outcomes),
        closest=None,
    )


def _with_closest(gap: Gap, index: Index, today: dt.date) -> Gap:
    match = index.search(gap.text, today, limit=1)
    if not match.results:
        return gap
    best = match.results[0]
    entry = best.entry
    closest = Closest(entry.id, entry.title, best.score, match.status, entry.document.id,
                      entry.kind, entry.section)
    return Gap(gap.count, gap.first_seen, gap.last_seen, gap.phrasings, gap.outcomes, closest)


# ---------------------------------------------------------------- skeleton YAML

#: Kinds that need nothing verbatim beyond `text`, so a skeleton can use them as they are.
_SIMPLE_KINDS = frozenset({"talking_point", "sound_bite", "background", "reference"})
_TEXT_PLACEHOLDER = 'text: ""  # TO BE WRITTEN by the communications team, verbatim from the source'


def gaps_yaml(gaps: Sequence[Gap], default_document: str | None = None,
              existing_ids: Iterable[str] = ()) -> str:
    """Skeleton knowledge entries for gaps, to start new approved content.

    The bot never writes approved text: `text` is left empty, so the file fails validation
    until an author writes it. Everything else is a suggestion in the knowledge format
    (see knowledge/README.md): the asked phrasings become `questions`, kind and section
    are copied from the closest entry, and `notes` (never shown) says where the gap came
    from.
    """
    lines = [
        "# Skeleton entries for questions that had no approved answer (facts-bot review gaps).",
        "# The bot never writes approved text: write each `text` from the approved source,",
        "# check the fields marked 'check', then move the entries into knowledge/.",
        "entries:",
    ]
    taken = set(existing_ids)
    for number, gap in enumerate(gaps, start=1):
        entry_id = _unique_id(gap.text, taken)
        taken.add(entry_id)
        lines.extend(_skeleton(number, gap, entry_id, default_document))
    if not gaps:
        lines[-1] = "entries: []"
    return "\n".join(lines) + "\n"


def _skeleton(number: int, gap: Gap, entry_id: str, default_document: str | None) -> list[str]:
    closest = gap.closest
    kind, section = "talking_point", "To be chosen"
    if closest is not None and closest.kind in _SIMPLE_KINDS:
        kind, section = closest.kind, closest.section
    document = closest.document_id if closest else (default_document or "to-be-chosen")
    lines = [
        "",
        f"  # Gap {number}: asked {gap.count} times, {gap.first_seen:%Y-%m-%d} to "
        f"{gap.last_seen:%Y-%m-%d}.",
    ]
    if closest is not None:
        lines.append(f"  # Closest existing entry: {closest.entry_id} "
                     f"(score {closest.score:.0f}, {closest.status}).")
    lines += [
        f"  - id: {entry_id}  # check: stable, unique, [a-z0-9-]+",
        f"    document: {_quoted(document)}  # check: the plan this answer comes from",
        f"    kind: {kind}  # check: qa needs `question`, if_asked needs `topic`",
        f"    title: {_quoted(_title(gap.text))}  # check: our short heading",
        f"    section: {_quoted(section)}  # check: the source's section heading, as written",
        f"    {_TEXT_PLACEHOLDER}",
        "    questions:",
        *(f"      - {_quoted(text)}" for text, _ in gap.phrasings if text.strip()),
        f"    notes: {_quoted(_note(gap))}",
    ]
    if not any(text.strip() for text, _ in gap.phrasings):
        lines.remove("    questions:")
    return lines


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: safe for any user text (quotes, colons, #, newlines)."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1_000_000).strip()


def _title(text: str) -> str:
    title = " ".join(text.split())
    if len(title) > 80:
        title = title[:77].rstrip() + "..."
    return title or "Untitled question"


def _note(gap: Gap) -> str:
    outcomes = ", ".join(f"{n} {GAP_OUTCOME_WORDS.get(status, status)}"
                         for status, n in sorted(gap.outcomes.items()))
    return (f"From facts-bot review gaps: asked {gap.count} times between "
            f"{gap.first_seen:%Y-%m-%d} and {gap.last_seen:%Y-%m-%d} ({outcomes}).")


def _unique_id(text: str, taken: set[str]) -> str:
    slug = "-".join(w for w in words(text) if is_content(w))[:48].strip("-")
    slug = re.sub(r"-+", "-", slug) or "question"
    base = f"new-{slug}"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate
