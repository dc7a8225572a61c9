"""The on-message check's engine: approved lines, forgiven differences, named differences."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.content import Snapshot
from bot.content.records import replace
from bot.matching.check import APPROVED, CHANGED, NEUTRAL, UNAPPROVED, Checker, approved_lines
from bot.matching.sentences import split_sentences
from bot.matching.wording import DATE, NAME, NUMBER, WORD, differences, normal_form

TODAY = dt.date(2026, 11, 25)
COLOR_BLIND = "Secure Communities is a color blind system."
FINGERPRINTS = ("Fingerprint-matching databases don't lie and they can't tell what race "
                "you are.")
INCEPTION = ("Since its inception in October 2008, Secure Communities has identified more than "
             "18,000 aliens charged with or convicted of Level 1 crimes, such as murder, rape "
             "and kidnapping — 4,000 of whom have already been removed from the United States.")
PRIORITY = ("Congress, DHS and ICE recognize that identifying and removing criminal aliens "
            "from the United States is a priority and essential to our nation's security.")
INTERVIEWS = ("OPA will arrange for A/S Morton to be interviewed by Julia Preston from *The New "
              "York Times*, Suzanne Gamboa from the *Associated Press*, Antonieta Cádiz from *La "
              "Opinion* and possibly Lori Montenegro from *Telemundo* to discuss the success of "
              "Secure Communities.")


@pytest.fixture(scope="module")
def checker(snapshot: Snapshot) -> Checker:
    return Checker(snapshot)


def statuses(checker: Checker, draft: str) -> list[str]:
    return [s.status for s in checker.check(draft, TODAY).sentences]


def test_approved_sentences_with_other_whitespace_quotes_case_and_period(checker):
    draft = ("secure  Communities is a color\u00a0blind system\n\n"
             "Fingerprint-matching databases don’t lie and they can’t tell what race you are.\n\n"
             "  - " + INCEPTION.replace(" — ", "--").replace("18,000", "18,000 ") + "\n"
             + PRIORITY.replace("nation's", "nation’s"))
    result = checker.check(draft, TODAY)
    assert [s.status for s in result.sentences] == [APPROVED] * 4
    assert result.on_message
    assert result.sentences[0].entry.id == "sb-color-blind"
    assert result.sentences[2].line.text == INCEPTION


def test_a_changed_number_is_a_number_difference(checker):
    [sentence] = checker.check(INCEPTION.replace("18,000", "20,000"), TODAY).sentences
    assert sentence.status == CHANGED
    assert [(d.removed, d.added, d.kind) for d in sentence.differences] == [
        ("18,000", "20,000", NUMBER)]
    assert sentence.line.text == INCEPTION


def test_a_swapped_name_is_a_name_difference(checker):
    [sentence] = checker.check(PRIORITY.replace("DHS and ICE", "DHS and FBI"), TODAY).sentences
    assert sentence.status == CHANGED
    assert [(d.removed, d.added, d.kind) for d in sentence.differences] == [("ICE", "FBI", NAME)]


def test_a_changed_date_and_a_changed_word(checker):
    [dated] = checker.check(INCEPTION.replace("October", "November"), TODAY).sentences
    assert [d.kind for d in dated.differences] == [DATE]
    [worded] = checker.check(COLOR_BLIND.replace("color blind", "fair"), TODAY).sentences
    assert worded.status == CHANGED
    assert [(d.removed, d.added, d.kind) for d in worded.differences] == [
        ("color blind", "fair", WORD)]


def test_an_invented_claim_is_unapproved_with_a_hint(checker):
    [sentence] = checker.check("ICE will stop all deportations next year.", TODAY).sentences
    assert sentence.status == UNAPPROVED
    assert sentence.differences == ()
    [nothing] = checker.check("Zebras enjoy quantum jazz festivals.", TODAY).sentences
    assert nothing.status == UNAPPROVED and nothing.line is None


def test_internal_plan_notes_are_not_approved_lines(checker, snapshot):
    """A media action says what the office will do, not what it may say."""
    assert approved_lines(snapshot.by_id["action-national-interviews"]) == []
    [sentence] = checker.check(INTERVIEWS, TODAY).sentences
    assert sentence.status == UNAPPROVED
    assert sentence.entry is None or sentence.entry.kind in ("sound_bite", "talking_point",
                                                             "if_asked", "qa")


def test_greetings_and_signatures_are_neutral(checker):
    draft = (f"Hi Jane,\n\n{COLOR_BLIND}\n\nThanks,\nGillian Brigham\nPress Secretary\n"
             "202-732-4217\n")
    assert statuses(checker, draft) == [NEUTRAL, APPROVED, NEUTRAL, NEUTRAL, NEUTRAL, NEUTRAL]
    assert statuses(checker, f"Thanks,\n{COLOR_BLIND.replace('color blind', 'fair')}") == [
        NEUTRAL, CHANGED]


def test_expired_content_is_not_approved(snapshot):
    expired = {e.id: replace(e, expires=dt.date(2020, 1, 1)) if e.id ==
               "sb-color-blind" else e for e in snapshot.entries}
    old = replace(snapshot, entries=tuple(expired.values()))
    [sentence] = Checker(old).check(COLOR_BLIND, TODAY).sentences
    assert sentence.status != APPROVED
    assert sentence.entry is None or sentence.entry.id != "sb-color-blind"


def test_a_sentence_starting_lower_case_after_another_is_still_approved(checker):
    draft = f"{COLOR_BLIND} {FINGERPRINTS[:1].lower()}{FINGERPRINTS[1:]}"
    assert statuses(checker, draft) == [APPROVED, APPROVED]


def test_sentences_split_where_the_approved_ones_do():
    text = ("In U.S. Immigration news, A/S Morton spoke. Calif. and N.J. agreed! Did they? "
            "“Yes.” 4,000 were removed. e.g. this... and that. vs. them.\n- one item\n2) another"
            "\nwrapped\nline")
    assert split_sentences(text) == [
        "In U.S. Immigration news, A/S Morton spoke.", "Calif. and N.J. agreed!", "Did they?",
        "“Yes.”", "4,000 were removed.", "e.g. this... and that.", "vs. them.", "one item",
        "another wrapped line"]


def test_only_forgiven_differences_are_forgiven():
    assert normal_form("“Quote” — it’s here.") == normal_form('"quote"-it\'s here')
    assert normal_form("Color blind") != normal_form("Colour blind")
    assert normal_form("color Blind") != normal_form("color blind")
    assert normal_form("It works!") != normal_form("It works")
    assert differences("A b c.", "A b c!") == differences("A b c.", "A b c!")  # stable
    assert [d.kind for d in differences("Rose by 45%.", "Rose by 50%.")] == [NUMBER]
