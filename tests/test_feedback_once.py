# ruff: noqa: F811  (pytest passes the imported fixtures by name)
"""Helpful / Not helpful: a person's last click on a reply is the one that counts (S27).

Clicking twice used to thank twice and count twice, and Helpful then Not helpful
on one reply counted both. Read from the user's seat: what each click's reply
says, and what an admin's `/facts stats` then counts.
"""

from __future__ import annotations

from test_slack_app import ADMIN, all_text, bot_on_copy, button_values  # noqa: F401


async def test_the_last_click_on_a_reply_counts_and_says_it_replaced_one(bot_on_copy):
    body = await bot_on_copy.ask("traffic offenses")
    [helpful] = button_values(body, "facts_helpful")
    [not_helpful] = button_values(body, "facts_not_helpful")

    first = await bot_on_copy.click("facts_helpful", helpful)
    assert first["text"] == "Thanks: recorded as helpful for the communications team."
    again = await bot_on_copy.click("facts_helpful", helpful)
    assert again["text"] == "Already recorded as helpful: it counts once."
    changed = await bot_on_copy.click("facts_not_helpful", not_helpful)
    assert changed["text"] == "Thanks: recorded as not helpful, replacing your earlier “helpful”."

    other = await bot_on_copy.click("facts_helpful", helpful, user_id="UPRESS02")
    assert other["text"] == "Thanks: recorded as helpful for the communications team."

    stats = all_text(await bot_on_copy.ask("stats", user_id=ADMIN))
    assert "1 helpful, 1 not helpful" in stats  # one opinion each, not four clicks
    assert len(bot_on_copy.audits("feedback")) == 4  # every click stays in the audit trail
