"""Block Kit for the on-message check: each sentence marked, the differences shown.

The bot adds only marks and labels; the draft's words are shown as the person wrote
them and the approved words as approved, both escaped. A changed sentence is shown
with the approved words struck through and the draft's own in bold; a changed number,
date or name is called out on a line of its own, and *Show this* is one click from the
approved line. A long draft becomes several messages, each inside Slack's limits:
50 blocks, 3,000 characters a section, and a total that Slack accepts (it refuses
block sets of ~13,000 characters with `msg_blocks_too_long`, so a part stays well
below that).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.matching.check import APPROVED, CHANGED, NEUTRAL, UNAPPROVED, DraftCheck, SentenceCheck
from bot.matching.wording import DATE, NAME, NUMBER, compare
from bot.slack.render import (
    BLOCK_LIMIT,
    SECTION_LIMIT,
    Message,
    button,
    context_block,
    escape,
    section,
    split_text,
)

CHECK_SHOW_ACTION = "facts_check_show"
#: The most characters of text and button values one message carries.
MESSAGE_BUDGET = 12_000
#: An approved or neutral sentence needs no reading: its start identifies it.
QUIET_SHOWN = 120
MARKS = {APPROVED: "✅", CHANGED: "✏️", UNAPPROVED: "❌", NEUTRAL: "▫️"}
LABELS = {APPROVED: "approved", CHANGED: "changed", UNAPPROVED: "not approved",
          NEUTRAL: "neutral"}
_WARNING = {"type": "emoji", "name": "warning"}
_KIND_LABELS = {NUMBER: [_WARNING, {"type": "text", "text": " "},
                         {"type": "text", "text": "number", "style": {"bold": True}}],
                DATE: [_WARNING, {"type": "text", "text": " "},
                       {"type": "text", "text": "date", "style": {"bold": True}}],
                NAME: [{"type": "text", "text": "name", "style": {"bold": True}}]}


@dataclass(frozen=True)
class _Item:
    """One sentence's blocks-to-be: a label with its button (mrkdwn, our words), and the
    sentence as rich text (literal: approved words are never reformatted by Slack)."""

    rich: list[dict]
    label: str | None = None
    button: dict | None = None


def _text(text: str, **style: bool) -> dict:
    """A literal rich text run, styled (bold, strike, code) without touching its characters."""
    return {"type": "text", "text": text, **({"style": style} if style else {})}


def check_messages(result: DraftCheck, request_id: str, proper_words: frozenset[str]
                   = frozenset()) -> list[Message]:
    """The whole answer, as as many messages as it takes; the first carries the summary."""
    items = [_item(number, sentence, request_id, proper_words)
             for number, sentence in enumerate(result.sentences, start=1)]
    summary = summary_mrkdwn(result)
    parts = _pack(_blocks(items), len(summary))
    total = len(parts)
    messages = []
    for number, blocks in enumerate(parts, start=1):
        if number == 1:
            blocks = [section(summary), *blocks]
        if total > 1:
            blocks.append(context_block(f"Part {number} of {total}."))
        messages.append(Message(blocks, _fallback(result, number, total)))
    return messages


def summary_mrkdwn(result: DraftCheck) -> str:
    counts = result.counts()
    tally = " · ".join(f"{MARKS[s]} {counts[s]:,} {LABELS[s]}" for s in counts)
    if not result.sentences:
        verdict = "There was no text to check."
    elif result.on_message and not counts[APPROVED]:  # greetings and sign-offs only
        verdict = "Only greetings and sign-offs: no statement to check."
    elif result.on_message:
        verdict = "*On message:* every sentence is approved, word for word."
    else:
        verdict = ("*Not on message:* the sentences marked ✏️ or ❌ are not approved as "
                   "written. Nothing here is new wording: only the approved lines are shown.")
    many = "" if len(result.sentences) == 1 else "s"
    return (f"*Checked against the approved lines* ({len(result.sentences):,} sentence{many}): "
            f"{tally}\n{verdict}")


def _fallback(result: DraftCheck, number: int, total: int) -> str:
    counts = result.counts()
    part = f" (part {number} of {total})" if total > 1 else ""
    return (f"Check: {counts[APPROVED]} approved, {counts[CHANGED]} changed, "
            f"{counts[UNAPPROVED]} not approved{part}")


def _item(number: int, sentence: SentenceCheck, request_id: str,
          proper_words: frozenset[str]) -> _Item:
    mark = f"{MARKS[sentence.status]} *{number}.*"
    entry = sentence.entry
    if sentence.status in (APPROVED, NEUTRAL):
        rich = [_text(f"{MARKS[sentence.status]} "), _text(f"{number}.", bold=True),
                _text(" " + _clip(sentence.text, QUIET_SHOWN))]
        return _Item(rich + ([_text(" "), _text(entry.id, code=True)] if entry else []))
    value = json.dumps({"entry": entry.id, "r": request_id, "n": number},
                       separators=(",", ":")) if entry else ""
    if sentence.status == CHANGED and sentence.line:
        rich = _inline_diff(sentence, proper_words)
        for d in sentence.differences:
            if d.kind in _KIND_LABELS:
                rich += [_text("\n      "), *_KIND_LABELS[d.kind],
                         _text(": approved “"), _text(d.removed), _text("” → draft “"),
                         _text(d.added), _text("”")]
        return _Item(rich, f"{mark} *Changed:*", button("Show this", CHECK_SHOW_ACTION, value))
    hint = (f"_Nearest approved line: {escape(entry.title)} (`{escape(entry.id)}`)_" if entry
            else "_Nothing approved is close._")
    text = f"{mark} *Not approved:* {escape(sentence.text)}\n      {hint}"
    return _Item([], text, button("Show nearest", CHECK_SHOW_ACTION, value) if entry else None)


def _inline_diff(sentence: SentenceCheck, proper_words: frozenset[str]) -> list[dict]:
    """The draft sentence with the approved words it lost struck through and its own in
    bold: styles on literal runs, so neither side's characters are ever reformatted."""
    assert sentence.line is not None
    words: list[list[dict]] = []
    for op in compare(sentence.line.text, sentence.text, proper_words):
        if op.difference is None:
            words.append([_text(" ".join(op.draft))])
            continue
        if op.approved:
            words.append([_text(" ".join(op.approved), strike=True)])
        if op.draft:
            words.append([_text(" ".join(op.draft), bold=True)])
    kept = [w for w in words if w[0]["text"]]
    return [e for n, w in enumerate(kept) for e in ([_text(" ")] if n else []) + w]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _blocks(items: Sequence[_Item]) -> list[dict]:
    """A labelled section (with its button) per sentence that has one, then its words;
    quiet sentences share rich text blocks, a line each."""
    blocks: list[dict] = []
    quiet: list[dict] = []
    for item in items:
        if item.label is None:
            quiet += ([_text("\n")] if quiet else []) + item.rich
            continue
        blocks += rich_blocks(quiet)
        quiet = []
        label = {**section(item.label[:SECTION_LIMIT])}
        blocks.append({**label, "accessory": item.button} if item.button else label)
        blocks += rich_blocks(item.rich)
    return blocks + rich_blocks(quiet)


