"""The admin-group lookup never holds up an answer for long (probe S, finding S24).

`/facts events` asks whether the person is an admin (admins also see failed
alerts); with Slack rate-limiting `usergroups.users.list` (Retry-After 8 s,
three times) the events answer took over 20 s. A lookup that Slack holds up
is given up after a short while and the last known members are used.
"""

from __future__ import annotations

from test_slack_app import ADMIN, all_text, bot_on_copy  # noqa: F401 (fixture)


async def test_events_answers_while_slack_rate_limits_the_admin_group(bot_on_copy, slack):  # noqa: F811
    slack.usergroups["S0ADMINS"] = ["UGROUP01"]
    slack.rate_limit_next("usergroups.users.list", retry_after=30)
    reply = all_text(await bot_on_copy.ask("events", user_id="UPRESS01"))  # waits 5 s at most
    assert "Coming up" in reply


async def test_listed_admins_are_admins_while_the_group_lookup_is_held_up(bot_on_copy, slack):  # noqa: F811
    slack.rate_limit_next("usergroups.users.list", retry_after=30)
    assert "Reload" in all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    assert slack.calls("usergroups.users.list") == []  # not asked: the settings name them


async def assert_could_not_check(bot, said: str) -> None:
    """A group member is told the bot could not check (not that they are no admin), and
    the refusal is logged with the reason."""
    reply = all_text(await bot.ask("reload", user_id="UGROUP01"))
    assert f"Could not check the admin group (Slack said {said})" in reply
    assert "for the communications team's admins" not in reply and "Reloaded" not in reply
    [refusal] = bot.audits("refusal")
    assert refusal.detail["command"] == "reload" and said in refusal.detail["reason"]


async def test_a_group_that_cannot_be_read_is_said_not_taken_as_no(bot_on_copy, slack):  # noqa: F811
    slack.usergroups["S0ADMINS"] = ["UGROUP01"]
    slack.fail_next("usergroups.users.list", "missing_scope")
    await assert_could_not_check(bot_on_copy, "`missing_scope`")


async def test_a_deleted_group_is_said(bot_on_copy, slack):  # noqa: F811
    del slack.usergroups["S0ADMINS"]
    await assert_could_not_check(bot_on_copy, "`no_such_subteam`")


async def test_a_group_lookup_slack_holds_up_is_said(bot_on_copy, slack):  # noqa: F811
    slack.usergroups["S0ADMINS"] = ["UGROUP01"]
    slack.rate_limit_next("usergroups.users.list", retry_after=30)  # given up after 1.5 s
    await assert_could_not_check(bot_on_copy, "nothing within 1.5 s")
