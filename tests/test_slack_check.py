"""The on-message check in Slack, end to end: signed shortcuts and /facts check into the real
bot, replies read from the fake Slack as a press officer would see them."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.review.html import render_html
from bot.review.privacy import purge_expired
from bot.review.summary import summarize_store
from bot.review.text import render_text
from bot.service.clock import SystemClock
from bot.service.server import start_service
from bot.slack.checking import CHECK_CALLBACK_ID, MAX_SLACK_DRAFT, RESPONSE_URL_USES
from bot.slack.render_check import CHECK_SHOW_ACTION, MESSAGE_BUDGET
from fakeslack import block_actions_payload, signed_interaction
from test_check import COLOR_BLIND, FINGERPRINTS, INCEPTION, PRIORITY
from test_slack_app import SECRET, Harness, all_text, button_values, settings_for

COMPLAINTS = "http://www.ice.gov/secure_communities/complaint_process.htm."
INVENTED = "ICE will stop all deportations next year."


class CheckHarness(Harness):
    async def shortcut(self, text: str, response_url: str | None = "fresh",
                       user_id: str = "UPRESS01") -> tuple[aiohttp.ClientResponse, str | None]:
        url = self.slack.response_url() if response_url == "fresh" else response_url
        payload = self.slack.message_action_payload(
            callback_id=CHECK_CALLBACK_ID, text=text, user_id=user_id, user_name="pat.press",
            response_url=url)
        body, headers = signed_interaction(SECRET, payload)
        async with self.http.post(self.service.url + "/slack/events", data=body,
                                  headers=headers) as response:
            await response.read()
        return response, url

    async def check(self, text: str, parts: int = 1) -> list[dict]:
        started = time.monotonic()
        response, url = await self.shortcut(text)
        assert response.status == 200 and time.monotonic() - started < 3
        posts = await self.slack.wait_for_responses(parts, url=url)
        return [post.body for post in posts]


@pytest.fixture
async def bot(slack, tmp_path):
    service = await start_service(settings_for(slack, tmp_path), SystemClock())
    async with aiohttp.ClientSession() as http:
        yield CheckHarness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


def within_slack_limits(body: dict) -> None:
    blocks = body["blocks"]
    assert len(blocks) <= 50
    total = 0
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert 0 < len(text) <= 3000 or block["type"] != "section"
        total += len(text)
        for element in [block.get("accessory"), *block.get("elements", [])]:
            if element and "value" in element:
                assert len(element["value"]) < 2000
                total += len(element["value"])
    assert total <= MESSAGE_BUDGET + 3000
    assert 0 < len(body["text"]) <= 3000
    assert body.get("response_type", "ephemeral") == "ephemeral"


async def test_a_draft_of_approved_sentences_is_all_approved_and_logged(bot):
    draft = (f"Hi all,\n\nSecure  Communities is a “color blind” system\n\n"
             f"{FINGERPRINTS.replace(chr(39), '’')} {INCEPTION.replace(' — ', '--')}\n"
             f"• {PRIORITY}\n<{COMPLAINTS[:-1]}>.\n\nThanks,\nPat")
    [body] = await bot.check(draft.replace("“color blind”", "color blind"))
    shown = all_text(body)
    assert "On message" in shown and "Not on message" not in shown
    assert "5 approved" in shown and "0 changed" in shown and "0 not approved" in shown
    assert shown.count("✅") == 6  # the tally and five sentences
    within_slack_limits(body)
    [audit] = bot.audits("check")
    assert audit.user_id == "UPRESS01" and audit.channel_id == "C0FACTS01"
    assert audit.detail["approved"] == 5 and audit.detail["changed"] == 0
    assert audit.detail["unapproved"] == 0 and audit.detail["source"] == "shortcut"
    assert audit.content_version == bot.service.bot.live.snapshot.version
    assert "U0AUTHOR1" not in json.dumps(audit.detail)  # whose message it was is not logged


async def test_a_changed_number_is_flagged_and_the_approved_line_is_one_click_away(bot):
    [body] = await bot.check(f"{COLOR_BLIND} {INCEPTION.replace('18,000', '20,000')}")
    shown = all_text(body)
    assert "Not on message" in shown and "1 changed" in shown
    assert "~18,000~ *20,000*" in shown
    assert "*number*: approved “18,000” → draft “20,000”" in shown
    [value] = button_values(body, CHECK_SHOW_ACTION)
    url = bot.slack.response_url()
    payload = block_actions_payload(action_id=CHECK_SHOW_ACTION, value=json.dumps(value),
                                    user_id="UPRESS01", response_url=url)
    signed, headers = signed_interaction(SECRET, payload)
    async with bot.http.post(bot.service.url + "/slack/events", data=signed,
                             headers=headers) as response:
        assert response.status == 200
    [post] = await bot.slack.wait_for_responses(1, url=url)
    assert INCEPTION in all_text(post.body)  # the approved words, verbatim
    assert post.body["replace_original"] is False  # the check stays on screen
    assert [a.detail["entry_id"] for a in bot.audits("show")] == [value["entry"]]



async def click_show_on_check(harness: CheckHarness, draft: str) -> dict:
    """Check a draft, click *Show this* on its first checked line: what that shows."""
    [body] = await harness.check(draft)
    value = button_values(body, CHECK_SHOW_ACTION)[0]
    url = harness.slack.response_url()
    payload = block_actions_payload(action_id=CHECK_SHOW_ACTION, value=json.dumps(value),
                                    user_id="UPRESS01", response_url=url)
    signed, headers = signed_interaction(SECRET, payload)
    async with harness.http.post(harness.service.url + "/slack/events", data=signed,
                                 headers=headers) as response:
        assert response.status == 200
    [post] = await harness.slack.wait_for_responses(1, url=url)
    return post.body


async def test_show_from_a_check_says_the_line_is_overdue_like_every_other_show(bot):
    """It passed `True` for today and no review label: the overdue warning was missing
    (probe S, finding S22)."""
    shown = all_text(await click_show_on_check(bot, INCEPTION.replace("18,000", "20,000")))
    assert INCEPTION in shown and "Not re-approved since 2009-04-23" in shown


async def test_show_from_a_check_answers_for_a_plan_with_an_expiry(slack, tmp_path,
                                                                  knowledge_copy):
    """With dates to compare, `True` for today made the click fail with no reply (S22)."""
    document = knowledge_copy / "ice-secure-communities-2009-04" / "document.yaml"
    document.write_text(document.read_text().replace("  date: 2009-04-23\n",
                                                     "  date: 2009-04-23\n  expires: 2099-12-31\n"))
    service = await start_service(settings_for(slack, tmp_path, knowledge_dir=knowledge_copy),
                                  SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = CheckHarness(slack, service, http, tmp_path / "facts.db")
            shown = all_text(await click_show_on_check(harness, INCEPTION.replace("18,000", "2")))
    finally:
        await service.stop()
    assert INCEPTION in shown

async def test_a_swapped_name_is_a_name_difference(bot):
    [body] = await bot.check(PRIORITY.replace("DHS and ICE", "DHS and FBI"))
    shown = all_text(body)
    assert "*name*: approved “ICE” → draft “FBI”" in shown
    assert "~ICE~ *FBI*" in shown


async def test_an_invented_claim_is_not_approved_with_the_nearest_line_as_a_hint(bot):
    [body] = await bot.check(f"{COLOR_BLIND}\n\n{INVENTED}")
    shown = all_text(body)
    assert "❌ *2.* *Not approved:* ICE will stop all deportations next year." in shown
    assert "Nearest approved line:" in shown
    assert "1 not approved" in shown and "Not on message" in shown


def long_draft(size: int) -> str:
    """Approved sentences, some with a number changed or a claim invented, to `size`."""
    pieces, length, number = [], 0, 0
    while length < size:
        sentence = [COLOR_BLIND, FINGERPRINTS, PRIORITY, INCEPTION.replace(
            "18,000", f"{number},000"), f"{INVENTED[:-1]} in {number} cities."][number % 5]
        pieces.append(sentence)
        length += len(sentence) + 1
        number += 1
    return " ".join(pieces)[:size]


async def test_a_30000_character_draft_is_answered_within_slacks_limits(bot):
    draft = long_draft(30_000)
    response, url = await bot.shortcut(draft)
    assert response.status == 200
    [first] = await bot.slack.wait_for_responses(1, url=url)
    total = int(re.search(r"Part 1 of (\d+)", all_text(first.body)).group(1))
    posts = await bot.slack.wait_for_responses(total, url=url, timeout=20)
    assert 1 < len(posts) <= RESPONSE_URL_USES
    assert all(post.status == 200 for post in posts)
    numbers = []
    for post in posts:
        within_slack_limits(post.body)
        numbers += [int(n) for n in _sentence_numbers(all_text(post.body))]
    [audit] = bot.audits("check")
    assert numbers == list(range(1, audit.detail["sentences"] + 1))  # each once, in order
    assert audit.detail["changed"] > 0 and audit.detail["unapproved"] > 0


def _sentence_numbers(text: str) -> list[str]:
    return re.findall(r"^(?:✅|✏️|❌|▫️) \*(\d+)\.\*", text, flags=re.MULTILINE)


async def test_an_answer_longer_than_five_replies_goes_by_chat_post_ephemeral(bot):
    draft = long_draft(MAX_SLACK_DRAFT)
    response, url = await bot.shortcut(draft)
    assert response.status == 200
    [first] = await bot.slack.wait_for(lambda: bot.slack.calls("chat.postEphemeral")[:1],
                                       timeout=20)
    total = int(re.search(r"Part 1 of (\d+)", all_text(first.params)).group(1))
    assert total > RESPONSE_URL_USES
    calls = await bot.slack.wait_for(
        lambda: (lambda got: got if len(got) >= total else None)(
            bot.slack.calls("chat.postEphemeral")), timeout=20)
    for call in calls:
        assert call.ok and call.params["user"] == "UPRESS01"
        assert call.params["channel"] == "C0FACTS01"
        within_slack_limits({"blocks": json.loads(call.params["blocks"])
                             if isinstance(call.params["blocks"], str) else call.params["blocks"],
                             "text": call.params["text"]})
    assert bot.slack.responses(url) == []


async def test_where_the_bot_cannot_post_the_fifth_reply_says_what_did_not_fit(bot):
    bot.slack.fail_next("chat.postEphemeral", "channel_not_found")
    response, url = await bot.shortcut(long_draft(MAX_SLACK_DRAFT))
    posts = await bot.slack.wait_for_responses(RESPONSE_URL_USES, url=url, timeout=20)
    assert all(post.status == 200 for post in posts)
    assert "did not fit" in all_text(posts[-1].body)
    assert "Part 1 of" in all_text(posts[0].body)
    for post in posts:
        within_slack_limits(post.body)



async def test_when_slack_fails_part_way_the_person_is_told_what_is_missing(bot):
    """Parts 1 and 2 posted, part 3 refused: the rest were lost without a word (probe S18)."""
    def third_fails(params: dict, token: str | None) -> dict:
        if len(bot.slack.calls("chat.postEphemeral")) == 2:  # the two before it, recorded
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "message_ts": f"{time.time():.6f}"}

    bot.slack.handlers["chat.postEphemeral"] = third_fails
    response, url = await bot.shortcut(long_draft(MAX_SLACK_DRAFT))
    [note] = await bot.slack.wait_for_responses(1, url=url, timeout=20)
    total = int(re.search(r"Part 1 of (\d+)",
                          all_text(bot.slack.calls("chat.postEphemeral")[0].params)).group(1))
    text = all_text(note.body)
    assert f"Parts 3 to {total}" in text and "`internal_error`" in text
    within_slack_limits(note.body)

async def test_facts_check_checks_the_text_typed_after_it(bot):
    body = await bot.ask(f"check {COLOR_BLIND}\n{INCEPTION.replace('18,000', '20,000')}")
    shown = all_text(body)
    assert "~18,000~ *20,000*" in shown and "1 approved" in shown
    assert [a.detail["source"] for a in bot.audits("check")] == ["command"]
    assert bot.queries() == []  # the draft is logged once, in the check's audit row
    usage = all_text(await bot.ask("check"))
    assert "/facts check <text>" in usage.replace("&lt;", "<").replace("&gt;", ">")


async def test_empty_and_oversized_messages_get_one_line_and_leave_a_row(bot):
    """Nothing is checked, so no check is audited; the request still leaves its query
    row, as `/facts check` with nothing to check does (the shortcut left none)."""
    [empty] = await bot.check("   ")
    assert "no text to check" in all_text(empty)
    huge_draft = "word " * (MAX_SLACK_DRAFT // 5 + 1)
    [huge] = await bot.check(huge_draft)
    assert "takes up to 40,000" in all_text(huge)
    assert bot.audits("check") == []
    rows = bot.queries()
    assert [row.status for row in rows] == ["command", "command"]
    assert [row.text for row in rows] == ["   ", huge_draft[:10_000]]



@pytest.mark.parametrize("text", ["check", "check   ",
                                  "check " + "word " * (MAX_SLACK_DRAFT // 5 + 1)])
async def test_a_facts_check_with_nothing_checked_still_leaves_its_log_row(bot, text):
    """Every other subcommand leaves a query row; `/facts check` with no text or an
    oversized draft left none anywhere (probe S, finding S28)."""
    reply = all_text(await bot.ask(text))
    assert "compares each sentence" in reply or "takes up to 40,000" in reply
    [row] = bot.queries()
    assert row.status == "command" and row.text == text[:10_000]


async def test_a_greeting_alone_is_not_called_approved_word_for_word(bot):
    """"Hi." was summed up as "(1 sentences) ... every sentence is approved, word for
    word" with nothing approved in it (probe S, findings S4 and S12)."""
    [body] = await bot.check("Hi.")
    shown = all_text(body)
    assert "every sentence is approved" not in shown and "(1 sentence)" in shown
    assert "no statement to check" in shown

