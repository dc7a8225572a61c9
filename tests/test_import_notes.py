"""`facts-bot import`: a plan's notes to its own staff are never imported as words to say.

Authors write "Note to spokesperson: ...", "[Internal: ...]" or "(Do not use
until ...)" right under an answer or among the messages. Drafted into the
approved text, such a note would be read to a reporter as the office's
answer. The importer leaves each one out and names it, with its line, for the
author to place; the rest of the answer and its points stay as written, and
the draft still validates.
"""

from __future__ import annotations

import json
from pathlib import Path

import docx

from bot.cli import main


def _notes_plan(folder: Path) -> Path:
    document = docx.Document()
    document.add_heading("Wildfire Smoke media plan", 0)
    document.add_paragraph("Office of Emergency Management")
    document.add_paragraph("April 14, 2026")
    document.add_paragraph("Contact: Lee Park, 555-010-2222")
    document.add_heading("Anticipated questions", 1)
    document.add_paragraph().add_run("Will schools close?").bold = True
    document.add_paragraph("Schools stay open; outdoor recess moves inside.")
    document.add_paragraph("Note to spokesperson: do not speculate about closures next week.")
    document.add_paragraph().add_run("[Internal: the board has not yet met.]").italic = True
    document.add_paragraph().add_run("Is the air safe to breathe?").bold = True
    document.add_paragraph("People with asthma should stay indoors.")
    document.add_heading("Key messages", 1)
    document.add_paragraph("Stay indoors when the sky is orange.", style="List Bullet")
    document.add_paragraph("NOTE: lead with this in TV interviews.", style="List Bullet")
    document.add_paragraph("Check airnow.gov before you go out.", style="List Bullet")
    document.add_paragraph("Readings are updated hourly.", style="List Bullet 2")
    document.add_paragraph("(Do not use until the Governor has spoken.)", style="List Bullet 2")
    path = folder / "smoke.docx"
    document.save(str(path))
    return path


def _ask(out: Path, query: str, capsys) -> dict:
    assert main(["ask", "--knowledge", str(out), "--json", "--limit", "20", query]) == 0
    return json.loads(capsys.readouterr().out)


def test_notes_to_staff_are_left_out_of_approved_words_and_named(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["import", str(_notes_plan(tmp_path)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for note in ("Note to spokesperson: do not speculate", "[Internal: the board has not",
                 "NOTE: lead with this in TV interviews.", "(Do not use until the Governor"):
        assert f"'{note}" in printed and "internal note" in printed
    assert f"{out}: validates" in printed

    schools = _ask(out, "will schools close", capsys)["results"][0]
    assert schools["text"] == "Schools stay open; outdoor recess moves inside."
    air = _ask(out, "is the air safe to breathe", capsys)["results"][0]
    assert air["text"] == "People with asthma should stay indoors."
    shown = " ".join(r["text"] for r in _ask(out, "sky orange airnow lead TV interviews",
                                               capsys)["results"])
    assert "Readings are updated hourly." in shown
    for note in ("NOTE", "Governor", "speculate", "board"):
        assert note not in shown