def rich_blocks(elements: list[dict], limit: int = SECTION_LIMIT) -> list[dict]:
    """Rich text elements packed into rich_text blocks of at most `limit` characters;
    a run longer than that is cut at a word break (`split_text`)."""
    blocks: list[list[dict]] = []
    used = limit
    for element in elements:
        if element.get("type") == "text" and not element["text"]:
            continue  # an empty run (a difference that only adds words): nothing to show
        runs = ([dict(element, text=piece) for piece in split_text(element["text"], limit)]
                if len(element.get("text", "")) > limit else [element])
        for run in runs:
            size = len(run.get("text", "")) + (len(run.get("name", "")) + 2)
            if used + size > limit:
                blocks.append([])
                used = 0
            blocks[-1].append(run)
            used += size
    return [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": b}]}
            for b in blocks]


def _size(block: dict) -> int:
    if block.get("type") == "rich_text":
        return sum(len(e.get("text", "")) for part in block["elements"]
                   for e in part["elements"])
    size = len(block.get("text", {}).get("text", ""))
    accessory = block.get("accessory")
    return size + (len(accessory["value"]) + 40 if accessory else 0)


def _pack(blocks: list[dict], summary_size: int) -> list[list[dict]]:
    """Blocks into messages: each leaves room for the summary (first) and a part line."""
    parts: list[list[dict]] = [[]]
    used = summary_size + 100
    for block in blocks:
        size = _size(block)
        if parts[-1] and (len(parts[-1]) >= BLOCK_LIMIT - 2 or used + size > MESSAGE_BUDGET):
            parts.append([])
            used = 100
        parts[-1].append(block)
        used += size
    return parts
