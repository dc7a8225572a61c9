"""Reading a plan document of any format we know into blocks.

One door for the importer and the verbatim check alike: the format comes
from the file name, size and encoding are checked before anything is parsed,
and every failure is a SourceError with one line saying why.
"""

from __future__ import annotations

from pathlib import Path

from bot.content.importing.blocks import Block, SourceError, text_blocks, without_comments

MAX_SOURCE_BYTES = 20 * 1024 * 1024  # a media plan is a few pages; refuse anything absurd
# Each load reads the source again (the verbatim check): 20 MB of short lines took 8 s.
MAX_LINES = 50_000
FORMATS = (".txt", ".md", ".markdown", ".docx")


def read_blocks(path: Path) -> list[Block]:
    """The blocks of a .txt, .md or .docx document; SourceError when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise SourceError(f"{path.name}: not a format we read (use {', '.join(FORMATS)})")
    try:
        size = path.stat().st_size
    except OSError as failed:
        raise SourceError(f"{path}: cannot be read: {failed.strerror or failed}") from None
    if size > MAX_SOURCE_BYTES:
        raise SourceError(f"{path.name}: {size} bytes is too large for a media plan "
                          f"(at most {MAX_SOURCE_BYTES // (1024 * 1024)} MB)")
    if suffix == ".docx":
        # Only here: the Word reader (zipfile, then python-docx) is not needed to
        # check a .txt or .md source, which `facts-bot ask` does on every run.
        from bot.content.importing.word import read_docx
        return read_docx(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as failed:
        raise SourceError(f"{path.name}: not UTF-8 text (byte {failed.start}); save it as "
                          "UTF-8") from None
    except OSError as failed:
        raise SourceError(f"{path}: cannot be read: {failed.strerror or failed}") from None
    if "\x00" in text:
        raise SourceError(f"{path.name}: binary data, not a text document")
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > MAX_LINES:
        raise SourceError(f"{path.name}: {lines} lines, too many for a media plan "
                          f"(at most {MAX_LINES})")
    markdown = suffix in (".md", ".markdown")
    if markdown:
        text = without_comments(text)
    return text_blocks(text.splitlines(), markdown=markdown)
