"""The verbatim guarantee: every approved word is in the plan's source document.

An entry's text, supporting points, question and topic must occur in the
source after normalising only whitespace, typographic quotes and dashes and
list markers. A sound bite's supporting points must follow its text as the
source has them, all of them: a dropped point is as much a change as an
edited word. An entry may opt out only explicitly (`source_check: none`,
with who approved it and when), and those are listed, never silent.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.content.importing.blocks import Block, SourceError, is_internal_note, paragraphs
from bot.content.importing.reading import read_blocks
from bot.content.model import Document, Entry, Problem
from bot.content.records import record

OPT_OUT = "none"

_PLAIN_MARKS = tuple(
    [(c, "'") for c in "‘’‚‛′`´"] + [(c, '"') for c in "“”„‟″«»"]
    + [(c, "-") for c in "‐‑‒–—―−"])
_LINE_MARKER = re.compile(r"(?m)^[ \t]*(?:[-*+•◦▪▫‣●○■□]|\(?\d{1,2}[.)]|\(?[a-z][.)])[ \t]+")


def normalise(text: str) -> str:
    """Only what may differ between a source and its faithful copy: spacing, quote and
    dash styles, list markers. Words, numbers and punctuation otherwise stay.

    It runs on every approved passage and every source paragraph at each load, so
    it does each step only where it can change something (a one-line passage has
    one place a marker can be; plain ASCII has one quote mark to change). Most
    passages are already single-spaced: every whitespace character but ' ' is
    unprintable (str.isprintable), so a printable text without a double, leading
    or trailing space is its own split-and-join, kept without cutting it into words.
    """
    plain = text.isascii()
    if not plain:
        text = text.replace("\u00a0", " ").replace("\u200b", "")
    if "\n" in text:
        text = _LINE_MARKER.sub("", text)
    else:
        marker = _LINE_MARKER.match(text)
        if marker:
            text = text[marker.end():]
    if plain:
        if "`" in text:
            text = text.replace("`", "'")
    else:
        for mark, replacement in _PLAIN_MARKS:
            if mark in text:
                text = text.replace(mark, replacement)
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # its only spaces are single ' ' between words: already as split-joined
    return " ".join(text.split())


@record
class Source:
    """A source document's words as one normalised string, mapped back to its blocks."""

    name: str
    text: str
    blocks: tuple[Block, ...]
    starts: tuple[int, ...]  # offset in `text` where each block starts

    @classmethod
    def read(cls, path: Path) -> Source:
        blocks = tuple(paragraphs(read_blocks(path)))
        pieces, starts, offset = [], [], 0
        for block in blocks:
            words = normalise(block.text)
            starts.append(offset)
            pieces.append(words)
            offset += len(words) + 1
        return cls(path.name, " ".join(pieces), blocks, tuple(starts))

    def find(self, passage: str, whole_words: bool = False, sentences: bool = False) -> int:
        """Where `passage` (normalised) starts, at a word boundary; -1 if nowhere.

        `whole_words`: it must also end where a source word ends (at a space), so
        "Fingerprint" is not found in "Fingerprint-matching".
        `sentences`: it must also start and end where sentences (or paragraphs, list
        items, cells, a label's colon) do: "The county pays" is every word of "The
        county pays for every shot." in order, and says something the plan does not.
        """
        if not passage:
            return -1
        start = self.text.find(passage)  # plain search: a regex per passage costs a compile
        while start >= 0:
            end = start + len(passage)
            before_ok = start == 0 or not self.text[start - 1].isalnum() \
                or not passage[:1].isalnum()
            after_ok = end == len(self.text) or not self.text[end].isalnum() \
                or not passage[-1:].isalnum()
            if whole_words:
                after_ok = end == len(self.text) or self.text[end] == " "
            if sentences:
                before_ok = before_ok and self._opens_sentence(start)
                after_ok = after_ok and self._closes_sentence(end, passage)
            if before_ok and after_ok:
                return start
            start = self.text.find(passage, start + 1)
        return -1

    def _opens_sentence(self, start: int) -> bool:
        """Does a sentence start here: a block's start, or after . ! ? : ; - ) ] or a quote?"""
        if self.starts[self.block_at(start)] == start:
            return True
        before = start - 1
        while before >= 0 and self.text[before] == " ":
            before -= 1
        if before < 0:
            return True
        if self.text[before] == "-":  # a dash between words, not a hyphen inside one
            return before + 1 < start and self.text[before - 1:before] in (" ", "")
        return self.text[before] in _OPENS_AFTER

    def _closes_sentence(self, end: int, passage: str) -> bool:
        """Does a sentence end here: the passage's own . ! ? ) ] or quote, a block's end,
        or the colon of a heading or label ("If asked about X:")?"""
        if passage[-1:] in _CLOSES or end >= len(self.text) or self.text[end] == ":":
            return True
        return self.text[end] == " " and self.starts[self.block_at(end + 1)] == end + 1

    def inside_sentence(self, passage: str) -> str | None:
        """Where `passage` is found only cut out of a sentence: the source's words around it."""
        start = self.find(passage)
        if start < 0:
            return None
        left = self.text.rfind(" ", 0, max(0, start - 40)) + 1
        right = self.text.find(" ", min(len(self.text), start + len(passage) + 40))
        return self.text[left:right if right >= 0 else len(self.text)]

    def block_at(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def first_difference(self, passage: str) -> str:
        """Words where `passage` parts from the source, for an author to find and fix."""
        words = passage.split(" ")
        low, high = 0, len(words)  # the longest prefix that occurs has `low` words
        while low < high:
            middle = (low + high + 1) // 2
            if self.find(" ".join(words[:middle]), whole_words=True) >= 0:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return f"its first words {_quote(words[:6])} are nowhere in {self.name}"
        agreed = " ".join(words[:low])
        at = self.find(agreed, whole_words=True) + len(agreed)
        theirs = self.text[at:].split()[:6]
        ours = words[low:low + 6]
        if not ours:
            return f"it matches {self.name} only in part"
        said = _quote(theirs) if theirs else "nothing more"
        return (f"after {_quote(words[max(0, low - 4):low])} it has {_quote(ours)} where "
                f"{self.name} has {said}")


_OPENS_AFTER = frozenset(".!?:;-)]\"'")  # normalised: typographic quotes and dashes are plain
_CLOSES = frozenset(".!?)]\"'")


def _quote(words: Sequence[str]) -> str:
    return "“" + " ".join(words)[:80] + "”"


def source_path(root: Path, document: Document) -> Path:
    """The source beside document.yaml; in a flattened folder (a Kubernetes ConfigMap,
    `<plan>--document.yaml`), the source is `<plan>--<source_file>` beside it."""
    place = root / document.path
    beside = place.parent / (document.source_file or "")
    if "--" in place.name and not beside.exists():
        flattened = place.parent / f"{place.name.rsplit('--', 1)[0]}--{document.source_file}"
        if flattened.exists():
            return flattened
    return beside


def check_sources(root: Path, documents: Mapping[str, Document], entries: Sequence[Entry],
                  field_lines: Mapping[str, Mapping[str, int]], problems: list[Problem]
                  ) -> None:
    """Add an error for every approved passage that departs from its source."""
    checked = {entry.document.id for entry in entries if entry.source_check != OPT_OUT}
    sources: dict[str, Source | None] = {}
    for document in documents.values():
        if document.id in checked:
            sources[document.id] = _load_source(root, document, problems)
    for entry in entries:
        lines = field_lines.get(entry.id, {})
        if entry.source_check == OPT_OUT and not (entry.approved_by and entry.approved_on):
            problems.append(Problem(
                "error", entry.path, lines.get("source_check", entry.line),
                f"entry {entry.id}.source_check",
                "source_check: none needs approved_by and approved_on (who approved "
                "these words without a source, and when)"))
            continue
        if entry.source_check == OPT_OUT:
            problems.append(Problem(
                "warning", entry.path, lines.get("source_check", entry.line),
                f"entry {entry.id}.source_check",
                f"not checked against the source: approved by {entry.approved_by} on "
                f"{entry.approved_on}"))
            continue
        source = sources.get(entry.document.id)
        if source is not None:
            _check_entry(source, entry, lines, problems)


def _load_source(root: Path, document: Document, problems: list[Problem]) -> Source | None:
    """The plan's source, when some of its entries are checked against it."""
    if not document.source_file:
        problems.append(Problem("error", document.path, 0, "document.source_file",
                                "missing: approved text is checked against the plan's source "
                                "document (or opt an entry out with source_check: none, "
                                "approved_by, approved_on)"))
        return None
    plan_folder = (root / document.path).parent.resolve()
    path = source_path(root, document)
    if not path.resolve().is_relative_to(plan_folder):
        problems.append(Problem("error", document.path, 0, "document.source_file",
                                f"{document.source_file!r} must be a file in the plan's folder"))
        return None
    try:
        return Source.read(path)
    except SourceError as failed:
        problems.append(Problem("error", document.path, 0, "document.source_file", str(failed)))
        return None


def _check_entry(source: Source, entry: Entry, lines: Mapping[str, int],
                 problems: list[Problem]) -> None:
    def error(name: str, message: str) -> None:
        problems.append(Problem("error", entry.path, lines.get(name, entry.line),
                                f"entry {entry.id}.{name}", message))

    for name in ("question", "topic"):
        value = getattr(entry, name)
        if value and source.find(normalise(value), sentences=True) < 0:
            error(name, "not as the source has it: " + _difference(source, normalise(value)))
    text = normalise(entry.text)
    text_start = source.find(text, sentences=True)
    if text_start < 0:
        error("text", "not as the source has it: " + _difference(source, text))
        return
    if not entry.supporting:
        return
    whole = normalise(" ".join([entry.text, *entry.supporting]))
    start = source.find(whole, sentences=True)
    if start < 0:
        for number, point in enumerate(entry.supporting, start=1):
            if source.find(normalise(point)) < 0:
                error("supporting", f"point {number} is not as the source has it: "
                      + source.first_difference(normalise(point)))
                return
        error("supporting", "the points are not the ones that follow the text in "
              f"{source.name}, in that order: " + source.first_difference(whole))
        return
    _check_no_point_dropped(source, text_start, start + len(whole), error)


def _difference(source: Source, passage: str) -> str:
    """Why `passage` is not verbatim: words that part from the source, or a cut sentence."""
    around = source.inside_sentence(passage)
    if around is not None:
        return (f"it starts or ends inside a sentence of {source.name} (approved words are "
                f"whole sentences): the source has “{around}”")
    return source.first_difference(passage)


def _check_no_point_dropped(source: Source, start: int, end: int, error) -> None:
    """The source's next block must not be one more point under the text found at `start`."""
    first = source.blocks[source.block_at(start)]
    following = source.block_at(end + 1)
    if following <= source.block_at(end - 1) or following >= len(source.blocks):
        return
    after = source.blocks[following]
    nested = after.listed and first.listed and after.indent > first.indent \
        and not is_internal_note(after.text)  # a note to staff is no point to say
    if nested:
        error("supporting", f"the source has one more supporting point, which is missing "
              f"here: {_quote(after.text.split(' ')[:8])} ({source.name} line {after.line})")
