"""Word (.docx) documents as blocks, read with python-docx.

Word says what a paragraph is through its style ("Heading 2", "List Bullet 2",
"Title"), its list numbering (level 0, 1, ...) and its runs (all bold: a
heading written by hand). Tables are read cell by cell, in document order.

The words are those Word shows, read from the XML rather than python-docx's
`Paragraph.text`, which skips whatever is not a plain run of the paragraph: a
tracked insertion, a content control (a form field, a date picker), a simple
field, a paragraph wrapped in a content control, a table inside a cell. An
approved line missing a word is a wrong answer, and the verbatim check reads
sources through this reader too, so it could not catch it. Tracked changes
are read as accepted (insertions in, deletions out); hidden text is left
out. A merged cell is one `w:tc`, read once.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from bot.content.importing.blocks import _MARKER, Block, SourceError
from bot.content.records import replace

# A .docx is a zip: a file under the size limit can inflate to gigabytes of XML
# (1.5 MB -> 1.5 GB took 3 GB of memory to parse). A media plan's parts are a few MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# A media plan is a few hundred paragraphs; 100 MB of XML holds a million, and reading
# each costs about half a millisecond, at every load (the verbatim check reads sources).
MAX_PARAGRAPHS = 20_000

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Inside a paragraph: what Word does not show as its words (properties, deleted or
# moved-away text, field codes, a control's settings, drawings and text boxes).
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_HIDDEN = frozenset(_W + name for name in (
    "pPr", "rPr", "del", "moveFrom", "sdtPr", "sdtEndPr", "smartTagPr", "customXmlPr",
    "rt", "fldData")) | {
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"}
# Around paragraphs: what holds them (tables, rows, cells, content controls, custom XML).
_HOLDERS = frozenset(_W + name for name in (
    "tbl", "tr", "tc", "sdt", "sdtContent", "customXml"))
# A table's first row heading its columns: a few words each, no sentence.
_HEADING_CELL = re.compile(r"^[^.!?]{0,40}$")
_POINTS_COLUMN = re.compile(r"(?i)^((supporting|proof|sub) ?-?points?|supporting (facts|"
                            r"messages?|lines?)|points?|evidence|proof)\s*:?$")
# A column heading naming approved words; any other ("Owner", "Topic", "Status") does not.
_APPROVED_COLUMN = re.compile(
    r"(?i)^(q|a|questions?|answers?|responses?|((key|core|main|top ?-?line) )?messages?|"
    r"talking points?|points?( to make)?|sound ?bites?|lines?( to take)?|statements?|"
    r"(supporting|proof) points?|if asked|approved (language|text|wording|lines?)|"
    r"wording|text)\s*:?$")


def read_docx(path: Path) -> list[Block]:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:  # pragma: no cover - a dependency of the package
        raise SourceError("reading .docx needs python-docx (pip install python-docx)") from None
    _check_unpacked_size(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as failed:
        raise SourceError(f"{path.name}: not a readable Word document ({failed})") from None
    except Exception as failed:  # lxml and zip errors of a damaged file
        raise SourceError(f"{path.name}: not a readable Word document "
                          f"({type(failed).__name__})") from None
    paragraphs = sum(1 for _ in document.element.body.iter(_W + "p"))
    if paragraphs > MAX_PARAGRAPHS:  # the verbatim check reads the source at every load
        raise SourceError(f"{path.name}: {paragraphs} paragraphs, too many for a media plan "
                          f"(at most {MAX_PARAGRAPHS})")
    blocks: list[Block] = []
    known: dict[tuple, object] = {}  # styles and list formats, looked up once per document
    for number, (paragraph, aside, depth) in enumerate(_paragraphs(document), start=1):
        block = _block(paragraph, number, known)
        if block is None:
            continue
        if depth is not None:  # a message table's cell: the message, or one of its points
            block = replace(block, indent=depth, marker=block.marker or "•", heading=0,
                            bold=False)
        aside = aside or ("struck through in the document" if _struck(paragraph._p) else "")
        blocks.append(replace(block, aside=aside) if aside else block)
    return blocks


def _check_unpacked_size(path: Path) -> None:
    """Refuse a document whose parts inflate past MAX_UNPACKED_BYTES, before parsing any.

    zipfile never yields more than an entry's declared size, so the sum bounds what
    python-docx will read."""
    try:
        with zipfile.ZipFile(path) as packed:
            unpacked = sum(item.file_size for item in packed.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # python-docx says why, in the usual line
    if unpacked > MAX_UNPACKED_BYTES:
        raise SourceError(f"{path.name}: unpacks to {unpacked} bytes, too large for a media "
                          f"plan (at most {MAX_UNPACKED_BYTES // (1024 * 1024)} MB)")


def _paragraphs(document) -> Iterator:
    """Every paragraph, in the order it appears: in the body, in tables (nested ones
    too), in content controls; each with why it holds no approved words, if it holds
    none (a table's column headings, a column headed "Owner")."""
    from docx.text.paragraph import Paragraph

    parent = document._body
    for element, aside, depth in _paragraph_elements(document.element.body, ""):
        yield Paragraph(element, parent), aside, depth


def _paragraph_elements(holder, aside: str, depth: int | None = None) -> Iterator:
    """(paragraph, why it is set aside or "", its list depth in a message table or None)."""
    for child in holder.iterchildren():
        if child.tag == _W + "p":
            yield child, aside, depth
            yield from _text_boxes(child, aside)
        elif child.tag == _W + "tbl" and not aside and depth is None:
            yield from _table(child)
        elif child.tag in _HOLDERS:
            yield from _paragraph_elements(child, aside, depth)


def _text_boxes(paragraph, aside: str) -> Iterator:
    """The paragraphs of the text boxes anchored in a paragraph, after it. Word keeps a
    box's words twice, for new Word (mc:Choice) and old (mc:Fallback): read once."""
    for box in paragraph.iter(_W + "txbxContent"):
        inside = (a.tag for a in box.iterancestors() if a is not paragraph)
        if not any(tag in (_FALLBACK, _W + "txbxContent") for tag in inside):
            yield from _paragraph_elements(box, aside)


def _table(table) -> Iterator:
    """A table's paragraphs, row by row. When its first row heads the columns and some
    heading names no approved words ("Question | Answer | Owner", "Topic | Talking
    point"), that row is left out (labels, as "Question | Answer" alone always were)
    and the cells of those columns are set aside, each with the reason. When a column
    holds supporting points ("Key message | Supporting points"), each row is a list
    item, the message, with its points nested under it."""
    rows = table.findall(_W + "tr")
    headings = [_cell_text(cell) for cell in (rows[0].findall(_W + "tc") if rows else ())
                for _ in range(_span(cell))]  # one per grid column
    words = [_APPROVED_COLUMN.match(heading) is not None for heading in headings]
    if len(headings) < 2 or not any(words) \
            or not all(_HEADING_CELL.match(heading) for heading in headings):
        yield from _paragraph_elements(table, "")
        return
    points = [_POINTS_COLUMN.match(heading) is not None for heading in headings]
    if all(words) and not (any(points) and not all(points)):
        yield from _paragraph_elements(table, "")  # "Question | Answer": read as it is
        return
    for row in rows[1:]:
        column = 0
        for cell in row.findall(_W + "tc"):
            heading = headings[column] if column < len(headings) else ""
            aside = "" if column < len(words) and words[column] else \
                f"in a table column headed “{heading}”, not approved words"
            depth = (1 if points[column] else 0) if any(points) and not aside else None
            yield from _paragraph_elements(cell, aside, depth)
            column += _span(cell)


def _cell_text(cell) -> str:
    return " ".join(_shown_text(p) for p in cell.iter(_W + "p")).strip()


def _span(cell) -> int:
    span = cell.find(f"{_W}tcPr/{_W}gridSpan")
    value = span.get(_W + "val") if span is not None else None
    return int(value) if value and value.isdigit() else 1


def _shown_text(element) -> str:
    """The words Word shows in a paragraph (or part of one), tracked changes accepted."""
    parts: list[str] = []
    for child in element.iterchildren():
        tag = child.tag
        if tag == _W + "r":
            if not _hidden(child):
                parts.append(child.text)  # python-docx's run text: w:t, tabs, breaks, hyphens
        elif isinstance(tag, str) and tag not in _HIDDEN:
            parts.append(_shown_text(child))  # w:ins, w:sdt, w:hyperlink, w:fldSimple, ...
    return "".join(parts)


def _struck(paragraph) -> bool:
    """Every word of the paragraph crossed out: a line withdrawn without deleting it."""
    runs = [run for run in paragraph.iter(_W + "r") if run.text.strip() and not _hidden(run)]
    return bool(runs) and all(_on(run, "strike") or _on(run, "dstrike") for run in runs)


def _on(run, name: str) -> bool:
    """A run's own on/off property (w:b, w:strike, w:vanish...) is on."""
    properties = run.find(_W + "rPr")
    found = properties.find(_W + name) if properties is not None else None
    return found is not None and found.get(_W + "val", "true") not in ("0", "false", "off")


def _hidden(run) -> bool:
    """A run in Word's Hidden font: the author hid it, no reader of the plan sees it."""
    return _on(run, "vanish")


def _block(paragraph, number: int, known: dict[tuple, object]) -> Block | None:
    text = _shown_text(paragraph._p).replace("\t", " ").strip()
    if not text:
        return None
    style_id = paragraph._p.style
    if ("style", style_id) not in known:  # python-docx searches the styles part each time
        known["style", style_id] = paragraph.style
    style_of = known["style", style_id]
    style = (style_of.name if style_of is not None else "") or ""
    heading = _heading_level(style)
    level = _list_level(paragraph, style)
    if heading:
        return Block(text, number, heading=heading, titled=style == "Title")
    if level is not None:
        return Block(text, number, indent=level, marker="•",
                     numbered=_numbered(paragraph, style_of, level, known))
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


def _numbered(paragraph, style, level: int, known: dict[tuple, object]) -> bool:
    """Word numbers this list item (1., a), i.) rather than bulleting it: its numbering,
    set on the paragraph or its style, has a format other than "bullet" at its level.
    A numbered question is set apart from the bulleted points of an answer."""
    numbering = _numbering_of(paragraph._p.pPr)
    if numbering is None and style is not None:
        if ("style numbering", style.style_id) not in known:
            known["style numbering", style.style_id] = _numbering_of_style(style)
        numbering = known["style numbering", style.style_id]
    if numbering is None:
        return False
    if ("format", numbering, level) not in known:
        known["format", numbering, level] = _numbering_format(paragraph, numbering, level)
    return bool(known["format", numbering, level])


def _numbering_format(paragraph, numbering: int, level: int) -> bool:
    try:
        definitions = paragraph.part.numbering_part.element
    except (AttributeError, KeyError, NotImplementedError):
        return False
    abstract = definitions.xpath(f'./w:num[@w:numId="{numbering}"]/w:abstractNumId/@w:val')
    if not abstract:
        return False
    formats = definitions.xpath(f'./w:abstractNum[@w:abstractNumId="{int(abstract[0])}"]'
                                f'/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val')
    return bool(formats) and formats[0] not in ("bullet", "none")


def _numbering_of(properties) -> int | None:
    """The numId that paragraph properties (a paragraph's or a style's) set, if any."""
    number = properties.numPr if properties is not None else None
    if number is not None and number.numId is not None:
        return int(number.numId.val)
    return None


def _numbering_of_style(style) -> int | None:
    """The numId a paragraph style sets, itself or through the styles it is based on."""
    while style is not None:
        found = _numbering_of(style.element.pPr)
        if found is not None:
            return found
        style = style.base_style
    return None


def _indent_of(paragraph) -> int:
    indent = paragraph.paragraph_format.left_indent
    return int(indent.pt // 18) if indent else 0


def _all_bold(paragraph) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold or (run.style is not None and run.style.font.bold)
                              for run in runs)
