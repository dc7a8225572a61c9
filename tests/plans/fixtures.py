"""Media plans of other offices, in several formats and styles, for the importer.

Each plan is written from a list of the entries it must yield (kind, text,
supporting points, question), so a test knows exactly what a perfect import
finds; the document itself is built the way an author of that format would
write it (Word styles and bold paragraphs, Markdown headings and bold lines,
numbered upper-case headings and hard-wrapped text).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    kind: str
    text: str
    supporting: tuple[str, ...] = ()
    question: str | None = None


@dataclass
class Plan:
    path: Path
    expected: list[Expected] = field(default_factory=list)


# ---------------------------------------------------------------- Word

WILDFIRE_BITES = [
    ("Every evacuation order is issued to save lives, and every one is lifted as soon as "
     "it is safe.", ["Since June 1, crews have cleared 41,000 acres of fuel near homes.",
                     "Evacuation maps are updated every hour at fire.example.gov."]),
    ("Residents who leave early give firefighters room to work.", []),
]
WILDFIRE_POINTS = [
    "The State Forestry Department has 2,300 firefighters on the line this week.",
    "Air tankers fly from three bases: Redding, Chico and Fresno.",
    "Smoke forecasts are published daily at 6 a.m. with the air quality agency.",
]
WILDFIRE_PRESSED = ("If pressed on the cost of the response", [
    "The state’s emergency fund covers the response; no program has been cut to pay for it.",
    "Federal reimbursement is expected under the Fire Management Assistance Grant.",
])
WILDFIRE_QA = [
    ("Why was the evacuation order issued at night?",
     ["Fire behavior changed after sunset, when winds shifted to the northeast.",
      "Deputies went door to door until 3 a.m. to make sure no one was left behind."]),
    ("When can residents go home?",
     ["Residents can return when the Sheriff lifts the order for their zone."]),
]
WILDFIRE_ACTIONS = [
    ("On Tuesday, June 10, the Press Office will hold a briefing with Chief Ana Ruiz at the "
     "incident command post."),
    "The Press Office will post daily updates on the department's social media channels.",
]


def word_plan(folder: Path) -> Plan:
    """A state agency's plan in Word: Title, Heading styles, bold paragraphs, list styles."""
    import docx

    document = docx.Document()
    document.add_paragraph("California State Forestry Department")
    document.add_paragraph("Creek Fire media plan, June 9-13", style="Title")
    document.add_paragraph("June 8, 2025")
    document.add_paragraph("Media contact: Dana Ruiz, (916) 555-0142, dana.ruiz@fire.example.gov")
    plan = Plan(folder / "creek-fire-plan.docx")
    plan.expected.append(Expected(
        "contact", "Media contact: Dana Ruiz, (916) 555-0142, dana.ruiz@fire.example.gov"))
    document.add_heading("Key Messages", level=1)
    for bite, points in WILDFIRE_BITES:
        document.add_paragraph(bite, style="List Bullet")
        for point in points:
            document.add_paragraph(point, style="List Bullet 2")
        plan.expected.append(Expected("sound_bite", bite, tuple(points)))
    bold = document.add_paragraph()
    bold.add_run("Talking points").bold = True
    for point in WILDFIRE_POINTS:
        document.add_paragraph(point, style="List Number")
        plan.expected.append(Expected("talking_point", point))
    document.add_heading(WILDFIRE_PRESSED[0], level=2)
    for line in WILDFIRE_PRESSED[1]:
        document.add_paragraph(line)
        plan.expected.append(Expected("if_asked", line))
    document.add_heading("Anticipated questions", level=1)
    for question, answer in WILDFIRE_QA:
        asked = document.add_paragraph()
        asked.add_run(question).bold = True
        for paragraph in answer:
            document.add_paragraph(paragraph)
        plan.expected.append(Expected("qa", "\n\n".join(answer), question=question))
    document.add_heading("Media actions", level=1)
    for action in WILDFIRE_ACTIONS:
        document.add_paragraph(action)
        plan.expected.append(Expected("media_action", action))
    document.save(str(plan.path))
    return plan


# ---------------------------------------------------------------- Markdown

