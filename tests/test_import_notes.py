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
    document.add_paragraph("(Internal) Radio first, then print.", style="List Bullet")
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
                 "NOTE: lead with this in TV interviews.", "(Internal) Radio first",
                 "(Do not use until the Governor"):
        assert f"'{note}" in printed and "internal note" in printed
    assert f"{out}: validates" in printed

    schools = _ask(out, "will schools close", capsys)["results"][0]
    assert schools["text"] == "Schools stay open; outdoor recess moves inside."
    air = _ask(out, "is the air safe to breathe", capsys)["results"][0]
    assert air["text"] == "People with asthma should stay indoors."
    shown = " ".join(r["text"] for r in _ask(out, "sky orange airnow TV radio print",
                                               capsys)["results"])
    assert "Readings are updated hourly." in shown
    for note in ("NOTE", "Governor", "speculate", "board", "Radio"):
        assert note not in shown


def test_a_heading_marked_internal_or_unapproved_drafts_no_lines_to_say(tmp_path, capsys):
    """"Internal notes" under Key messages took the messages' kind: a note the plan says
    not to mention was served as a sound bite. So were lines under a heading saying they
    are not yet approved."""
    document = docx.Document()
    document.add_heading("Snow Removal media plan", 0)
    document.add_paragraph("Public Works")
    document.add_paragraph("January 5, 2026")
    document.add_paragraph("Contact: Jo Kim, 555-010-4444")
    document.add_heading("Key messages", 1)
    document.add_paragraph("Main roads are plowed first.", style="List Bullet")
    document.add_heading("Internal notes", 2)
    document.add_paragraph("Two plows are broken; do not mention it.")
    document.add_heading("Talking points (not yet approved by legal)", 1)
    document.add_paragraph("Residents who shovel sidewalks help everyone.", style="List Bullet")
    document.add_heading("Q&A", 1)
    document.add_paragraph("Q: Is salt safe for pets?")
    document.add_paragraph("A: We use a pet-safe mix on sidewalks.")
    document.add_paragraph().add_run("Notes for the spokesperson").bold = True
    document.add_paragraph("Salt supply is low this year.")
    document.add_heading("Staff only", 2)
    document.add_paragraph("Q: Why was my street missed?")
    document.add_paragraph("A: Crews were pulled to a water main break.")
    source = tmp_path / "snow.docx"
    document.save(str(source))
    out = tmp_path / "out"
    assert main(["import", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for line in ("'Two plows are broken", "'Residents who shovel", "'Salt supply is low",
                 "Why was my street missed?'"):
        assert line in printed
    assert printed.count("marked internal or not approved") >= 4

    said = _ask(out, "plows broken street missed shovel sidewalks salt supply", capsys)
    assert not any(word in r["text"] for r in said["results"]
                   for word in ("plows", "shovel", "missed", "supply"))
    assert _ask(out, "is salt safe for pets", capsys)["results"][0]["text"] == \
        "We use a pet-safe mix on sidewalks."
