# ruff: noqa: F811  (pytest passes the imported `bot` fixture by name)
"""A Markdown link in approved text is shown as its words, everywhere it is shown.

The plan's `[CRCL complaint intake Web site](#)` goes nowhere: Slack, the
command line and the alerts show "CRCL complaint intake Web site", never a dead
link or brackets, while the stored text stays verbatim. A link with a real
address becomes a Slack link that content cannot bend into another link or a
mention, and "words (url)" on the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.alerts.sender import AlertScheduler, AlertSender
from bot.content import load_snapshot
from bot.service.clock import FakeClock, SystemClock
from bot.service.server import start_service
from bot.slack.api import slack_client
from bot.slack.render import approved_mrkdwn
from bot.store import open_store
from test_slack_app import (
    Harness,
    all_text,
    bot,  # noqa: F401  (a fixture, used by name below)
    button_values,
    settings_for,
)

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
PLAN = "ice-secure-communities-2009-04"
SOURCE = "ice-secure-communities-media-plan-2009-04-23.txt"
DEAD_LINK = "[CRCL complaint intake Web site](#)"
WORDS = "on the CRCL complaint intake Web site."
QUERY = "report civil rights violations to CRCL"
HOSTILE_URL = "https://www.dhs.gov/crcl?a=1&b=2|<!channel>"
SAFE_LINK = "<https://www.dhs.gov/crcl?a=1&amp;b=2%7C%3C!channel%3E|CRCL complaint intake Web site>"


def retarget(root: Path, old: str, new: str) -> None:
    """Change approved words in a knowledge copy and in its source alike (still verbatim)."""
    for path in (root / PLAN / "if_asked.yaml", root / PLAN / "sound_bites.yaml",
                 root / PLAN / SOURCE):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new), encoding="utf-8")


def facts_bot(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTS_", "SLACK_"))}
    done = subprocess.run([FACTS_BOT, *args], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_words_not_link(text: str) -> None:
    assert WORDS in text
    assert "](#)" not in text and "[CRCL" not in text


async def test_a_link_going_nowhere_shows_its_words_in_every_slack_reply(bot, snapshot):
    assert DEAD_LINK in snapshot.by_id["ifa-report-allegations"].text  # stored verbatim
    answer = await bot.ask(QUERY)
    assert_words_not_link(all_text({"blocks": answer["blocks"]}))
    assert_words_not_link(answer["text"])  # the notification too

    [share] = button_values(answer, "facts_share")
    shared = await bot.click("facts_share", share, user_id="USHARER1")
    assert shared["response_type"] == "in_channel"
    assert_words_not_link(all_text(shared))

    shown = await bot.ask("show ifa-report-allegations")
    assert_words_not_link(all_text(shown))


@pytest.fixture
async def bot_with_real_link(slack, tmp_path, knowledge_copy):
    """The bot serving a copy whose link has a real, hostile address."""
    retarget(knowledge_copy, DEAD_LINK, f"[CRCL complaint intake Web site]({HOSTILE_URL})")
    settings = settings_for(slack, tmp_path, knowledge_dir=knowledge_copy)
    service = await start_service(settings, SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_a_real_link_is_a_slack_link_that_content_cannot_forge(bot_with_real_link):
    answer = await bot_with_real_link.ask(QUERY)
    shown = all_text({"blocks": answer["blocks"]})
    assert f"on the {SAFE_LINK}." in shown
    assert re.findall(r"<[^>]*>", shown) == [SAFE_LINK]  # the only link, no mention
    assert "<!channel>" not in answer["text"] and "<" not in answer["text"]
    assert "CRCL complaint intake Web site (https://www.dhs.gov/crcl?a=1" in answer["text"]


def test_the_command_line_shows_words_and_keeps_json_verbatim(knowledge_copy):
    plain = facts_bot("ask", QUERY)
    assert_words_not_link(plain)
    [first] = json.loads(facts_bot("ask", "--json", "--limit", "1", QUERY))["results"]
    assert DEAD_LINK in first["text"]  # the contract gives the stored words

    retarget(knowledge_copy, DEAD_LINK, "[CRCL complaint intake Web site](https://www.dhs.gov/crcl)")
    linked = facts_bot("ask", "--knowledge", str(knowledge_copy), QUERY)
    assert "on the CRCL complaint intake Web site (https://www.dhs.gov/crcl)." in linked
    assert "[CRCL" not in linked


BITE = "they can't tell what race you are."
LINKED_BITE = "they can't tell [what race you are](#). See [the facts](https://www.ice.gov/sc)."


async def test_alerts_show_a_sound_bites_links_as_words(slack, tmp_path, knowledge_copy):
    retarget(knowledge_copy, BITE, LINKED_BITE)
    snapshot = load_snapshot(knowledge_copy)
    assert LINKED_BITE in snapshot.by_id["sb-color-blind"].text

    preview = facts_bot("alerts", "preview", "--date", "2009-04-27",
                        "--knowledge", str(knowledge_copy))
    assert "they can't tell what race you are. See the facts (https://www.ice.gov/sc)." in preview
    assert "](" not in preview

    monday = dt.datetime(2009, 4, 27, 11, 0, tzinfo=dt.UTC)
    store = open_store(tmp_path / "facts.db")
    try:
        sender = AlertSender(store, slack_client("xoxb-test", slack.api_url),
                             FakeClock(monday), "bot-a")
        await AlertScheduler(sender, lambda: snapshot, FakeClock(monday)).tick(monday)
    finally:
        await store.close()
    [post] = slack.calls("chat.postMessage", ok=True)
    blocks = "\n".join(b["text"]["text"] for b in post.params["blocks"] if b["type"] == "section")
    assert "they can't tell what race you are. See <https://www.ice.gov/sc|the facts>." in blocks
    assert "See the facts (https://www.ice.gov/sc)." in post.params["text"]
    assert "](" not in blocks and "](" not in post.params["text"]


@pytest.mark.parametrize("hostile", [
    "[a](https://x.gov/|<!here>) [b <@U1>](https://y.gov/>) <!channel>",
    "[x](https://x.gov/ \"<!here>\") & [y](<https://z.gov/a b>)",
    "[" * 20_000 + "](" * 20_000 + "a" * 20_000,
    "[café](https://bücher.example/ä?q=|) [x](javascript:alert(1)) [y](mailto:a@b.gov)",
    "\udcff[z](http://)",
])
def test_hostile_links_never_become_mentions_or_other_links(hostile):
    shown = approved_mrkdwn(hostile)
    links = re.findall(r"<[^>]*>", shown)
    assert all(re.fullmatch(r"<https?://[^\s|<>]+\|[^<>]*>", link) for link in links), links
    assert "<!" not in shown and "<@" not in shown
