"""What a Slack request tells us: who asked, where, and which subcommand.

Every log row needs the same four facts (user, name, channel, team), whether
the request was a slash command or a button click; `parse_command` reads
`/facts` text into a subcommand and its argument, and anything that is not a
subcommand is a question; `slack_plain_text` turns Slack's markup of what was
typed ("&amp;", links, mentions) back into the typed text.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from bot.content import KINDS
from bot.service.jsonlog import bind_request_id

SUBCOMMANDS = ("help", "list", "show", "events", "reload", "stats", "approve", "check")


@dataclass(frozen=True)
class Who:
    """Who asked, and where: what every log row needs."""

    user_id: str
    user_name: str
    channel_id: str
    team_id: str

    @classmethod
    def from_command(cls, command: dict) -> Who:
        return cls(command.get("user_id", ""), command.get("user_name", ""),
                   command.get("channel_id", ""), command.get("team_id", ""))

    @classmethod
    def from_action(cls, body: dict) -> Who:
        user = body.get("user") or {}
        return cls(user.get("id", ""), user.get("username") or user.get("name", ""),
                   (body.get("channel") or {}).get("id", ""),
                   (body.get("team") or {}).get("id", "") or user.get("team_id", ""))


def new_request_id() -> str:
    """A fresh id for one request, bound to the current task's log lines.

    Sixteen hex digits as before (uuid4's), from the process's seeded generator
    rather than a system call per request: the id must be unique, not secret
    (it names a request in the log and in its reply's buttons, which only
    Slack's signed requests carry back).
    """
    request_id = f"{random.getrandbits(64):016x}"
    bind_request_id(request_id)
    return request_id


def parse_command(text: str) -> tuple[str, str]:
    """('help'|'list'|'show'|'events'|'reload'|'stats'|'approve'|'check'|'ask', the rest)."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return "help", ""
    first, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if first in SUBCOMMANDS and (
        first in ("list", "show", "approve", "check") or not rest
    ) and not _asks(first, rest):
        return first, rest.strip()
    return "ask", text.strip()


def _asks(first: str, rest: str) -> bool:
    """Whether `show ...`/`list ...` is a question ("show me the numbers", "list of
    arrests"): an id is one word, and a kind is a kind. A single word that is
    neither stays the subcommand's, which says what it expected."""
    if len(rest.split()) < 2:
        return False
    return first == "show" or (first == "list" and kind_named(rest) is None)


def kind_named(argument: str) -> str | None:
    """The kind an argument names ("sound bites", "Q&A", "talking-point"), or None."""
    kind = argument.strip().lower().replace(" ", "_").replace("-", "_")
    kind = {"q&a": "qa", "q_a": "qa"}.get(kind, kind)
    if kind not in KINDS and kind.rstrip("s") in KINDS:
        kind = kind.rstrip("s")
    return kind if kind in KINDS else None


_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def slack_plain_text(text: str) -> str:
    """Slack's message markup back to what the person typed: links, mentions, entities."""
    def unlink(found: re.Match) -> str:
        target, label = found.group(1), found.group(2)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        if label:
            return label
        return target.removeprefix("mailto:")

    plain = _SLACK_LINK.sub(unlink, text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
