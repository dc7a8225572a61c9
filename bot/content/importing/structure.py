"""Recognising a plan's structure from its blocks: headings, sections and their kind.

Nothing here knows one particular plan. A heading is whatever the document
marks as one (a Word heading style, `#`, a bold line, a numbered or upper-case
line, a short line ending in a colon, a short line naming a known section);
its words say which kind of content follows, through the synonyms press
offices use ("key messages" are sound bites, "if pressed on" is an if-asked
block). A heading that names no kind belongs to the one above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.content.importing.blocks import Block, paragraphs

# Order matters: the first pattern that fits names the kind.
SECTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        ("if_asked", r"^(if (asked|pressed|questioned|challenged|needed)\b|responsive "
                     r"(statements?|lines?|messages?)|reactive (statements?|lines?|messages?))"),
        ("qa", r"(\bq\s*&\s*a\b|\bq and a\b|\bquestions? (and|&) answers?\b|"
               r"\b(anticipated|likely|expected|possible|potential|tough)( \w+)? questions?\b|"
               r"\bfaqs?\b|\bfrequently asked\b|\b(media|press|reporter) questions?\b|"
               r"\bquestions from (the )?(press|media|reporters)\b)"),
        ("talking_point", r"\b(supporting|secondary|additional) (messages?|points?)\b|"
                          r"\bproof points?\b"),
        ("sound_bite", r"\b(sound ?bites?|key messages?|top ?-?line messages?|core "
                       r"messages?|headline messages?|main messages?)\b"),
        ("talking_point", r"\b(talking points?|messaging points?|message points?|points to "
                          r"make|key points?|lines to take|messaging)\b"),
        ("header", r"^(media|communications?|press|comms) plan$"),
        ("contact", r"^(press |media )?contacts?( information)?$"),
        ("background", r"\b(background|context|situation|overview|summary|the issue|"
                       r"purpose|objectives?|goals?)\b"),
        ("event", r"\b(upcoming events|events? (by|of) others|protests?|rallies|events)\b"),
        ("media_action", r"\b(media outreach|outreach|op-?eds?|interviews?|web ?sites?|web "
                         r"postings?|social media|press releases?|news releases?|media "
                         r"advisor(y|ies)|briefings?|press conferences?|tactics|actions|"
                         r"announcements?|roll-?out|timeline|schedule|key dates|"
                         r"media availability|statements?)\b"),
    ))

_NUMBERED = re.compile(r"^(?:[IVX]+|\d{1,2}(?:\.\d{1,2})*|[A-Z])[.)]\s+(?P<text>\S.*)$")
_QUESTION_LABEL = re.compile(r"^(?:Q(?:uestion)?\s*\d*\s*[:.)]\s*)(?P<text>\S.*)$", re.IGNORECASE)
_ANSWER_LABEL = re.compile(r"^(?:A(?:nswer)?|Response)\s*\d*\s*[:.)]\s*(?P<text>\S.*)?$",
                           re.IGNORECASE)


# A heading opening the document and naming a plan or strategy (or in Word's Title
# style) is its title, whatever subject it names ("... Rollout media plan" is no outreach
# section, "Recycling Changes messaging" no talking points). Only the very first line:
# an "Outreach plan" heading after the plan's header lines is a section.
_PLAN_TITLE = re.compile(r"(?i)\b(plan|strategy)\b")

# A heading saying what is under it is not to be said: "Talking points (not yet approved
# by legal)" never drafts lines to say; nor does "Internal notes" or "Staff only" under
# Key messages, which named no kind and took the messages' own. A named kind keeps a
# milder mark: "TALKING POINTS (internal)" are points to make, not to hand out.
_UNAPPROVED = (r"\b(not (yet )?approved|unapproved|do not (quote|say)|not for (quoting|"
               r"attribution)|off the record)\b")
_INTERNAL = (r"(?i)^notes?\b|\b(internal|staff only|for staff|confidential|not for (release|"
             r"publication|distribution)|do not (share|release|distribute))\b|" + _UNAPPROVED)
_SAYABLE = ("sound_bite", "talking_point", "if_asked", "qa")


def withheld(title: str, named: bool = False) -> bool:
    """A heading marking what is under it as not approved (or, when it names no kind of
    its own, as internal)."""
    return bool(re.search("(?i)" + _UNAPPROVED if named else _INTERNAL, title))


# "If asked about X: the response" on one line
INLINE_IF_ASKED = re.compile(r"(?i)^(?P<topic>if (asked|pressed|questioned|challenged)\b[^:]{3,}?)"
                             r":\s+(?P<text>\S+(?:\s+\S+){2,})$")


def kind_of_heading(text: str) -> str | None:
    words = clean_heading(text)
    for kind, pattern in SECTION_KINDS:
        if pattern.search(words):
            return kind
    return None


def clean_heading(text: str) -> str:
    """A heading's words as written, without its number and closing colon."""
    text = text.strip()
    numbered = _NUMBERED.match(text)
    if numbered and len(numbered["text"].split()) <= 14:
        text = numbered["text"]
    return text.rstrip(":").strip().strip("*_").strip()


