"""`facts-bot import` of Word documents as an author writes them: what Word shows is imported.

A plan still carrying tracked changes, content controls (a form field, a
date picker), nested tables or merged cells must give the words a reader of
the document sees, each once; an approved answer missing a word is a wrong
answer. Each test imports through the command line and asks the result, as
a comms admin would.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from bot.cli import main


def _plan(title: str) -> docx.document.Document:
    document = docx.Document()
    document.add_heading(title, 0)
    document.add_paragraph("City Parks Department")
    document.add_paragraph("March 3, 2026")
    document.add_paragraph("Contact: Dana Ortiz, 555-010-4411")
    return document


def _run(text: str, tag: str = "w:t") -> OxmlElement:
    run, words = OxmlElement("w:r"), OxmlElement(tag)
    words.text = text
    words.set(qn("xml:space"), "preserve")
    run.append(words)
    return run


def _tracked(kind: str, text: str) -> OxmlElement:
    """A tracked insertion (`w:ins`) or deletion (`w:del`) of `text`."""
    change = OxmlElement(kind)
    for name, value in (("w:id", "1"), ("w:author", "Editor"), ("w:date", "2026-03-01T00:00:00Z")):
        change.set(qn(name), value)
    change.append(_run(text, "w:delText" if kind == "w:del" else "w:t"))
    return change


def _control(*children: OxmlElement) -> OxmlElement:
    """A content control (`w:sdt`) holding `children`."""
    control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    control.append(OxmlElement("w:sdtPr"))
    for child in children:
        content.append(child)
    control.append(content)
    return control


def _import_and_ask(source: Path, out: Path, query: str, capsys) -> dict:
    assert main(["import", str(source), "--out", str(out)]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(["ask", "--knowledge", str(out), "--json", query]) == 0
    return json.loads(capsys.readouterr().out)


def _texts(out: Path, capsys, kind: str) -> list[str]:
    assert main(["ask", "--knowledge", str(out), "--json", "--limit", "50", "anything"]) == 0
    capsys.readouterr()
    from bot.content import load_snapshot
    return [e.text for e in load_snapshot(out).entries if e.kind == kind]


def test_tracked_changes_and_content_controls_read_as_word_shows_them(tmp_path, capsys):
    document = _plan("Park Renovation media plan")
    document.add_heading("Sound bites", 1)
    changed = document.add_paragraph(style="List Bullet")
    changed.add_run("The park reopens in ")
    changed._p.append(_tracked("w:ins", "late "))
    changed._p.append(_tracked("w:del", "early "))
    changed.add_run("June.")
    filled = document.add_paragraph(style="List Bullet")
    filled.add_run("Libraries open ")
    filled._p.append(_control(_run("seven")))
    filled.add_run(" days a week.")
    wrapped = document.add_paragraph("Late returns are never fined.", style="List Bullet")
    body = document.element.body
    body.remove(wrapped._p)
    body.insert(body.index(filled._p) + 1, _control(wrapped._p))
    source = tmp_path / "park.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "when does the park reopen", capsys)
    assert asked["results"][0]["text"] == "The park reopens in late June."
    texts = _texts(out, capsys, "sound_bite")
    assert "Libraries open seven days a week." in texts
    assert "Late returns are never fined." in texts
    assert not any("early" in text for text in texts)


def test_nested_tables_are_read_and_a_merged_cell_once(tmp_path, capsys):
    document = _plan("Transit Fare media plan")
    document.add_heading("Talking points", 1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Fares stay at two dollars."
    table.cell(0, 1).text = "Transfers are free for ninety minutes."
    inner = table.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "Night buses run every twenty minutes."
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Seniors ride free all year."
    source = tmp_path / "fares.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "how often do night buses run", capsys)
    assert asked["results"][0]["text"] == "Night buses run every twenty minutes."
    texts = _texts(out, capsys, "talking_point")
    assert sorted(texts) == sorted(["Fares stay at two dollars.",
                                    "Transfers are free for ninety minutes.",
                                    "Night buses run every twenty minutes.",
                                    "Seniors ride free all year."])


@pytest.mark.parametrize("command", ["import", "validate"])
def test_a_docx_that_inflates_past_the_limit_is_refused_before_parsing(tmp_path, capsys,
                                                                       monkeypatch, command):
    from bot.content.importing import word
    document = _plan("Harbor media plan")
    document.add_heading("Sound bites", 1)
    document.add_paragraph("The harbor is open.", style="List Bullet")
    source = tmp_path / "harbor.docx"
    document.save(str(source))
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(bomb, "w",
                                                              zipfile.ZIP_DEFLATED) as packed:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "word/document.xml":  # whitespace the XML parser must hold
                data = data.replace(b"</w:body>", b" " * 3_000_000 + b"</w:body>")
            packed.writestr(item.filename, data)
    assert bomb.stat().st_size < 100_000
    monkeypatch.setattr(word, "MAX_UNPACKED_BYTES", 2_000_000)
    capsys.readouterr()
    if command == "import":
        code = main(["import", str(bomb), "--out", str(tmp_path / "bombed")])
    else:
        (out / "harbor.docx").write_bytes(bomb.read_bytes())
        code = main(["validate", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "harbor.docx" in err or "bomb.docx" in err
    assert "unpacks to" in err and "too large" in err


def _numbered_directly(paragraph, number_id: int) -> None:
    """List numbering set on the paragraph itself, as Word does for a list typed in place."""
    numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = number_id


def test_questions_in_a_word_numbered_list_are_questions(tmp_path, capsys):
    document = _plan("Wildfire Smoke media plan")
    document.add_heading("Anticipated questions", 1)
    document.add_paragraph("Is it safe to go outside?", style="List Number")
    document.add_paragraph("People with asthma should stay indoors until the air clears.")
    decimal = next(int(n.get(qn("w:numId"))) for n in document.part.numbering_part.element
                   .xpath("./w:num") if document.part.numbering_part.element.xpath(
                       f'./w:abstractNum[@w:abstractNumId="{n.xpath("./w:abstractNumId/@w:val")[0]}"]'
                       '/w:lvl[@w:ilvl="0"]/w:numFmt/@w:val') == ["decimal"])
    _numbered_directly(document.add_paragraph("Will schools close?"), decimal)
    document.add_paragraph("Schools stay open; outdoor recess moves inside.")
    source = tmp_path / "smoke.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "is it safe to go outside", capsys)
    assert asked["results"][0]["text"] == ("People with asthma should stay indoors until the "
                                           "air clears.")
    capsys.readouterr()
    assert main(["ask", "--knowledge", str(out), "--json", "will schools close"]) == 0
    schools = json.loads(capsys.readouterr().out)["results"][0]
    assert schools["text"] == "Schools stay open; outdoor recess moves inside."


def test_a_heading_in_a_qa_section_that_asks_nothing_ends_the_answer_above(tmp_path, capsys):
    """Questions as Word headings, and one topic heading among them: the topic and the
    words under it must not be served as part of the answer to the question before."""
    document = _plan("Transit Strike media plan")
    document.add_heading("Q&A", 1)
    document.add_heading("Will trains run?", 3)
    document.add_paragraph("Trains run on a Sunday schedule.")
    document.add_heading("Cost of overtime", 3)
    document.add_paragraph("Overtime is paid from the reserve fund.")
    document.add_heading("Who pays for it?", 3)
    document.add_paragraph("The reserve fund, approved by the board in May.")
    source = tmp_path / "strike.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "will trains run", capsys)
    assert asked["results"][0]["text"] == "Trains run on a Sunday schedule."
    capsys.readouterr()
    assert main(["ask", "--knowledge", str(out), "--json", "who pays for it"]) == 0
    paying = json.loads(capsys.readouterr().out)["results"][0]
    assert paying["text"] == "The reserve fund, approved by the board in May."


def test_hidden_text_is_not_imported(tmp_path, capsys):
    """Word's Hidden font: the author hid it, nobody reading the plan sees it."""
    document = _plan("Beach Closure media plan")
    document.add_heading("Key messages", 1)
    shown = document.add_paragraph(style="List Bullet")
    shown.add_run("Beaches reopen when two tests come back clean.")
    shown.add_run(" Lab results are delayed by the contractor.").font.hidden = True
    document.add_paragraph(style="List Bullet").add_run(
        "The lawsuit will be settled next week.").font.hidden = True
    document.add_paragraph("Test results are posted daily.", style="List Bullet")
    source = tmp_path / "beach.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "when do beaches reopen", capsys)
    assert asked["results"][0]["text"] == "Beaches reopen when two tests come back clean."
    texts = _texts(out, capsys, "sound_bite")
    assert sorted(texts) == ["Beaches reopen when two tests come back clean.",
                             "Test results are posted daily."]


