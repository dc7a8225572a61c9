"""Replies to questions asked again, kept for the content, approvals and day they were built on.

Press officers ask the same few things over and over on a busy day ("racial
profiling" twenty times an hour). A reply is a pure function of the question,
the index being served (its snapshot and thresholds), the approvals in force
and the day (what is servable, what is overdue): given the same four, the
lookup and the blocks come out the same, except for the request id that the
buttons carry. So the lookup and the built reply are kept here, keyed by the
question, and reused while the other three stay the same object; a reload, an
approval or midnight starts the record afresh, so nothing stale is ever
served. The lookup and the rendering were most of a /facts request's own CPU.

Only the request id differs between two replies to one question: a kept reply
holds a placeholder there (`TEMPLATE_ID`, as long as a real id, so every
value is the same length) and each request gets its own copy of the blocks
that carry one (`Asked.reply_for`).
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.matching import Match
from bot.slack import render

#: Stands for the request id in a kept reply: as long as `requests.new_request_id`'s
#: sixteen hex digits, and not one of them, so it is never a real id.
TEMPLATE_ID = "request-id-here!"

#: Questions kept. A reply is a few kB, and 512 of them cover a day's repeated
#: questions in a few MB; the characters kept are bounded too, as a reply can be up
#: to Slack's 50 blocks of 3,000 characters.
DEFAULT_MAX_ASKED = 512
DEFAULT_MAX_CHARS = 4_000_000


@dataclass(frozen=True)
class Asked:
    """One question's lookup and reply, with `TEMPLATE_ID` where the request id goes."""

    match: Match
    context: dict[str, Any]  # what the buttons' clicks need (`AskCommand.context_value`)
    message: render.Message  # already within Slack's limits
    #: The reply's JSON body (`reply_body`) cut at each `TEMPLATE_ID`, or None when it
    #: cannot be (the placeholder also appears where no button put it).
    body_parts: tuple[str, ...] | None
    chars: int  # the JSON body's length: what keeping it costs, roughly

    @classmethod
    def of(cls, match: Match, context: dict[str, Any], message: render.Message) -> Asked:
        """`message` must be within Slack's limits, built with `TEMPLATE_ID` as request id."""
        encoded = json.dumps(reply_body(message))
        parts = tuple(encoded.split(TEMPLATE_ID))
        buttons = sum(b.get("type") == "button" for b in _buttons(message))
        return cls(match, context, message, parts if len(parts) == buttons + 1 else None,
                   len(encoded))

    def reply_for(self, request_id: str) -> tuple[dict[str, Any], Reply]:
        """The context and the reply for one request: its own id in every button."""
        return {**self.context, "r": request_id}, Reply(self, request_id)

    @functools.cached_property
    def reusable(self) -> bool:
        """Every button's value ends with the placeholder (so a reply can swap it).

        A value Slack's 2,000-character bound cut would not; such a reply is
        built afresh every time rather than kept.
        """
        return request_id_swappable(self.message, TEMPLATE_ID)


@dataclass(frozen=True)
class Reply:
    """One request's reply to a question, made from its `Asked` only as far as it is sent.

    In the ack it goes out as its JSON body: the kept encoding with this
    request's id spliced in (encoding the blocks anew was the largest cost
    left of a reply asked before). As a message (through response_url, or
    with a note added) its blocks are copied with the id swapped in.
    """

    asked: Asked
    request_id: str

    @property
    def message(self) -> render.Message:
        return with_request_id(self.asked.message, TEMPLATE_ID, self.request_id)

    def body_json(self) -> str | None:
        """`json.dumps(reply_body(self.message))`, or None where it was not kept."""
        parts = self.asked.body_parts
        return None if parts is None else self.request_id.join(parts)


def reply_body(message: render.Message) -> dict[str, Any]:
    """A reply only the asker sees, within Slack's limits: the same in an ack or late."""
    message = render.within_limits(message)
    return {"blocks": message.blocks, "text": message.text, "response_type": "ephemeral"}


