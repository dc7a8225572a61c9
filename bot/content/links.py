"""Markdown links inside approved text: what their words are and where they point.

Plans are often written in Markdown or converted to it, so approved text can
carry `[CRCL complaint intake Web site](#)`. The stored text stays exactly as
the source has it; only display changes: every surface shows a link's words,
and the address too when it is a real web address. A target that goes
nowhere (`#`, empty, a relative path, `javascript:`) is dropped, never shown
as a dead link or as literal brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from bot.content.records import record

# [words](target), [words](<target>) and either with a "title"; words on one line, no
# nested brackets; a bare target has no spaces or parentheses (CommonMark's rules, simplified).
_LINK = re.compile(r"\[(?P<words>[^\[\]\n]+)\]\(\s*(?:<(?P<angled>[^<>\n]*)>|(?P<bare>[^\s()]*))"
                   r"(?:\s+\"[^\"\n]*\")?\s*\)")


@record
class Piece:
    """A run of approved text: plain words, or a link's words and its real target."""

    text: str
    url: str | None = None  # only an http(s) address with a host; None for plain text


def real_url(target: str) -> str | None:
    """The target if it is an http(s) address with a host, else None (goes nowhere)."""
    try:
        parts = urlsplit(target)
        hostname = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return None
    if any(ord(c) < 33 or ord(c) == 127 for c in target):
        return None
    if hostname.isascii():
        return target
    try:  # an international domain name: the ASCII form every client can open
        host = hostname.encode("idna").decode("ascii")
        port = f":{parts.port}" if parts.port else ""
    except (UnicodeError, ValueError):
        return None
    return parts._replace(netloc=host + port).geturl()


def pieces(text: str) -> Iterator[Piece]:
    """The text in order: plain runs as they are, each link as its words (and real url)."""
    at = 0
    for link in _LINK.finditer(text):
        if not link["words"].strip():
            continue  # "[ ](x)" has no words to show: left as written
        if link.start() > at:
            yield Piece(text[at:link.start()])
        yield Piece(link["words"], real_url(link["angled"] or link["bare"] or ""))
        at = link.end()
    if at < len(text) or not text:
        yield Piece(text[at:])


def has_links(text: str) -> bool:
    return _LINK.search(text) is not None


def plain_words(text: str) -> str:
    """For a terminal or plain text: a link as its words, then "(url)" when it has one."""
    if not has_links(text):
        return text
    return "".join(p.text if p.url is None or p.url == p.text else f"{p.text} ({p.url})"
                   for p in pieces(text))
