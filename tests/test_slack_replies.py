"""What an answer or a choice shows when the content or the query is hostile or huge.

Approved text is shown verbatim, but as plain text: `<!channel>`, `<@U...>` and
`<url|label>` written in a plan or typed in a query must never ping anyone or
become a link, in the ephemeral reply, in the notification text, or in the
message a *Share* posts for the whole channel. Long approved text is split to
Slack's 3,000 characters a section, and a reply never has more than 50
blocks (the fake Slack refuses such a reply, as Slack does).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.content import BUNDLED_KNOWLEDGE
from bot.service.clock import SystemClock
from bot.service.server import start_service
from bot.slack.render import escape
from test_slack_app import Harness, all_text, button_values, literal_text, settings_for

PLAN = "ice-secure-communities-2009-04"
RAW_CONTROLS = ("<!channel>", "<!here>", "<!everyone>", "<@UNOBODY1>", "<@U0HOSTILE>",
                "<https://evil", "<!subteam")
NORTH_TITLE = "Zeppelin hangar north <!channel> & gate"
NORTH_TEXT = "Tell <!channel> & <@U0HOSTILE> to read <https://evil.example|the hangar rules> > now."
SOUTH_TITLE = "Zeppelin hangar south <!here> & gate"
SOUTH_TEXT = "Southern <!subteam^S1> & hangar words."
CONTACT = "Gillian <!channel> Brigham & <@U0HOSTILE>"
ACTION_TITLE = "Airship <!channel> & <https://evil.example|launch> day"
QA_TITLE = "Airship mooring mast questions"
QA_QUESTION = "Will <!channel> & <@U0HOSTILE> hear about the <https://evil.example|mast>?"


def add_entries(knowledge: Path, *entries: dict) -> None:
    """Extra approved entries in a file of their own, as an author would add them."""
    # Not from the plan's source document: each says so, and who approved it.
    full = [{"document": PLAN, "kind": "talking_point", "section": "Talking Points",
             "source_check": "none", "approved_by": "Test author", "approved_on": "2009-04-23",
             **e} for e in entries]
    (knowledge / PLAN / "extra.yaml").write_text(
        yaml.safe_dump({"entries": full}, allow_unicode=True, width=10**9))


@contextlib.asynccontextmanager
async def bot_on(slack, tmp_path: Path, knowledge: Path):
    service = await start_service(settings_for(slack, tmp_path, knowledge_dir=knowledge),
                                  SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            yield Harness(slack, service, http, tmp_path / "facts.db")
    finally:
        await service.stop()


@pytest.fixture
async def hostile(slack, tmp_path, knowledge_copy):
    document = knowledge_copy / PLAN / "document.yaml"
    text = document.read_text()
    assert "    name: Gillian Brigham\n" in text
    document.write_text(text.replace("    name: Gillian Brigham\n", f"    name: '{CONTACT}'\n"))
    add_entries(knowledge_copy,
                {"id": "tp-hangar-north", "title": NORTH_TITLE, "text": NORTH_TEXT},
                {"id": "tp-hangar-south", "title": SOUTH_TITLE, "text": SOUTH_TEXT},
                {"id": "qa-mooring-mast", "kind": "qa", "title": QA_TITLE,
                 "question": QA_QUESTION, "text": "Yes, at the mast."},
                {"id": "action-far-future", "kind": "media_action", "title": ACTION_TITLE,
                 "text": "An action.", "schedule": {
                     "as_written": "<!here> & the year 2099", "date": "2099-01-05",
                     "owner": "<@U0HOSTILE> & co", "spokespeople": ["<!channel>"],
                     "cities": ["<https://evil.example|Atlantis>"]}})
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        yield bot


def typed(text: str) -> str:
    """A command's text as Slack sends what a person typed: &, < and > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assert_plain(body: dict) -> None:
    """Nothing in what Slack renders (blocks and notification text) is a live control."""
    text = all_text(body)
    for control in RAW_CONTROLS:
        assert control not in text, control
    assert not re.search(r"&(?!amp;|lt;|gt;)", text), "a bare & Slack would read as markup"


async def test_an_answer_shows_hostile_approved_text_and_query_as_plain_text(hostile):
    body = await hostile.ask(typed(NORTH_TITLE))  # its own full title: unmistakable
    assert button_values(body, "facts_share")[0]["entry"] == "tp-hangar-north"
    assert "Approved response for “Zeppelin hangar north &lt;!channel&gt; &amp; gate”" \
        in all_text(body)
    assert escape(NORTH_TEXT) in all_text(body)
    assert escape(NORTH_TEXT) in body["text"]  # the notification says the same words
    assert escape(NORTH_TITLE) in all_text(body)
    assert_plain(body)


