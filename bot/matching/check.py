"""The on-message check: is each sentence of a draft an approved one, word for word?

It never writes or suggests wording. For each sentence of the draft it finds the
closest approved line and says `approved` (the same words), `changed` (close, but with
words added, removed or swapped, listed and named: a changed number first), or
`unapproved` (nothing approved is close; the nearest line is offered as a hint).
Greetings and sign-offs are `neutral`.

Approved lines are what a press officer may say: the text of sound bites, talking
points, If-asked responses and Q&A answers, their supporting points, and every sentence
of these, for entries servable on the day. The plan's internal notes (media actions,
events, background, contacts, references) say what the office will *do*, not what it
may *say*: a draft sentence that matches only one of them is not approved, so it is
`unapproved`, with the nearest approved line as the hint.

A `Checker` is built once per snapshot: an exact table of normal forms, and term
postings over approved sentences so that a sentence is compared with a few dozen
candidates, not with every approved line.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.content import LINES_TO_SAY, Entry, Snapshot
from bot.matching.analysis import Analyzer, is_content, words
from bot.matching.sentences import SIGN_OFF, split_sentences
from bot.matching.wording import Difference, compare, normal_form, proper_words_of

APPROVED = "approved"
CHANGED = "changed"
UNAPPROVED = "unapproved"
NEUTRAL = "neutral"
STATUSES = (APPROVED, CHANGED, UNAPPROVED, NEUTRAL)

#: Kinds whose words are approved to be said. The others are the plan's own notes.
SAYABLE_KINDS = frozenset(LINES_TO_SAY)
#: How alike (0-100, rapidfuzz ratio of folded text) a sentence must be to an approved
#: line to count as a changed version of it rather than a claim of its own.
CHANGED_MIN_SIMILARITY = 60.0
#: Candidates compared in full per sentence, after the term postings pick them.
CANDIDATES = 40
#: How many of a sentence's rarest terms pick its candidates.
OPENING_TERMS = 6

_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|thanks|thank you|many thanks|"
    r"regards|best|best regards|kind regards|warm regards|all the best|cheers|sincerely|"
    r"yours|yours sincerely|yours truly|respectfully|talk soon|see below|fyi|please see below"
    r")\b[^.!?]*[,:!.]?$", re.IGNORECASE)


@dataclass(frozen=True)
class ApprovedLine:
    """One approved thing to say: a whole text, a paragraph, a point or a sentence."""

    text: str
    entry: Entry


@dataclass(frozen=True)
class SentenceCheck:
    """One draft sentence, what it was found to be, and against which approved line."""

    text: str
    status: str
    line: ApprovedLine | None = None
    differences: tuple[Difference, ...] = ()
    similarity: float = 0.0

    @property
    def entry(self) -> Entry | None:
        return self.line.entry if self.line else None


@dataclass(frozen=True)
class DraftCheck:
    """The whole draft: every sentence in order, and the counts per status."""

    sentences: tuple[SentenceCheck, ...]
    content_version: str

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for sentence in self.sentences:
            counts[sentence.status] += 1
        return counts

    @property
    def on_message(self) -> bool:
        """Nothing changed and nothing unapproved: safe to say as it stands."""
        return all(s.status in (APPROVED, NEUTRAL) for s in self.sentences)


def approved_lines(entry: Entry) -> list[str]:
    """Every approved line of one entry: the text, its paragraphs, points and sentences."""
    if entry.kind not in SAYABLE_KINDS:
        return []
    wholes = [entry.text, *entry.supporting]
    paragraphs = [p for text in wholes for p in text.split("\n\n")]
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    return list(dict.fromkeys([*wholes, *paragraphs, *sentences]))


class Checker:
    """Everything a check needs, precomputed from one snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.analyzer = Analyzer(snapshot.synonyms)
        self.exact: dict[str, list[ApprovedLine]] = {}
        self.lines: list[ApprovedLine] = []
        self.folded: list[str] = []
        postings: dict[str, list[int]] = {}
        for entry in snapshot.entries:
            for text in approved_lines(entry):
                line = ApprovedLine(text, entry)
                self.exact.setdefault(normal_form(text), []).append(line)
                if "\n" in text:
                    continue  # multi-paragraph wholes: exact matches only
                number = len(self.lines)
                self.lines.append(line)
                folded = words(text)
                self.folded.append(" ".join(folded))
                for term in set(self.analyzer.terms_of_words(folded)):
                    postings.setdefault(term, []).append(number)
        self.postings = postings
        total = max(1, len(self.lines))
        self.idf = {t: math.log(1 + total / len(ids)) for t, ids in postings.items()}
        self.proper_words = proper_words_of(line.text for line in self.lines)

    def check(self, draft: str, today: dt.date | dt.datetime) -> DraftCheck:
        """Every sentence of `draft`, in order, checked against lines servable `today`
        (a day, or an instant: each line on its plan's day, Entry.day_of)."""
        results: list[SentenceCheck] = []
        signed_off = False
        for sentence in split_sentences(draft):
            if _is_neutral(sentence, signed_off):
                signed_off = signed_off or bool(SIGN_OFF.match(sentence))
                results.append(SentenceCheck(sentence, NEUTRAL))
                continue
            results.append(self.check_sentence(sentence, today))
        return DraftCheck(tuple(results), self.snapshot.version)

    def check_sentence(self, sentence: str, today: dt.date | dt.datetime) -> SentenceCheck:
        for line in self.exact.get(normal_form(sentence), ()):
            if line.entry.servable_on(today):
                return SentenceCheck(sentence, APPROVED, line, (), 100.0)
        nearest, similarity = self.nearest(sentence, today)
        if nearest is None:
            return SentenceCheck(sentence, UNAPPROVED)
        if similarity < CHANGED_MIN_SIMILARITY:
            return SentenceCheck(sentence, UNAPPROVED, nearest, (), similarity)
        found = compare(nearest.text, sentence, self.proper_words)
        differences = tuple(op.difference for op in found if op.difference)
        return SentenceCheck(sentence, CHANGED, nearest, differences, similarity)

    def nearest(self, sentence: str, today: dt.date | dt.datetime
                ) -> tuple[ApprovedLine | None, float]:
        """The approved sentence most like `sentence`, and how alike (0-100)."""
        folded = " ".join(words(sentence))
        best, best_score = None, -1.0
        for number in self._candidates(sentence):
            line = self.lines[number]
            if not line.entry.servable_on(today):
                continue
            score = fuzz.ratio(folded, self.folded[number], score_cutoff=best_score)
            if score > best_score:
                best, best_score = line, score
        return best, max(best_score, 0.0)

    def _candidates(self, sentence: str) -> list[int]:
        """Approved sentences sharing the most telling terms with `sentence`.

        Only the sentence's rarest few terms open candidates: a changed version of an
        approved sentence keeps most of them (one swapped word leaves the rest), while
        walking every common word ("Secure Communities") would visit half the content.
        """
        terms = sorted((t for t in set(self.analyzer.terms(sentence)) if t in self.idf),
                       key=lambda t: len(self.postings[t]))[:OPENING_TERMS]
        scores: dict[int, float] = {}
        for term in terms:
            weight = self.idf[term]
            for number in self.postings[term]:
                scores[number] = scores.get(number, 0.0) + weight
        return heapq.nlargest(CANDIDATES, scores, key=scores.__getitem__)


def _is_neutral(sentence: str, signed_off: bool) -> bool:
    """Greetings, sign-offs and the name under them: not claims, so nothing to approve."""
    if not any(is_content(w) for w in words(sentence)):
        return True
    plain = sentence.strip()
    if len(plain.split()) <= 6 and not any(ch.isdigit() for ch in plain) and (
            _GREETING.match(plain)):
        return True
    return signed_off and _looks_like_a_signature(plain)


def _looks_like_a_signature(line: str) -> bool:
    """A name, title, phone or address under a sign-off: short, and not a sentence."""
    return 0 < len(line.split()) <= 6 and not line.rstrip().endswith((".", "!", "?"))
