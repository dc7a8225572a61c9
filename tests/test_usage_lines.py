"""Usage lines are written as Slack shows them (probe S, findings S3 and S11).

Slack reads `<...>` in mrkdwn as a link or mention and asks for a literal `<`
to be sent as `&lt;`: `/facts show <id>` in the help reached Slack unescaped
(the check's usage line was escaped, the others not). And `/facts show`
without an id answered "No approved response has the id ``".
"""

from __future__ import annotations

import re

import pytest

from test_slack_app import ADMIN, all_text, bot  # noqa: F401 (fixture)

# What Slack reads inside < >: a link, a mention, a channel or a special mention.
SLACK_MARKUP = re.compile(r"<(?:https?://|mailto:|@|#|!)[^<>]*>")


def raw_angle_brackets(text: str) -> list[str]:
    """The `<` and `>` in mrkdwn that are not Slack's own markup (so Slack garbles them)."""
    return re.findall(r"[<>][^<>]{0,20}", SLACK_MARKUP.sub("", text))


@pytest.mark.parametrize("command", ["help", "list", "list sound bites", "show", "approve"])
async def test_usage_lines_have_no_raw_angle_brackets(bot, command):  # noqa: F811
    reply = all_text(await bot.ask(command, user_id=ADMIN))
    assert raw_angle_brackets(reply) == []


async def test_show_without_an_id_says_how_to_use_it(bot):  # noqa: F811
    reply = all_text(await bot.ask("show"))
    assert "``" not in reply and "`/facts show &lt;id&gt;`" in reply and "/facts list" in reply