def test_a_word_title_naming_a_kind_of_section_is_the_plans_title(tmp_path, capsys):
    """"... messaging" names talking points; as the document's Title it must not make
    the press contact line a talking point (a line to say)."""
    document = docx.Document()
    document.add_heading("Recycling Changes messaging", 0)
    document.add_paragraph("Contact: Sam Lee, 555-010-9999")
    document.add_heading("Key messages", 1)
    document.add_paragraph("Glass goes in the blue bin.", style="List Bullet")
    source = tmp_path / "recycling.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "contact sam lee", capsys)
    assert [r["kind"] for r in asked["results"]] == ["contact"]
    from bot.content import load_snapshot
    assert sorted(e.kind for e in load_snapshot(out).entries) == ["contact", "sound_bite"]


def test_a_tables_other_columns_are_not_approved_words(tmp_path, capsys):
    """A Q&A table with an Owner column, talking points beside their Topic: read cell by
    cell, the owner's name was served as part of the answer and each topic word as a
    talking point. The columns that hold no approved words are reported instead."""
    document = _plan("Road Salt Shortage media plan")
    document.add_heading("Talking points", 1)
    points = document.add_table(rows=3, cols=2)
    for row, (topic, point) in enumerate([("Topic", "Talking point"),
                                          ("Supply", "We have enough salt for twelve storms."),
                                          ("Cost", "Salt costs rose 40 percent this year.")]):
        points.cell(row, 0).text, points.cell(row, 1).text = topic, point
    document.add_heading("Q&A", 1)
    qa = document.add_table(rows=2, cols=3)
    for column, text in enumerate(["Question", "Answer", "Owner"]):
        qa.cell(0, column).text = text
    qa.cell(1, 0).text = "Why are side streets last?"
    qa.cell(1, 1).text = "Main roads carry buses and ambulances."
    qa.cell(1, 2).text = "J. Ruiz"
    source = tmp_path / "salt.docx"
    document.save(str(source))
    out = tmp_path / "out"

    assert main(["import", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for aside in ("'J. Ruiz'", "'Supply'", "'Cost'"):
        assert f"{aside} (in a table column headed" in printed
    assert main(["ask", "--knowledge", str(out), "--json", "why are side streets last"]) == 0
    answer = json.loads(capsys.readouterr().out)["results"][0]
    assert answer["text"] == "Main roads carry buses and ambulances."
    assert sorted(_texts(out, capsys, "talking_point")) == [
        "Salt costs rose 40 percent this year.", "We have enough salt for twelve storms."]


_BOX = ('<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>'
        '<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing>'
        '</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r>'
        '<w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>'
        '</mc:Fallback></mc:AlternateContent></w:r>')


def test_a_line_in_a_text_box_is_read_once(tmp_path, capsys):
    """A callout box among the talking points: Word keeps its words twice (for new and
    old versions of Word); it was dropped without a word."""
    from docx.oxml import parse_xml
    document = _plan("Transit Strike media plan")
    document.add_heading("Talking points", 1)
    document.add_paragraph("Riders can check the app for delays.", style="List Bullet")
    document.add_paragraph()._p.append(parse_xml(_BOX.format(
        text="Fares are waived during the strike.")))
    source = tmp_path / "strike.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "are fares waived during the strike", capsys)
    assert asked["results"][0]["text"] == "Fares are waived during the strike."
    assert sorted(_texts(out, capsys, "talking_point")) == [
        "Fares are waived during the strike.", "Riders can check the app for delays."]


def test_a_struck_through_line_is_reported_not_drafted(tmp_path, capsys):
    """Authors strike out a withdrawn line rather than delete it: Word shows it crossed
    out, and it was served as an approved sound bite."""
    document = _plan("Beach Closure media plan")
    document.add_heading("Key messages", 1)
    document.add_paragraph(style="List Bullet").add_run(
        "Swimming is safe at every beach.").font.strike = True
    document.add_paragraph("Test results are posted daily.", style="List Bullet")
    source = tmp_path / "beach.docx"
    document.save(str(source))
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    assert "'Swimming is safe at every beach.' (struck through" in capsys.readouterr().out
    assert _texts(out, capsys, "sound_bite") == ["Test results are posted daily."]


def test_a_message_table_gives_each_message_its_supporting_points(tmp_path, capsys):
    """"Key message | Supporting points", a row per message: read cell by cell, the header
    became two sections and every message and point a separate talking point."""
    document = _plan("Transit Strike media plan")
    document.add_heading("Key messages", 1)
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Key message", "Supporting points"
    table.cell(1, 0).text = "Buses will keep running during the strike."
    table.cell(1, 1).text = "Managers are trained to drive."
    table.cell(1, 1).add_paragraph("Routes 1 to 9 run every 20 minutes.")
    table.cell(2, 0).text = "Riders will get refunds for missed trips."
    table.cell(2, 1).text = "Claims open on the app on Monday."
    source = tmp_path / "strike.docx"
    document.save(str(source))
    out = tmp_path / "out"

    asked = _import_and_ask(source, out, "will buses keep running during the strike", capsys)
    best = asked["results"][0]
    assert (best["kind"], best["text"]) == ("sound_bite", "\n".join([
        "Buses will keep running during the strike.", "  - Managers are trained to drive.",
        "  - Routes 1 to 9 run every 20 minutes."]))
    from bot.content import load_snapshot
    bites = {e.text: e.supporting for e in load_snapshot(out).entries if e.kind == "sound_bite"}
    assert bites == {
        "Buses will keep running during the strike.": ("Managers are trained to drive.",
                                                       "Routes 1 to 9 run every 20 minutes."),
        "Riders will get refunds for missed trips.": ("Claims open on the app on Monday.",)}


def test_a_document_of_too_many_paragraphs_is_refused_in_one_line(tmp_path, capsys,
                                                                  monkeypatch):
    """Tiny paragraphs pack by the million under the size limits, and each load reads
    the source again (the verbatim check): refused, not read for minutes."""
    from bot.content.importing import word
    monkeypatch.setattr(word, "MAX_PARAGRAPHS", 50)
    document = _plan("Harbor media plan")
    document.add_heading("Talking points", 1)
    for number in range(60):
        document.add_paragraph(f"Point {number} is made.", style="List Bullet")
    source = tmp_path / "long.docx"
    document.save(str(source))
    code = main(["import", str(source), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "long.docx: 65 paragraphs, too many for a media plan (at most 50)" in err
