"""A question that starts with a subcommand's word is still a question (probe S, finding S2).

`/facts show me the numbers` answered "No approved response has the id `me the
numbers`" and `/facts list of arrests` "`of arrests` is not a kind", both
logged as commands, so the unanswered question never reached `review gaps`.
An id is one word and a kind is a kind: anything else after `show` or `list`
is asked.
"""

from __future__ import annotations

import pytest

from test_slack_app import all_text, bot  # noqa: F401 (fixture)


@pytest.mark.parametrize("question", ["show me the numbers", "list of arrests",
                                      "Show me how many were removed", "LIST of level 1 crimes"])
async def test_a_question_starting_with_show_or_list_is_looked_up_and_logged(bot, question):  # noqa: F811
    reply = all_text(await bot.ask(question)).lower()
    assert "has the id" not in reply and "is not a kind" not in reply
    assert "approved response" in reply  # the lookup's own words, whatever it found
    [row] = bot.queries()
    assert row.text == question and row.status in ("answer", "suggestions", "no_match")


@pytest.mark.parametrize("command, shown", [
    ("show sb-color-blind", "color blind system"),
    ("show nope", "No approved response has the id `nope`"),
    ("list sound bites", "Approved sound bite responses"),
    ("list bogus", "`bogus` is not a kind"),
])
async def test_ids_and_kinds_still_reach_their_subcommand(bot, command, shown):  # noqa: F811
    assert shown in all_text(await bot.ask(command))
    [row] = bot.queries()
    assert row.status == "command"



async def test_an_id_typed_in_capitals_is_found(bot):  # noqa: F811
    """Ids are lower case; `/facts show SB-COLOR-BLIND` found nothing (probe S13)."""
    assert "color blind system" in all_text(await bot.ask("show SB-Color-Blind"))