async def test_a_qa_shows_its_hostile_question_as_plain_text(hostile):
    for body in (await hostile.ask(QA_TITLE), await hostile.ask("show qa-mooring-mast")):
        assert button_values(body, "facts_share")[0]["entry"] == "qa-mooring-mast"
        assert f"Q: {escape(QA_QUESTION)}" in all_text(body)
        assert_plain(body)


async def test_list_and_events_show_hostile_titles_and_schedules_as_plain_text(hostile):
    listed = await hostile.ask("list")
    assert escape(NORTH_TITLE) in all_text(listed) and escape(ACTION_TITLE) in all_text(listed)
    assert_plain(listed)
    events = await hostile.ask("events")
    coming = all_text(events).split("*Coming up*")[1]
    assert escape(ACTION_TITLE) in coming and "&lt;!here&gt; &amp; the year 2099" in coming
    assert "&lt;@U0HOSTILE&gt; &amp; co" in coming and "&lt;!channel&gt;" in coming
    assert_plain(events)


async def test_a_choice_shows_hostile_titles_and_query_as_plain_text(hostile):
    body = await hostile.ask(typed("<zeppelin hangar> & gate"))  # fits both equally
    [best] = [v["entry"] for v in button_values(body, "facts_share")]  # shown in full
    offered = {v["entry"] for v in button_values(body, "facts_show")}
    assert {best} | offered == {"tp-hangar-north", "tp-hangar-south"} and best not in offered
    assert "Several approved responses fit “&lt;zeppelin hangar&gt; &amp; gate”" in all_text(body)
    assert escape(NORTH_TITLE) in all_text(body) and escape(SOUTH_TITLE) in all_text(body)
    best_text = NORTH_TEXT if best == "tp-hangar-north" else SOUTH_TEXT
    assert escape(best_text) in all_text(body) and escape(best_text) in body["text"]
    assert_plain(body)


async def test_no_exact_answer_shows_the_query_as_plain_text(hostile):
    """The same question as test_slack_app's suggestions test, in angle brackets."""
    body = await hostile.ask(typed("<does the ACLU support the program> &"))
    assert "There is no exact approved answer for “&lt;does the ACLU support the program&gt; " \
        "&amp;”" in all_text(body)
    assert "&lt;does the ACLU support the program&gt; &amp;" in body["text"]
    assert_plain(body)


async def test_no_approved_response_shows_the_query_as_plain_text(hostile):
    body = await hostile.ask(typed("<!everyone> parking at headquarters & <@UNOBODY1>"))
    assert "There is no approved response for “&lt;!everyone&gt; parking at headquarters " \
        "&amp; &lt;@UNOBODY1&gt;”" in all_text(body)
    assert "&lt;!everyone&gt;" in body["text"]
    assert f"Press contact: *{escape(CONTACT)}*" in all_text(body)
    assert_plain(body)


async def test_show_this_and_share_keep_hostile_text_plain(hostile):
    body = await hostile.ask(typed("<zeppelin hangar> & gate"))
    offered = button_values(body, "facts_show") + button_values(body, "facts_share")
    for entry_id, text in (("tp-hangar-north", NORTH_TEXT), ("tp-hangar-south", SOUTH_TEXT)):
        value = next(v for v in offered if v["entry"] == entry_id)
        shown = await hostile.click("facts_show", value)
        assert escape(text) in all_text(shown)
        assert_plain(shown)
        [share] = button_values(shown, "facts_share")
        posted = await hostile.click("facts_share", share)
        assert posted["response_type"] == "in_channel"
        assert escape(text) in all_text(posted) and escape(text) in posted["text"]
        assert "Shared by <@UPRESS01>" in all_text(posted)  # the sharer: the one real mention
        assert_plain({**posted, "blocks": posted["blocks"][:-1]})


# ---------------------------------------------------------------- Slack's limits

LONG_ID = "tp-long-statement"
LONG_TITLE = "Quarterly zeppelin statement in full"


def long_text(paragraphs: int) -> str:
    """Approved text of many paragraphs, one with a long unbroken run of escapable characters."""
    words = " ".join(f"word{n} R&D <{n}>" for n in range(40))
    body = [f"Paragraph {n}: {words}" for n in range(paragraphs)]
    body[1] = "https://example.org/" + "a&b<c>" * 700  # no break to cut at: a hard cut
    return "\n\n".join(body)


def section_texts(body: dict) -> list[str]:
    """Each section's text, and each rich_text block's words as mrkdwn would write them."""
    return [all_text({"blocks": [b]}).rstrip("\n") for b in body["blocks"]
            if b["type"] in ("section", "rich_text")]