FLU_BITES = [
    ("Flu shots are free at every county clinic, no appointment needed.",
     ["Clinics are open 8 a.m. to 6 p.m., Monday through Saturday.",
      "Bring any photo ID; insurance is not required."]),
    ("Getting vaccinated protects the people you love.",
     ["One in five hospital beds last winter held a flu patient."]),
]
FLU_RESPONSIVE = ("If asked about vaccine supply", [
    "The county has 120,000 doses on hand and another shipment arrives October 14.",
    "No clinic has run out of vaccine this season.",
])
FLU_QA = [
    ("Is the flu shot safe for pregnant women?",
     ["Yes. The CDC recommends the flu shot during any trimester of pregnancy.",
      "Pregnant women should ask for the injected vaccine, not the nasal spray."]),
    ("Can I get a flu shot and a COVID-19 booster on the same day?",
     ["Yes. Both can be given at the same visit, one in each arm."]),
]
FLU_ACTIONS = [
    "On Monday, October 6, the Health Officer will appear on KQED Forum at 9 a.m.",
    "Communications staff will post clinic hours on the county web site every Friday.",
]


def markdown_plan(folder: Path) -> Plan:
    """A county health department's plan in Markdown: # headings, bold lines, * and - bullets."""
    plan = Plan(folder / "flu-season.md")
    lines = ["# Flu season communications plan 2025", "",
             "**Office:** Alameda County Public Health Department", "",
             "Date: September 30, 2025", "",
             "Contact: Lee Park, 510-555-0199, lee.park@health.example.gov", ""]
    plan.expected.append(Expected("contact",
                                  "Contact: Lee Park, 510-555-0199, lee.park@health.example.gov"))
    lines += ["## Key messages", ""]
    for bite, points in FLU_BITES:
        lines.append(f"* {bite}")
        lines += [f"    - {point}" for point in points]
        plan.expected.append(Expected("sound_bite", bite, tuple(points)))
    lines += ["", f"**{FLU_RESPONSIVE[0]}:**", ""]
    for line in FLU_RESPONSIVE[1]:
        lines.append(f"- {line}")
        plan.expected.append(Expected("if_asked", line))
    lines += ["", "## Questions and answers", ""]
    for question, answer in FLU_QA:
        lines += [f"**Q: {question}**", ""]
        lines += [f"A: {answer[0]}", ""] + [f"{more}\n" for more in answer[1:]]
        plan.expected.append(Expected("qa", "\n\n".join(answer), question=question))
    lines += ["## Media outreach", ""]
    for action in FLU_ACTIONS:
        lines += [f"1. {action}"]
        plan.expected.append(Expected("media_action", action))
    plan.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return plan


# ---------------------------------------------------------------- plain text

TRANSIT_BACKGROUND = [
    ("The Metro Transit Authority will close the Blue Line between Central and Harbor stations "
     "for track replacement. The work was planned two years ago and is funded by the 2022 "
     "bond."),
]
TRANSIT_BITES = [
    ("The Blue Line closure is short-term pain for a railway that will run safely for forty "
     "years.", ["Trains will run up to 20 percent faster on the new track."]),
    ("Free shuttle buses will run every five minutes, around the clock.", []),
]
TRANSIT_POINTS = [
    "Track on the Blue Line was laid in 1979 and has reached the end of its life.",
    "Crews will work 24 hours a day to finish in 16 days.",
]
TRANSIT_IF_ASKED = ("IF ASKED ABOUT FARE REFUNDS", [
    "Monthly pass holders will receive a credit of $25 on their next pass.",
])
TRANSIT_QA = [
    ("Why not do the work at night and keep trains running during the day?",
     ["Night work alone would stretch the project to fourteen months and cost three times as "
      "much.",
      "A full closure lets crews replace the track, signals and power in one pass."]),
]
TRANSIT_ACTIONS = [
    "Friday, March 7: the General Manager will hold a news conference at Central Station.",
]


