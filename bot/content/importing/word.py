"""Word (.docx) documents as blocks, read with python-docx.

Word says what a paragraph is through its style ("Heading 2", "List Bullet 2",
"Title"), its list numbering (level 0, 1, ...) and its runs (all bold: a
heading written by hand). Tables are read cell by cell, in document order.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from bot.content.importing.blocks import _MARKER, Block, SourceError


def read_docx(path: Path) -> list[Block]:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:  # pragma: no cover - a dependency of the package
        raise SourceError("reading .docx needs python-docx (pip install python-docx)") from None
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as failed:
        raise SourceError(f"{path.name}: not a readable Word document ({failed})") from None
    except Exception as failed:  # lxml and zip errors of a damaged file
        raise SourceError(f"{path.name}: not a readable Word document "
                          f"({type(failed).__name__})") from None
    blocks: list[Block] = []
    for number, paragraph in enumerate(_paragraphs(document), start=1):
        block = _block(paragraph, number)
        if block is not None:
            blocks.append(block)
    return blocks


def _paragraphs(document) -> Iterator:
    """Body paragraphs and table-cell paragraphs, in the order they appear."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item
        elif isinstance(item, Table):
            for row in item.rows:
                for cell in row.cells:
                    yield from cell.paragraphs


def _block(paragraph, number: int) -> Block | None:
    text = paragraph.text.replace("\t", " ").strip()
    if not text:
        return None
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = _heading_level(style)
    level = _list_level(paragraph, style)
    if heading:
        return Block(text, number, heading=heading)
    if level is not None:
        return Block(text, number, indent=level, marker="•")
    typed = _MARKER.match(text)
    if typed:  # a bullet typed by hand ("• ", "- ", "1. ")
        indent = _indent_of(paragraph)
        return Block(typed["text"].strip(), number, indent, typed["marker"])
    return Block(text, number, _indent_of(paragraph), bold=_all_bold(paragraph))


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    found = re.fullmatch(r"Heading (\d)", style)
    return int(found[1]) if found else 0


def _list_level(paragraph, style: str) -> int | None:
    """0 for a top-level list item, 1 for nested, ...; None when not a list item."""
    properties = paragraph._p.pPr
    numbering = properties.numPr if properties is not None else None
    if numbering is not None and numbering.numId is not None:
        level = numbering.ilvl.val if numbering.ilvl is not None else 0
        return int(level)
    listed = re.fullmatch(r"List(?: Bullet| Number| Continue)?(?: (\d))?", style)
    if listed and style != "List Paragraph":
        return int(listed[1]) - 1 if listed[1] else 0
    if style == "List Paragraph":
        return _indent_of(paragraph)
    return None


def _indent_of(paragraph) -> int:
    indent = paragraph.paragraph_format.left_indent
    return int(indent.pt // 18) if indent else 0


def _all_bold(paragraph) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold or (run.style is not None and run.style.font.bold)
                              for run in runs)
