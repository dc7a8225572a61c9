# ruff: noqa: F811  (pytest passes the imported `bot` fixture by name)
"""What a press officer reads in Slack: approved words at once, caveats that stay, labels.

Each test drives the real app with signed requests against the fake Slack and
reads the reply as a person would: the visible text, the notification text
and the buttons that work when clicked.
"""

from __future__ import annotations

from test_slack_app import (
    ADMIN,
    all_text,
    bot,  # noqa: F401  (a fixture, used by name below)
    button_values,
)

INTERNAL = "Internal: not for quoting"
INTERNAL_KINDS = {"media_action", "background", "event", "contact", "reference"}


def on_screen(body: dict) -> str:
    """What the message itself shows (its blocks), apart from the notification text."""
    return all_text({"blocks": body.get("blocks", [])})


def first_shown(body: dict, snapshot):
    """The entry whose full approved words open the reply (the first section or rich text)."""
    first = next(all_text({"blocks": [b]}).strip("\n") for b in body["blocks"]
                 if b["type"] in ("section", "rich_text"))
    return next(e for e in snapshot.entries if e.display_text.replace("&", "&amp;") in first
                or first in e.display_text)


async def test_a_topic_query_shows_the_best_approved_words_at_once(bot, snapshot):
    body = await bot.ask("racial profiling")
    text = all_text(body)
    color_blind = snapshot.by_id["sb-color-blind"]
    assert color_blind.text in text  # the sound bite's words, before any click
    offered = [value["entry"] for value in button_values(body, "facts_show")]
    best = first_shown(body, snapshot)
    assert best.display_text in text
    assert best.kind in ("sound_bite", "talking_point", "if_asked", "qa")
    assert "sb-color-blind" in [best.id] + offered[:2]
    assert 1 <= len(offered) <= 4
    for entry_id in offered:  # each other response shows its own opening words
        assert snapshot.by_id[entry_id].text.split(".")[0][:60] in text
    assert "No exact approved answer" not in body["text"]
    assert best.text[:80] in body["text"]  # the notification says what is shown


async def test_show_this_from_the_not_a_match_list_keeps_the_caveat(bot, snapshot):
    body = await bot.ask("weather in miami tomorrow for the protests")
    assert bot.queries()[-1].status == "no_match"
    assert "not a match" in all_text(body)
    nearest = button_values(body, "facts_show")
    assert nearest, "the nearest responses are offered"
    shown = await bot.click("facts_show", nearest[0])
    assert snapshot.by_id[nearest[0]["entry"]].text[:60] in all_text(shown)
    assert "not a match" in all_text(shown)
    # ...and it stays when another of the nearest is shown from there
    again = button_values(shown, "facts_show")
    if again:
        assert "not a match" in all_text(await bot.click("facts_show", again[0]))


async def test_show_this_from_the_closest_keeps_no_exact_answer(bot, snapshot):
    body = await bot.ask("is this the same as 287(g)?")
    assert bot.queries()[-1].status == "suggestions"
    assert "no exact approved answer" in all_text(body)
    assert "?”. Closest:" in body["text"]  # the question quoted, not run into the sentence
    shown = await bot.click("facts_show", button_values(body, "facts_show")[0])
    heading = on_screen(shown)
    assert "no exact approved answer for “is this the same as 287(g)?”" in heading
    assert "check it fits before using it" in heading
    assert "Showing an approved response" not in heading
    # a topic's responses all fit: shown from there, none is called a near miss
    topic = await bot.ask("racial profiling")
    other = await bot.click("facts_show", button_values(topic, "facts_show")[0])
    assert "no exact approved answer" not in all_text(other)


async def test_the_nearest_list_says_when_a_response_is_overdue_for_review(bot, snapshot):
    body = await bot.ask("weather in miami tomorrow for the protests")
    assert bot.queries()[-1].status == "no_match"
    offered = len(button_values(body, "facts_show"))
    assert offered and on_screen(body).count("Not re-approved since") == offered


async def test_an_opening_never_looks_like_the_whole_line(bot, snapshot):
    body = await bot.ask("how many removed")
    entry = snapshot.by_id["sb-fewer-murderers"]  # one sentence, then a supporting point
    assert entry.supporting and "sb-fewer-murderers" in [
        value["entry"] for value in button_values(body, "facts_show")]
    assert f"{entry.text.strip()} …" in on_screen(body)


async def test_internal_notes_are_labelled_wherever_they_are_shown(bot, snapshot):
    note = snapshot.by_id["action-bbc-the-world"]
    shown = await bot.ask("show action-bbc-the-world")
    assert note.text[:60] in on_screen(shown) and INTERNAL in on_screen(shown)
    assert INTERNAL in shown["text"]
    [share] = button_values(shown, "facts_share")
    posted = await bot.click("facts_share", share)
    assert INTERNAL in on_screen(posted)
    listed = all_text(await bot.ask("list media_action"))
    assert listed.count(INTERNAL) == sum(e.kind == "media_action" for e in snapshot.entries)


async def test_lines_to_say_never_carry_the_internal_label(bot, snapshot):
    for entry in snapshot.entries:
        if entry.kind not in INTERNAL_KINDS:
            assert INTERNAL not in all_text(await bot.ask(f"show {entry.id}")), entry.id
    listed = all_text(await bot.ask("list sound_bite"))
    assert INTERNAL not in listed


async def test_a_note_mentioning_a_term_in_passing_is_not_a_confident_answer(bot, snapshot):
    body = await bot.ask("is this the same as 287(g)")
    assert bot.queries()[-1].status != "answer"
    text = all_text(body)
    assert "Approved response for" not in text
    if snapshot.by_id["action-bbc-the-world"].text[:40] in text:
        assert INTERNAL in text


async def test_topics_the_content_covers_are_not_reported_as_gaps(bot):
    covered = ("racial profiling", "where are the protests", "when did secure communities start")
    for question in covered:
        await bot.ask(question)
    await bot.ask("weather in Miami tomorrow")
    stats = on_screen(await bot.ask("stats", user_id=ADMIN))
    gaps = stats[stats.index("*Top gaps*"):]
    assert "weather in Miami tomorrow" in gaps
    for question in covered:
        assert question not in gaps, question


async def test_a_question_with_an_ampersand_is_read_as_typed(bot, snapshot):
    """Slack sends a command's text with &, < and > as entities ("&amp;"): the question
    is what the person typed, so "cost & burden for sheriffs" gets what "cost and burden
    for sheriffs" gets, and the reply quotes it as typed, not as "&amp;"."""
    typed = await bot.ask("cost &amp; burden for sheriffs")  # Slack's text for "cost & ..."
    worded = await bot.ask("cost and burden for sheriffs")
    shown = all_text(typed)
    assert shown.replace("cost &amp; burden", "cost and burden") == all_text(worded)
    assert "&amp;amp;" not in shown  # escaped once: Slack shows "cost & burden"
    assert bot.queries()[0].text == "cost & burden for sheriffs"
