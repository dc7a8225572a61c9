"""Long and odd queries, and buttons that must keep working (issue 13, items 6 and 11).

Driven as Slack drives the bot: signed requests in, replies read from the fake Slack.
"""

from __future__ import annotations

import json

import pytest

from bot.slack import render
from fakeslack import block_actions_payload, signed_interaction
from test_slack_app import SECRET, all_text, bot, button_values  # noqa: F401 (fixture)

EMOJI = "\U0001F600"


def assert_within_slack_limits(body: dict) -> None:
    """What Slack enforces: it rejects the whole message if one block breaks a limit."""
    blocks = body.get("blocks", [])
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "rich_text":  # approved words: within 3,000, no empty run
            runs = [e for part in block["elements"] for e in part["elements"]]
            assert runs and all(e.get("text", "-") for e in runs)
            assert sum(len(e.get("text", "")) for e in runs) <= 3000
            continue
        for element in block.get("elements", []) + [block.get("accessory") or {}]:
            if element.get("type") == "button":
                assert len(element["value"]) <= 2000 and len(element["text"]["text"]) <= 75
                json.loads(element["value"])  # still whole
            elif isinstance(element.get("text"), str):
                assert len(element["text"]) <= 3000
    assert len(body.get("text", "")) <= 3000


async def click_raw(bot, action_id: str, value: str) -> dict:  # noqa: F811
    url = bot.slack.response_url()
    payload = block_actions_payload(action_id=action_id, value=value, user_id="UPRESS01",
                                    user_name="pat.press", response_url=url)
    body, headers = signed_interaction(SECRET, payload)
    async with bot.http.post(bot.service.url + "/slack/events", data=body,
                             headers=headers) as response:
        assert response.status == 200
    [post] = await bot.slack.wait_for_responses(1, url=url)
    return post.body


async def test_a_huge_query_is_read_up_to_500_characters_and_logged_up_to_a_bound(bot):  # noqa: F811
    body = await bot.ask("traffic offenses " + "x" * 100_000)
    text = all_text(body)
    assert "Only the first 500 characters of your question were read" in text
    offered = [v["entry"] for action in ("facts_show", "facts_share")
               for v in button_values(body, action)]
    assert "tp-drug-dui-charges" in offered  # still answered from what was read
    assert "x" * 501 not in text
    assert_within_slack_limits(body)
    [row] = bot.queries()
    assert row.text.startswith("traffic offenses xxx") and len(row.text) == 10_000


@pytest.mark.parametrize("query", [
    "word " * 700,  # 3,500 characters
    "&" * 3500,
    "<" * 3500,
    "traffic offenses " + EMOJI * 200,
    "racial profilng " * 200,
])
async def test_every_block_stays_within_slack_limits(bot, query):  # noqa: F811
    assert_within_slack_limits(await bot.ask(query))


async def test_buttons_of_an_emoji_query_are_short_and_work(bot):  # noqa: F811
    body = await bot.ask("how many removed " + EMOJI * 200)
    assert_within_slack_limits(body)
    values = [v for action in ("facts_share", "facts_helpful", "facts_show")
              for v in button_values(body, action)]
    assert values and all(len(json.dumps(v)) < 100 for v in values)
    other = button_values(body, "facts_show")[0]
    shown = await bot.click("facts_show", other)
    assert shown["replace_original"] is True and other["entry"] in all_text(shown)
    assert button_values(shown, "facts_show")  # the other close answers are still offered
    await bot.click("facts_helpful", button_values(shown, "facts_helpful")[0])
    [feedback] = bot.audits("feedback")
    assert feedback.detail["query"].startswith("how many removed " + EMOJI)
    assert feedback.detail["query_request_id"] == bot.queries()[0].request_id


async def test_a_click_on_a_reply_the_bot_no_longer_remembers_still_shows_the_entry(bot):  # noqa: F811
    body = await bot.ask("traffic offenses")
    [share] = button_values(body, "facts_share")
    bot.service.bot.replies = type(bot.service.bot.replies)()  # e.g. after a restart
    shown = await bot.click("facts_show", share)
    assert "driving under the influence" in all_text(shown)


@pytest.mark.parametrize("value", ['{"entry":"tp-drug-dui-char', "[]", "null", '{"entry":5}',
                                   "not json", ""])
@pytest.mark.parametrize("action", ["facts_show", "facts_share", "facts_helpful"])
async def test_a_malformed_button_value_gets_a_polite_reply(bot, value, action):  # noqa: F811
    reply = await click_raw(bot, action, value)
    assert "could not be read" in reply["text"] and reply.get("response_type") == "ephemeral"


async def test_a_refused_share_is_audited(bot):  # noqa: F811
    reply = await bot.click("facts_share", {"entry": "tp-withdrawn-line", "r": "r1"})
    assert "not shared" in reply["text"]
    [refusal] = bot.audits("refusal")
    assert refusal.detail == {"action": "share", "entry_id": "tp-withdrawn-line",
                              "reason": "no longer approved"}


def test_within_limits_splits_long_sections_keeping_one_button():
    button = render.button("Show this", render.SHOW_ACTION, "{}")
    message = render.Message([{**render.section("a " * 4000), "accessory": button},
                              render.context_block("b")], "fallback")
    fitted = render.within_limits(message)
    sections = [b for b in fitted.blocks if b["type"] == "section"]
    assert len(sections) == 3 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert [("accessory" in b) for b in sections] == [True, False, False]
    assert "".join(b["text"]["text"] for b in sections).replace(" ", "") == "a" * 4000



@pytest.mark.parametrize("over", [
    render.section("a " * 1500 + "b"),  # 3,001 characters
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]},
])
def test_within_limits_mends_a_block_one_character_over(over):
    """A message inside the limits comes back as it is (the fast path); one character
    over in any block and it is mended."""
    inside = render.Message([render.section("a " * 1500), render.context_block("b" * 3000)],
                            "fallback")
    assert render.within_limits(inside) is inside
    fitted = render.within_limits(render.Message([*inside.blocks, over], "fallback"))
    assert all(len(b["text"]["text"]) <= 3000 for b in fitted.blocks if b["type"] == "section")
    assert all(len(e["text"]) <= 3000 for b in fitted.blocks if b["type"] == "context"
               for e in b["elements"])
