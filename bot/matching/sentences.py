"""Cutting a draft (and approved text) into the sentences a reader would check one by one.

The same splitter runs over the draft and over the approved content, so an approved
paragraph pasted into a draft falls apart at exactly the places its approved sentences
do. Where English punctuation is ambiguous ("U.S. Immigration", "N.J.", "e.g.") the
splitter keeps words together: two sentences read as one are compared as one and show
up as changed, never as approved by accident.
"""

from __future__ import annotations

import re

# A bullet or list marker at the start of a line: -, *, •, ·, 1., 1), a), (a).
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣–—]|\(?\d{1,3}[.)]|\(?[a-zA-Z][)])\s+")
# A possible sentence end: . ! ? (and closing quotes/brackets), then whitespace and the
# next word. A lower-case start counts too (the case of a first letter is forgiven), so
# only abbreviations and ellipses keep the words together.
_BOUNDARY = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?\w)")
_SALUTATION = re.compile(r"^\s*\S+(?:\s+\S+){0,3}\s*[,:]\s*$")
SIGN_OFF = re.compile(r"^(?:thanks|thank you|many thanks|regards|best|best regards|"
                      r"kind regards|warm regards|all the best|cheers|sincerely|"
                      r"yours sincerely|yours truly|respectfully)\b[^.!?]*[,.!]?$",
                      re.IGNORECASE)
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS_TEXT = """
    mr mrs ms dr st no nos gen sen rep gov lt col sgt capt cmdr adm jr sr inc co corp ltd
    vs etc fig jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur
    thurs fri sat sun calif ariz colo conn fla ga ill ind kan ky la md mass mich minn miss
    mo mont neb nev okla ore pa tenn tex va vt wash wis wyo dept est approx ave blvd
    """
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())


def split_sentences(text: str) -> list[str]:
    """The sentences and list items of `text`, in order, stripped; blank ones dropped.

    Paragraphs (blank lines) and lines that start with a bullet or number are always
    separate items; a line break inside a paragraph is not, so a hard-wrapped sentence
    stays whole.
    """
    sentences: list[str] = []
    for block in _blocks(text):
        sentences.extend(_split_block(block))
    return sentences


def _blocks(text: str) -> list[str]:
    """Paragraphs and bullet items: the units a sentence never spans.

    A short line ending in a comma or colon ("Hi Jane,", "Thanks,") is a salutation or
    a sign-off and stands alone; after a sign-off the rest of its paragraph (a
    signature: name, title, phone) is read line by line.
    """
    blocks: list[str] = []
    current: list[str] = []
    by_line = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        bullet = _BULLET.match(line)
        if not line.strip() or bullet or by_line:
            blocks.append("\n".join(current))
            current = [line[bullet.end():].strip()] if bullet else [line.strip()]
            by_line = by_line and bool(line.strip())
            continue
        if _SALUTATION.match(line):
            blocks.append("\n".join([*current, line.strip()]))
            current, by_line = [], bool(SIGN_OFF.match(line.strip()))
            continue
        current.append(line.strip())
    blocks.append("\n".join(current))
    return [b for b in blocks if b.strip()]


def _split_block(block: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for boundary in _BOUNDARY.finditer(block):
        cut = boundary.start() + len(boundary.group(1))
        if _is_abbreviation(block[start:boundary.start()]):
            continue
        pieces.append(block[start:cut])
        start = boundary.end()
    pieces.append(block[start:])
    return [" ".join(p.split("\n")).strip() for p in pieces if p.strip()]


def _is_abbreviation(before: str) -> bool:
    """Does the period ending `before` belong to a word (U.S., N.J., Calif.) rather than end it?"""
    found = _LAST_WORD.search(before)
    if not found or not before.endswith("."):
        return False
    word = found.group(1).rstrip(".").lstrip("\"'“‘([")
    if before.endswith("..."):
        return True  # an ellipsis trails off; it does not end the sentence
    if "." in word or len(word) == 1:
        return True
    return word.lower() in _ABBREVIATIONS