def block_sizes(body: dict) -> list[int]:
    """Characters a block carries, as Slack counts them against its 3,000 (unescaped in
    rich_text, where nothing is escaped)."""
    return [len(b["text"]["text"]) if b["type"] == "section" else len(literal_text({"blocks": [b]}))
            for b in body["blocks"] if b["type"] in ("section", "rich_text")]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def test_long_content_is_split_to_slack_limits_and_loses_no_word(
        slack, tmp_path, knowledge_copy):
    text = long_text(12)
    assert len(escape(text)) > 3 * 3000
    add_entries(knowledge_copy, {"id": LONG_ID, "title": LONG_TITLE, "text": text})
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        for body in (await bot.ask(f"show {LONG_ID}"), await bot.ask(LONG_TITLE)):
            pieces = section_texts(body)
            words = [p for p in pieces if "Paragraph" in p or "example.org" in p or "a&amp;b" in p]
            assert len(words) >= 4 and all(size <= 3000 for size in block_sizes(body))
            assert squeeze(escape(text)) in squeeze("".join(pieces))  # every word, in order
            for piece in pieces:  # no cut inside an &entity;
                assert not re.search(r"&(?!amp;|lt;|gt;)", piece), piece[-20:]
            assert button_values(body, "facts_share")[0]["entry"] == LONG_ID


async def test_a_hard_cut_never_breaks_an_escaped_character(slack, tmp_path, knowledge_copy):
    """Unbroken runs of `&` (five characters once escaped), offset by 0-4 characters, so a
    hard cut at 3,000 falls on every position inside an `&amp;`."""
    add_entries(knowledge_copy, *({"id": f"tp-ampersands-{offset}", "title": f"Ampersands {offset}",
                                   "text": "z" * offset + "&" * 1300} for offset in range(5)))
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        for offset in range(5):
            pieces = section_texts(await bot.ask(f"show tp-ampersands-{offset}"))
            assert "".join(pieces) == "z" * offset + "&amp;" * 1300
            for piece in pieces:
                assert re.fullmatch(r"z*(&amp;)*", piece), (offset, piece[-7:])


async def test_a_reply_of_exactly_fifty_blocks_is_sent_whole(slack, tmp_path, knowledge_copy):
    """48 sections of approved text, its source line and its buttons: all 50 fit."""
    text = "\n\n".join(f"P{n:02d}" + "x" * 2996 for n in range(48))  # a section each
    add_entries(knowledge_copy, {"id": LONG_ID, "title": LONG_TITLE, "text": text})
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        body = await bot.ask(f"show {LONG_ID}")
        assert len(body["blocks"]) == 50
        assert squeeze(text) == squeeze("".join(section_texts(body)))
        assert "did not fit" not in all_text(body)
        [share] = button_values(body, "facts_share")
        assert (await bot.click("facts_share", share))["response_type"] == "in_channel"


async def test_a_reply_never_exceeds_fifty_blocks_and_says_what_did_not_fit(
        slack, tmp_path, knowledge_copy):
    text = "\n\n".join(f"Paragraph {n}. " + "x" * 2900 for n in range(60))
    add_entries(knowledge_copy, {"id": LONG_ID, "title": LONG_TITLE, "text": text})
    async with bot_on(slack, tmp_path, knowledge_copy) as bot:
        for body in (await bot.ask(f"show {LONG_ID}"), await bot.ask(LONG_TITLE)):
            assert len(body["blocks"]) == 50  # Harness.ask: the fake Slack accepted it
            shown = all_text(body)
            assert "Paragraph 0." in shown and "Paragraph 40." in shown
            assert "Paragraph 59." not in shown
            assert re.search(r"\d+ more blocks did not fit", all_text({"blocks":
                                                                      body["blocks"][-1:]}))


@pytest.mark.parametrize("query", [
    "parking at headquarters " * 150,  # nothing fits
    "racial profiling " * 220,  # several fit
    "does the ACLU support the program " * 100,  # close, not exact
    "traffic offenses " * 200,  # one fits
    "<&> " * 1000,  # all of it escaped, every character tripled or more
    "secure comunities fingreprints deportaton " * 80,  # many typos read as other words
])
async def test_a_very_long_question_still_gets_a_reply_slack_accepts(slack, tmp_path, query):
    """Slack passes on slash commands of thousands of characters; the reply repeats a
    question, shortened, and stays one Slack shows (Harness.ask: the fake Slack took it)."""
    async with bot_on(slack, tmp_path, BUNDLED_KNOWLEDGE) as bot:
        body = await bot.ask(typed(query))
    text = all_text(body)
    assert escape(query[:100]) in text and escape(query) not in text
    assert_plain(body)
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if b["type"] == "section")