async def test_slack_markup_is_read_as_the_text_a_person_sees(bot):
    link = "Q&amp;A: <http://www.ice.gov/secure_communities/complaint_process.htm>."
    hostile = "&lt;!channel&gt; <!here> says &lt;b&gt;Zebras&lt;/b&gt; &amp; ICE agree."
    [body] = await bot.check(f"{COLOR_BLIND} {link}\n\n{hostile}")
    [audit] = bot.audits("check")
    assert audit.detail["text"] == (
        "Secure Communities is a color blind system. Q&A: "
        "http://www.ice.gov/secure_communities/complaint_process.htm.\n\n"
        "<!channel> @here says <b>Zebras</b> & ICE agree.")
    shown = all_text(body)
    assert "&lt;!channel&gt; @here says &lt;b&gt;Zebras&lt;/b&gt; &amp; ICE agree." in shown
    assert "<!channel>" not in shown and "<b>" not in shown and "<!here>" not in shown


async def test_a_long_on_message_draft_is_split_into_sections_within_limits(bot):
    _, url = await bot.shortcut("\n".join([COLOR_BLIND, FINGERPRINTS, PRIORITY] * 80))
    [first] = await bot.slack.wait_for_responses(1, url=url)
    found = re.search(r"Part 1 of (\d+)", all_text(first.body))
    posts = await bot.slack.wait_for_responses(int(found[1]) if found else 1, url=url)
    for post in posts:
        within_slack_limits(post.body)
    assert sum(len(_sentence_numbers(all_text(p.body))) for p in posts) == 240
    assert "240 approved" in all_text(first.body)


