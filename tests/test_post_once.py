"""A post in a channel goes out at most once, even when the connection drops (issue 13, item 3).

Slack accepts the post, then the connection drops before its answer: resending
would post twice. The fake Slack does exactly that (`drop_after_accepting`).
"""

from __future__ import annotations

import json
import logging

from bot.service.clock import FakeClock
from bot.store import ALERT_FAILED, ALERT_OK
from fakeslack import block_actions_payload, signed_interaction
from test_alerts import CHANNEL, db, key, local, running_bot  # noqa: F401 (fixture)
from test_slack_app import SECRET, bot, button_values  # noqa: F401 (fixture)


async def test_an_alert_whose_answer_was_lost_is_found_not_posted_again(slack, db, snapshot):  # noqa: F811
    slack.drop_after_accepting("chat.postMessage")
    clock = FakeClock(local(4, 25, 6))
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        await clock.run_until(local(4, 25, 23))
        status = store.alert_status(key("2009-04-25"))
    [message] = slack.channel_messages(CHANNEL)
    assert message["metadata"]["event_payload"]["alert_key"] == key("2009-04-25")
    assert (status.state, status.attempts) == (ALERT_OK, 1)
    assert message["ts"] in status.detail


async def test_when_nobody_can_tell_it_is_not_posted_twice_and_says_so(slack, db, snapshot,  # noqa: F811
                                                                      caplog):
    slack.drop_after_accepting("chat.postMessage")
    slack.fail_next("conversations.history", "missing_scope", times=1000)
    clock = FakeClock(local(4, 25, 6))
    async with running_bot(db, slack, clock, lambda: snapshot) as store:
        with caplog.at_level(logging.ERROR, logger="facts_bot.alerts"):
            await clock.run_until(local(4, 25, 23))  # many retries fall due in that time
        status = store.alert_status(key("2009-04-25"))
    assert len(slack.channel_messages(CHANNEL)) == 1
    assert status.state == ALERT_FAILED and status.detail.startswith("unconfirmed")
    assert "NOT posting it again" in caplog.text


async def test_a_share_whose_answer_was_lost_is_not_posted_twice(bot):  # noqa: F811
    body = await bot.ask("traffic offenses")
    [share] = button_values(body, "facts_share")
    url = bot.slack.response_url()
    bot.slack.drop_response_after_accepting()
    payload = block_actions_payload(action_id="facts_share", value=json.dumps(share),
                                    user_id="USHARER1", user_name="sam", response_url=url)
    signed, headers = signed_interaction(SECRET, payload)
    async with bot.http.post(bot.service.url + "/slack/events", data=signed,
                             headers=headers) as response:
        assert response.status == 200
    posts = await bot.slack.wait_for_responses(2, url=url)
    in_channel = [p for p in posts if p.body.get("response_type") == "in_channel"]
    assert len(in_channel) == 1
    [note] = [p for p in posts if p.body.get("response_type") == "ephemeral"]
    assert "did not confirm your share" in note.body["text"]
    assert await bot.service.bot.inflight.wait_idle(10)
    assert len([p for p in bot.slack.responses(url)
                if p.body.get("response_type") == "in_channel"]) == 1