class AskedCache:
    """The last `max_asked` questions' replies (`max_chars` at most), valid for one
    (index, approvals, day); the day is any key equal while the same entries are served
    and labelled (`AskCommand.ask` gives UTC's date and each plan's).

    `get` and `put` take the generation they were computed for; a request
    that sees a different one (a reload swapped the index, an approval
    replaced the approvals, the day turned) empties the record first. Index
    and approvals are compared by identity: both are replaced whole, never
    changed in place.
    """

    def __init__(self, max_asked: int = DEFAULT_MAX_ASKED,
                 max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.max_asked, self.max_chars = max_asked, max_chars
        self._generation: tuple[object, object, Hashable] | None = None
        self._asked: OrderedDict[str, Asked] = OrderedDict()
        self.chars = 0  # of the replies kept
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._asked)

    def get(self, generation: tuple[object, object, Hashable], question: str) -> Asked | None:
        if not self._current(generation):
            self._generation = generation
            self._asked.clear()
            self.chars = 0
        asked = self._asked.get(question)
        if asked is None:
            self.misses += 1
            return None
        self._asked.move_to_end(question)
        self.hits += 1
        return asked

    def put(self, generation: tuple[object, object, Hashable], question: str,
            asked: Asked) -> None:
        """Keep `asked`, unless the generation moved on while it was built, it cannot be
        reused (`Asked.reusable`) or it alone is over `max_chars`; the least recently
        asked go first to keep within both bounds."""
        if self.max_asked <= 0 or asked.chars > self.max_chars \
                or not self._current(generation) or not asked.reusable:
            return
        replaced = self._asked.pop(question, None)
        self.chars += asked.chars - (replaced.chars if replaced else 0)
        self._asked[question] = asked
        while len(self._asked) > self.max_asked or self.chars > self.max_chars:
            self.chars -= self._asked.popitem(last=False)[1].chars

    def _current(self, generation: tuple[object, object, Hashable]) -> bool:
        kept = self._generation
        return kept is not None and kept[0] is generation[0] and kept[1] is generation[1] \
            and kept[2] == generation[2]


def _request_id_suffix(request_id: str) -> str:
    """How `render.action_value` ends a button's value for this request id."""
    return f',"r":{json.encoder.encode_basestring_ascii(request_id)}}}'


def _buttons(message: render.Message) -> Iterator[dict]:
    for block in message.blocks:
        if "accessory" in block:
            yield block["accessory"]
        if block.get("type") == "actions":
            yield from block.get("elements", [])


def request_id_swappable(message: render.Message, request_id: str) -> bool:
    """Every button of `message` carries `request_id` at the end of its value, whole
    (Slack's 2,000-character bound on values did not cut it off)."""
    suffix = _request_id_suffix(request_id)
    return all(isinstance(b.get("value"), str) and b["value"].endswith(suffix)
               for b in _buttons(message) if b.get("type") == "button")


def with_request_id(message: render.Message, old: str, new: str) -> render.Message:
    """`message` as built for request id `new` instead of `old` (the same length).

    Only the blocks holding buttons are copied; the rest are shared between
    replies, so nothing may change a message's blocks in place (nothing does:
    every step, bolt's included, builds new ones).
    """
    before, after = _request_id_suffix(old), _request_id_suffix(new)

    def swapped(element: dict) -> dict:
        value = element.get("value")
        if element.get("type") != "button" or not isinstance(value, str) \
                or not value.endswith(before):
            return element
        return {**element, "value": value[:-len(before)] + after}

    blocks = []
    for block in message.blocks:
        if "accessory" in block:
            block = {**block, "accessory": swapped(block["accessory"])}
        if block.get("type") == "actions":
            block = {**block, "elements": [swapped(e) for e in block.get("elements", [])]}
        blocks.append(block)
    return render.Message(blocks, message.text)