def text_plan(folder: Path) -> Plan:
    """A transit agency's plan as plain text: numbered upper-case headings, hard-wrapped lines,
    "•" bullets with "o" sub-bullets, "1)" numbers, a question line and "Answer:"."""
    plan = Plan(folder / "blue-line-closure.txt")

    def wrap(text: str, indent: str = "", first: str = "") -> list[str]:
        return textwrap.wrap(text, 72, initial_indent=first or indent, subsequent_indent=indent)

    lines = ["METRO TRANSIT AUTHORITY", "Blue Line closure media plan", "March 3, 2025",
             "Press contact: Sam Okafor 213-555-0107", ""]
    plan.expected.append(Expected("contact", "Press contact: Sam Okafor 213-555-0107"))
    lines += ["1. BACKGROUND", ""]
    for paragraph in TRANSIT_BACKGROUND:
        lines += wrap(paragraph) + [""]
        plan.expected.append(Expected("background", paragraph))
    lines += ["2. KEY MESSAGES", ""]
    for bite, points in TRANSIT_BITES:
        lines += wrap(bite, "  ", "• ")
        for point in points:
            lines += wrap(point, "      ", "    o ")
        plan.expected.append(Expected("sound_bite", bite, tuple(points)))
    lines += ["", "3. TALKING POINTS", ""]
    for number, point in enumerate(TRANSIT_POINTS, start=1):
        lines += wrap(point, "   ", f"{number}) ")
        plan.expected.append(Expected("talking_point", point))
    inline = ("If pressed on weekend service", "Weekend trains will run every 12 minutes.")
    lines += ["", f"{inline[0]}: {inline[1]}"]
    plan.expected.append(Expected("if_asked", inline[1]))
    lines += ["", f"4. {TRANSIT_IF_ASKED[0]}", ""]
    for line in TRANSIT_IF_ASKED[1]:
        lines += wrap(line, "  ", "- ")
        plan.expected.append(Expected("if_asked", line))
    lines += ["", "5. QUESTIONS AND ANSWERS", ""]
    for question, answer in TRANSIT_QA:
        lines += wrap(question) + [""]
        lines += wrap("Answer: " + answer[0]) + [""]
        for more in answer[1:]:
            lines += wrap(more) + [""]
        plan.expected.append(Expected("qa", "\n\n".join(answer), question=question))
    lines += ["6. MEDIA ACTIONS", ""]
    for action in TRANSIT_ACTIONS:
        lines += wrap(action, "  ", "* ") + [""]
        plan.expected.append(Expected("media_action", action))
    plan.path.write_text("\n".join(lines), encoding="utf-8")
    return plan


# ---------------------------------------------------------------- more styles

PARKS_BITES = [("Lake Ridge stays free for children under 16.",
                ["Family passes cost $40 a year.", "School groups enter free."])]
PARKS_POINTS = [
    "Visitor numbers at Lake Ridge rose 18 percent in 2024.",
    "Parking fees fund trail repairs; none of the money leaves the park.",
]
PARKS_RESPONSIVE = [
    "The department regrets the closure and will reopen the north trail by 5 p.m. ET on "
    "Saturday.",
]
PARKS_QA = [
    ("Will the fee increase again next year?",
     ["No increase is planned for 2026.", "Any change would be announced 60 days ahead."]),
    ("Who decides the fee?", ["The Parks Commission sets fees at a public meeting."]),
]


def typed_word_plan(folder: Path) -> Plan:
    """A Word plan with no styles at all: bold upper-case headings, bullets typed as '•',
    'Q:' and 'A:' paragraphs, a time zone in passing."""
    import docx

    document = docx.Document()
    for line in ("State Parks Department", "Lake Ridge parking fee plan", "July 1, 2025",
                 "Contact: Rosa Lind, 503-555-0188"):
        document.add_paragraph(line)
    plan = Plan(folder / "lake-ridge.docx")
    plan.expected.append(Expected("contact", "Contact: Rosa Lind, 503-555-0188"))

    def bold(text: str) -> None:
        document.add_paragraph().add_run(text).bold = True

    bold("KEY MESSAGES:")
    for bite, points in PARKS_BITES:
        _numbered(document.add_paragraph(bite), level=0)
        for point in points:
            _numbered(document.add_paragraph(point), level=1)
        plan.expected.append(Expected("sound_bite", bite, tuple(points)))
    bold("TALKING POINTS:")
    for point in PARKS_POINTS:
        document.add_paragraph(f"•\t{point}")
        plan.expected.append(Expected("talking_point", point))
    bold("RESPONSIVE STATEMENT:")
    for line in PARKS_RESPONSIVE:
        document.add_paragraph(line)
        plan.expected.append(Expected("if_asked", line))
    bold("Q&A")
    for question, answer in PARKS_QA:
        document.add_paragraph(f"Q: {question}")
        document.add_paragraph(f"A: {answer[0]}")
        for more in answer[1:]:
            document.add_paragraph(more)
        plan.expected.append(Expected("qa", "\n\n".join(answer), question=question))
    document.save(str(plan.path))
    return plan


def _numbered(paragraph, level: int) -> None:
    """List numbering set on the paragraph itself (as Word does), not through a list style."""
    numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numbering.get_or_add_ilvl().val = level
    numbering.get_or_add_numId().val = 1


