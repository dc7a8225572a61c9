"""*Share in channel* that Slack refuses is never silent (probe S, finding S1).

Slack answers a response_url post it will not carry out with an HTTP error and
a one-word reason (`channel_not_found` in a private channel or a direct
message the app cannot post to, `expired_url` after 30 minutes). The press
officer must hear that nothing was shared; before, they heard nothing and
believed it was posted.
"""

from __future__ import annotations

import json

import pytest

from fakeslack import block_actions_payload, signed_interaction
from test_slack_app import SECRET, bot, button_values  # noqa: F401 (fixture)


async def share_while_slack_answers(bot, status: int, reason: str) -> list:  # noqa: F811
    """Click *Share in channel* with Slack refusing the post; every post to its response_url."""
    body = await bot.ask("traffic offenses")
    [share] = button_values(body, "facts_share")
    url = bot.slack.response_url()
    bot.slack.fail_next_response(status, reason)
    payload = block_actions_payload(action_id="facts_share", value=json.dumps(share),
                                    user_id="USHARER1", user_name="sam", response_url=url)
    signed, headers = signed_interaction(SECRET, payload)
    async with bot.http.post(bot.service.url + "/slack/events", data=signed,
                             headers=headers) as response:
        assert response.status == 200
    return await bot.slack.wait_for_responses(2, url=url)


@pytest.mark.parametrize("status, reason", [(404, "channel_not_found"), (404, "expired_url"),
                                            (403, "not_in_channel")])
async def test_a_refused_share_says_it_was_not_shared_and_why(bot, status, reason):  # noqa: F811
    refused, note = await share_while_slack_answers(bot, status, reason)
    assert refused.body["response_type"] == "in_channel" and refused.status == status
    assert note.body["response_type"] == "ephemeral" and note.status == 200
    assert "Not shared" in note.body["text"] and f"`{reason}`" in note.body["text"]
    assert "\n" not in note.body["text"]
    assert ("Ask again" in note.body["text"]) == (reason == "expired_url")


async def test_a_share_slack_failed_on_says_to_look_before_sharing_again(bot):  # noqa: F811
    _, note = await share_while_slack_answers(bot, 500, "<html>internal error</html>")
    assert "did not confirm your share" in note.body["text"]
    assert "<html>" not in note.body["text"]