async def test_socket_mode_shortcut_is_acked_and_answered(slack, tmp_path):
    settings = settings_for(slack, tmp_path, app_token="xapp-1-test", signing_secret=None)
    service = await start_service(settings, SystemClock())
    try:
        await slack.wait_for_socket_connection()
        url = slack.response_url()
        payload = slack.message_action_payload(callback_id=CHECK_CALLBACK_ID, text=COLOR_BLIND,
                                               response_url=url)
        envelope = await slack.send_socket_event("interactive", payload)
        await slack.wait_for_ack(envelope)
        [post] = await slack.wait_for_responses(1, url=url)
        assert "On message" in all_text(post.body)
    finally:
        await service.stop()


async def test_checks_are_reviewed_pseudonymised_and_purged_like_queries(slack, tmp_path):
    settings = settings_for(slack, tmp_path, log_pseudonymize=True,
                            pseudonym_key="k" * 32)
    service = await start_service(settings, SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = CheckHarness(slack, service, http, tmp_path / "facts.db")
            await harness.check(COLOR_BLIND)
            await harness.check(f"{COLOR_BLIND} {INVENTED}")
            await harness.check(PRIORITY.replace("ICE", "FBI"))
        audits = harness.audits("check")
        assert [a.detail["on_message"] for a in audits] == [True, False, False]
        assert all(a.user_id.startswith("anon-") and a.user_name.startswith("anon-")
                   for a in audits)
        summary = summarize_store(service.store)
        assert (summary.checks, summary.checks_off_message) == (3, 2)
        text = render_text(summary, [])
        assert "Draft checks: 3, of which 2 found changed or unapproved sentences" in text
        page = render_html(summary, [], dt.datetime.now(dt.UTC))
        assert "3 drafts checked: 1 on message, 2 found changed or unapproved" in page
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=366)
        purge_expired(service.store, later, 365)
        assert harness.audits("check") == []  # the drafts go when query text would
    finally:
        await service.stop()


def test_the_manifest_offers_the_shortcut_the_app_listens_for():
    manifest = yaml.safe_load((Path(__file__).parents[1] / "deploy" /
                               "slack-app-manifest.yaml").read_text(encoding="utf-8"))
    [shortcut] = [s for s in manifest["features"]["shortcuts"]
                  if s["callback_id"] == CHECK_CALLBACK_ID]
    assert shortcut["type"] == "message" and shortcut["name"] == "Check against approved lines"
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


async def test_the_shortcut_is_acked_before_the_check_is_answered(bot):
    bot.slack.response_delay = 1.0  # Slack's side is slow to take the answer
    response, url = await bot.shortcut(long_draft(30_000))
    assert response.status == 200
    assert bot.slack.responses(url) == []  # acked first; the answer is still on its way
    await bot.slack.wait_for_responses(1, url=url, timeout=20)
