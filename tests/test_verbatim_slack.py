"""Approved words are shown exactly as the source has them, marks and all.

Slack's mrkdwn turns `*new*` into bold (and drops the stars), `_x_` into italics,
`~x~` into strike-through and backticks into code, with no way to escape them;
`:x:` becomes an emoji. A press officer reads and copies what Slack shows, so
approved words go out as rich text that Slack never formats. Read from the
user's seat: the reply, *Show this*, the shared post and `/facts show`.
"""

from __future__ import annotations

from test_slack_app import all_text, button_values, literal_text
from test_slack_replies import add_entries, bot_on

MARKS = "Say *this* _here_ ~x~ `code` :x: & <now>"
ONE = f"{MARKS}, see [the facts](https://www.ice.gov/sc). Then stop."
TWO = "Other *airship* _words_ here. More."


def mrkdwn_texts(body: dict) -> list[str]:
    """Every text Slack would read as mrkdwn (sections and context elements)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(body.get("blocks", []))
    return found


def assert_verbatim(body: dict, words: str) -> None:
    """The words are literal text in the reply, and no mrkdwn text carries their marks."""
    assert words in literal_text(body)
    for text in mrkdwn_texts(body):
        assert "_here_" not in text and "`code`" not in text and "_words_" not in text, text


def links(body: dict) -> list[dict]:
    return [e for b in body["blocks"] if b["type"] == "rich_text"
            for part in b["elements"] for e in part["elements"] if e["type"] == "link"]


async def test_marks_in_approved_words_are_shown_as_written(slack, tmp_path, knowledge_copy):
    add_entries(knowledge_copy,
                {"id": "tp-marks-one", "title": "Airship marks statement one", "text": ONE},
                {"id": "tp-marks-two", "title": "Airship marks statement two", "text": TWO})
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        body = await bot.ask("show tp-marks-one")
        assert_verbatim(body, f"{MARKS}, see the facts. Then stop.")
        assert links(body) == [{"type": "link", "url": "https://www.ice.gov/sc",
                                "text": "the facts"}]
        assert "Say *this* _here_ ~x~ `code` :x: &amp; &lt;now&gt;" in body["text"]
        assert "the facts (https://www.ice.gov/sc)" in body["text"]

        answer = await bot.ask("airship marks statement")  # one in full, the other offered
        shown = {v["entry"] for v in button_values(answer, "facts_share")}
        assert_verbatim(answer, f"{MARKS}, see the facts." if shown == {"tp-marks-two"}
                        else "Other *airship* _words_ here.")  # the other's opening words
        [show] = [v for v in button_values(answer, "facts_show")]
        clicked = await bot.click("facts_show", show)
        assert_verbatim(clicked, MARKS if show["entry"] == "tp-marks-one" else TWO)

        [share] = button_values(body, "facts_share")
        posted = await bot.click("facts_share", share)
        assert posted["response_type"] == "in_channel"
        assert_verbatim(posted, f"{MARKS}, see the facts. Then stop.")
        assert "Shared by <@UPRESS01>" in all_text(posted)


async def test_a_check_quotes_approved_lines_as_written(slack, tmp_path, knowledge_copy):
    add_entries(knowledge_copy,
                {"id": "tp-marks-two", "title": "Airship marks statement two", "text": TWO})
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        body = await bot.ask("check Other *airship* _words_ here. More.")
        assert "✅ 1. Other *airship* _words_ here. tp-marks-two" in literal_text(body)
        assert_verbatim(body, "▫️ 2. More.")  # too short to be a statement: neutral
        changed = await bot.ask("check Other *airship* _words_ there.")
        shown = literal_text(changed)
        assert "Other *airship* _words_ here. there." in shown  # approved struck, draft bold
        assert_verbatim(changed, "Other *airship* _words_")
        assert "~here.~ *there.*" in all_text(changed)  # the marks are styles, not characters