def question_text(block: Block) -> str | None:
    """The question, when a block asks one ("Q: ...", or a line ending in '?')."""
    labelled = _QUESTION_LABEL.match(block.text)
    if labelled:
        return labelled["text"].strip()
    return None


def answer_text(text: str) -> str:
    labelled = _ANSWER_LABEL.match(text)
    if labelled:
        return (labelled["text"] or "").strip()
    return text


def is_answer_label(text: str) -> bool:
    return bool(_ANSWER_LABEL.match(text))


def _upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) > 0.9


def heading_level(block: Block) -> int:
    """How the document marks this block as a heading (1 = top); 0 if it is not one."""
    text = block.text
    words = len(text.split())
    if block.heading:
        return block.heading
    if re.match(r"(?i)^if (asked|pressed|questioned|challenged)\b", text) and words <= 40 \
            and not block.listed and not INLINE_IF_ASKED.match(text):
        return 3
    named = kind_of_heading(text) is not None
    if block.listed:
        numbered = re.fullmatch(r"\(?\d{1,2}[.)]", block.marker)
        if numbered and block.indent == 0 and words <= 8 and not text.endswith((".", "?")) \
                and (_upper(text) or named):
            return 1
        return 0
    if text.endswith("?") or words > 14:
        return 0
    if _NUMBERED.match(text) and (_upper(text) or named):
        return 1
    if block.bold:
        return 2 if named else 3
    if _upper(text) and words <= 10 and not text.endswith("."):
        return 2
    if text.endswith(":") and ":" not in text[:-1].replace("Q&A", ""):
        return 2 if named else 3
    if named and words <= 6 and not text.endswith((".", ",", ";")):
        return 2
    return 0


@dataclass
class Section:
    """A heading and the blocks under it, with the kind of content they are."""

    title: str
    line: int
    level: int
    kind: str | None
    blocks: list[Block] = field(default_factory=list)


def sections(blocks: list[Block]) -> list[Section]:
    """The document cut at its headings; the part before the first is the header."""
    found = [Section("", 0, 0, "header")]
    for block in paragraphs(blocks):
        level = heading_level(block)
        current = found[-1]
        if level and current.kind == "qa" and _question_not_heading(block):
            level = 0
        if not level:
            current.blocks.append(block)
            continue
        title = clean_heading(block.text)
        kind = kind_of_heading(title)
        if len(found) == 1 and not found[0].blocks and (block.titled
                                                        or _PLAN_TITLE.search(title)):
            kind = "header"  # "Budget Announcement communications plan": its title, not outreach
        if kind is None and all(s.kind in ("header", "contact") for s in found):
            kind = "header"  # the plan's title block, before any content
        named = kind is not None
        if kind is None:
            kind = _inherited(found, level)
        if kind in _SAYABLE and withheld(title, named):
            kind = None  # its lines are reported, for the author to place
        found.append(Section(title, block.line, level, kind))
    return found


def _question_not_heading(block: Block) -> bool:
    """In a Q&A section, an upper-case or bold line that names no section is a question;
    a Word or Markdown heading is one only when it asks one. A topic heading ("Cost of
    overtime") starts a part of the section, its own questions under it: read as a
    question, the words under it were served as part of the answer above."""
    if kind_of_heading(block.text) is not None or withheld(block.text):
        return False  # "Notes for the spokesperson": a part of the section, not a question
    if block.heading:
        return block.text.endswith("?") or question_text(block) is not None
    return True


def _inherited(found: list[Section], level: int) -> str | None:
    for section in reversed(found):
        if section.level and section.level < level:
            return section.kind if section.kind != "header" else None
    return None