PORT_BITES = [
    ("The port is open and every berth is working.",
     ["Ships waited an average of 9 hours last week, down from 30."]),
]
PORT_POINTS = ["The new crane order arrives in November.", "Overtime is paid from port revenue."]
PORT_PRESSED = ("If pressed on layoffs", ["No port employee has been laid off."])
PORT_QA = [("What caused the delays?",
            ["A software fault in the gate system stopped trucks for two days.",
             "The fault was fixed on March 12."])]


def nested_markdown_plan(folder: Path) -> Plan:
    """Markdown with '+' bullets, sub-bullets under a parent heading, '###' if-pressed
    headings, numbered bold questions with indented answers."""
    plan = Plan(folder / "port.md")
    lines = ["# Port of Tacoma: berth delays media plan", "", "*Port Authority press office*",
             "", "March 14, 2025", "", "Press contact: Kim Vo, 253-555-0110", "",
             "## Messaging", "", "### Sound bites", ""]
    plan.expected.append(Expected("contact", "Press contact: Kim Vo, 253-555-0110"))
    for bite, points in PORT_BITES:
        lines.append(f"+ {bite}")
        lines += [f"  * {point}" for point in points]
        plan.expected.append(Expected("sound_bite", bite, tuple(points)))
    lines += ["", "### Talking points", ""]
    for point in PORT_POINTS:
        lines.append(f"+ {point}")
        plan.expected.append(Expected("talking_point", point))
    lines += ["", f"### {PORT_PRESSED[0]}", ""]
    for line in PORT_PRESSED[1]:
        lines += [line, ""]
        plan.expected.append(Expected("if_asked", line))
    lines += ["## Anticipated questions", ""]
    for number, (question, answer) in enumerate(PORT_QA, start=1):
        lines += [f"{number}. **{question}**", ""]
        for paragraph in answer:
            lines += [f"   {paragraph}", ""]
        plan.expected.append(Expected("qa", "\n\n".join(answer), question=question))
    plan.path.write_text("\n".join(lines), encoding="utf-8")
    return plan


def table_word_plan(folder: Path) -> Plan:
    """A Word plan with Heading 2 headings only, a Question | Answer table, the contact last,
    a numeric date and a time zone in passing (written before the importer saw it)."""
    import docx

    plan = Plan(folder / "snow.docx")
    document = docx.Document()
    document.add_paragraph("Office of the Mayor, City of Springfield")
    document.add_heading("Snow emergency communications plan", level=2)
    document.add_paragraph("Date: 1/6/2026")
    document.add_heading("Overview", level=2)
    overview = ("A storm is forecast to bring 14 inches of snow to Springfield from January 8 "
                "to January 9.")
    document.add_paragraph(overview)
    plan.expected.append(Expected("background", overview))
    document.add_heading("Topline message", level=2)
    bite, point = ("Stay off the roads so plows can do their work.",
                   "Parking bans start at 6 p.m. on January 8.")
    document.add_paragraph(bite, style="List Bullet")
    document.add_paragraph(point, style="List Bullet 2")
    plan.expected.append(Expected("sound_bite", bite, (point,)))
    document.add_heading("Messaging points", level=2)
    for text in ("The city has 120 plows and 40,000 tons of salt ready.",
                 "Warming centers open at the Central Library and the Civic Center."):
        document.add_paragraph(text, style="List Number")
        plan.expected.append(Expected("talking_point", text))
    document.add_heading("Anticipated questions", level=2)
    pairs = [("Will schools be closed?", "The school district will decide by 5 a.m. on January 8."),
             ("Where do I move my car?", "Any municipal lot is free during the ban.")]
    table = document.add_table(rows=1 + len(pairs), cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Question", "Answer"
    for row, (question, answer) in enumerate(pairs, start=1):
        table.cell(row, 0).text, table.cell(row, 1).text = question, answer
        plan.expected.append(Expected("qa", answer, question=question))
    document.add_heading("Outreach", level=2)
    action = ("On Wednesday, January 7, the Mayor will hold a press briefing at City Hall at "
              "2 p.m. ET.")
    document.add_paragraph(action)
    plan.expected.append(Expected("media_action", action))
    document.add_heading("Contacts", level=2)
    document.add_paragraph("Press contact: Tom Reyes, 217-555-0190")
    plan.expected.append(Expected("contact", "Press contact: Tom Reyes, 217-555-0190"))
    document.save(str(plan.path))
    return plan
