"""Approved words as Slack shows them: literally, never reformatted.

Slack's mrkdwn has no escape for `*`, `_`, `~` or a backtick, so approved words
sent as mrkdwn lose those marks and come out bold or struck through: what a press
officer reads and copies would differ from the source. Approved words therefore
go out as `rich_text` blocks, whose `text` elements Slack shows exactly as given
(no mrkdwn, no `:emoji:` codes, no `<@mentions>`); a Markdown link with a real
http(s) address becomes a `link` element, one without shows only its words.
The mrkdwn form (`approved_mrkdwn`) stays for places that can only take mrkdwn
(the alerts), and `split_text` cuts any text to Slack's per-block limit.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from bot.content.links import pieces as link_pieces

SECTION_LIMIT = 3000
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # RFC 3986 reserved and unreserved; no | < > or space


def escape(text: str) -> str:
    """Slack mrkdwn control characters, so user text and content stay plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.lru_cache(maxsize=4096)
def approved_mrkdwn(text: str) -> str:
    """Approved words as Slack mrkdwn: escaped, a Markdown link shown as its words.

    A link with a real http(s) address becomes a Slack link `<url|words>`; the
    address is percent-encoded and escaped, so content can never forge another
    link or a mention. A link going nowhere (`(#)`) shows only its words.
    Remembered per text: the same approved words are shown again and again.
    """
    return "".join(escape(p.text) if p.url is None
                   else f"<{escape(quote(p.url, safe=_URL_SAFE))}|{escape(p.text)}>"
                   for p in link_pieces(text))


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces no longer than `limit`, cut at paragraph, line or word breaks where possible.

    A hard cut never splits an escaped `&entity;`, which Slack would show broken.
    Linear in the length of `text`: it walks a start index rather than copying
    the rest at every cut (that copy made a 39 MB error message take minutes).
    """
    pieces: list[str] = []
    start, end = 0, len(text)
    while end - start > limit:
        window = text[start:start + limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= limit // 2:
            cut = limit
            amp = window.rfind("&", limit - 5)
            if amp > 0 and ";" not in window[amp:]:
                cut = amp
        pieces.append(window[:cut].rstrip())
        start += cut
        while start < end and text[start].isspace():
            start += 1
    rest = text[start:]
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


def _elements(text: str, bold: bool) -> list[dict]:
    """The rich text elements of one piece: literal runs, and links that go somewhere."""
    style = {"style": {"bold": True}} if bold else {}
    elements: list[dict] = []
    for piece in link_pieces(text):
        if not piece.text:
            continue
        if piece.url is None:
            elements.append({"type": "text", "text": piece.text, **style})
        else:
            elements.append({"type": "link", "url": quote(piece.url, safe=_URL_SAFE),
                             "text": piece.text, **style})
    return elements or [{"type": "text", "text": " "}]  # Slack refuses an empty section


def verbatim_blocks(text: str, bold: bool = False) -> list[dict]:
    """Approved words as rich_text blocks, each within Slack's 3,000 characters.

    `bold` styles the words (a Q&A question) without adding any characters to them.
    """
    return [{"type": "rich_text",
             "elements": [{"type": "rich_text_section", "elements": _elements(piece, bold)}]}
            for piece in split_text(text)]
