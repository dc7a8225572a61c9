"""/facts end to end: genuinely signed requests into the real bot, replies into a fake Slack."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest

from bot.content import BUNDLED_KNOWLEDGE
from bot.service.clock import FakeClock, SystemClock
from bot.service.server import start_service
from bot.service.settings import Settings
from bot.slack.inflight import InFlight
from bot.slack.render import escape
from bot.store import ALERT_FAILED, open_store
from fakeslack import FakeSlack, block_actions_payload, signed_interaction, signed_slash_command

SECRET = "test-signing-secret"
ADMIN = "UADMIN01"
PLAN = "ice-secure-communities-2009-04"


def all_text(body: dict) -> str:
    """Everything Slack renders for a person: the blocks' texts and the fallback text.

    Written as mrkdwn throughout, so one assertion reads any block: the literal words
    of a rich_text `text` element come out escaped, as mrkdwn would have to write them,
    and a rich_text `link` as `<url|words>`. (`literal_text` reads only the literal ones.)
    """
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "rich_text_section":  # one run of text, as shown
                texts.append("".join(_as_mrkdwn(e) for e in node.get("elements", [])))
                return
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for key, value in node.items():
                if key != "value":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body.get("blocks", []))
    return "\n".join(texts) + "\n" + body.get("text", "")


def _as_mrkdwn(element: dict) -> str:
    """A rich_text element's visible words, as mrkdwn would have to write them (its style
    as mrkdwn marks: bold *x*, strike ~x~, code `x`; an emoji as :name:)."""
    if element.get("type") == "emoji":
        return f":{element['name']}:"
    if element.get("type") == "link":
        return f"<{escape(element['url'])}|{escape(element.get('text') or '')}>"
    text = escape(element.get("text", ""))
    for style, mark in (("code", "`"), ("strike", "~"), ("bold", "*"), ("italic", "_")):
        if (element.get("style") or {}).get(style):
            text = f"{mark}{text}{mark}"
    return text


def literal_text(body: dict) -> str:
    """The words Slack shows exactly as sent, never read as mrkdwn: rich_text `text`
    elements (and a link's words), joined within a block, one block a line."""
    lines = []
    for block in body.get("blocks", []):
        if block.get("type") != "rich_text":
            continue
        for part in block.get("elements", []):
            lines.append("".join(e.get("text", "") for e in part.get("elements", [])
                                 if e.get("type") in ("text", "link")))
    return "\n".join(lines)


def button_values(body: dict, action_id: str) -> list[dict]:
    found = []
    for block in body.get("blocks", []):
        elements = block.get("elements", []) + ([block["accessory"]] if "accessory" in block
                                                else [])
        found += [json.loads(e["value"]) for e in elements if e.get("action_id") == action_id]
    return found


@dataclass(frozen=True)
class Acked:
    """What Slack got back for one /facts request: the HTTP status and body of the ack."""

    status: int
    url: str  # the request's response_url
    body: dict | None  # the reply, when it went out in the ack itself


class Harness:
    """The real service on loopback, talking to the fake Slack."""

    def __init__(self, slack, service, http: aiohttp.ClientSession, db: Path) -> None:
        self.slack, self.service, self.http, self.db = slack, service, http, db

    async def command(self, text: str, user_id: str = "UPRESS01", timestamp: int | None = None,
                      secret: str = SECRET) -> Acked:
        response_url = self.slack.response_url()
        body, headers = signed_slash_command(secret, text=text, user_id=user_id,
                                             user_name="pat.press", response_url=response_url,
                                             timestamp=timestamp)
        async with self.http.post(self.service.url + "/slack/events", data=body,
                                  headers=headers) as response:
            raw = await response.read()
        answered = raw and response.content_type == "application/json"
        return Acked(response.status, response_url, json.loads(raw) if answered else None)

    async def ask(self, text: str, user_id: str = "UPRESS01") -> dict:
        """The reply the asker sees: in the ack itself, or (late) through response_url."""
        acked = await self.command(text, user_id)
        assert acked.status == 200
        if acked.body is not None:
            # Slack shows nothing for blocks it refuses, in an ack as in a late reply
            assert FakeSlack._blocks_problem(acked.body.get("blocks")) is None
            return acked.body
        [post] = await self.slack.wait_for_responses(1, url=acked.url)
        assert post.status == 200, post.reply  # e.g. invalid_blocks: Slack would show nothing
        return post.body

    async def press(self, action_id: str, value: dict, user_id: str = "UPRESS01",
                    secret: str = SECRET) -> tuple[aiohttp.ClientResponse, str]:
        """Click a button: the HTTP response (the ack) and the click's response_url."""
        url = self.slack.response_url()
        payload = block_actions_payload(action_id=action_id, value=json.dumps(value),
                                        user_id=user_id, user_name="pat.press",
                                        response_url=url)
        body, headers = signed_interaction(secret, payload)
        async with self.http.post(self.service.url + "/slack/events", data=body,
                                  headers=headers) as response:
            await response.read()
        return response, url

    async def click(self, action_id: str, value: dict, user_id: str = "UPRESS01") -> dict:
        response, url = await self.press(action_id, value, user_id)
        assert response.status == 200
        [post] = await self.slack.wait_for_responses(1, url=url)
        assert post.status == 200, post.reply
        return post.body

    def queries(self):
        return list(self.service.store.query_rows())

    def audits(self, kind: str | None = None):
        return list(self.service.store.audit_rows(kind=kind))


def settings_for(slack, tmp_path: Path, **changes) -> Settings:
    base = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=slack.api_url,
                    knowledge_dir=BUNDLED_KNOWLEDGE, db=str(tmp_path / "facts.db"),
                    spool_path=str(tmp_path / "facts-bot-spool.jsonl"),
                    admins=frozenset({ADMIN}), port=0)
    return replace(base, **changes)


@pytest.fixture
async def bot(slack, tmp_path):
    service = await start_service(settings_for(slack, tmp_path), SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_facts_answers_verbatim_with_source_and_logs_it(bot, snapshot):
    body = await bot.ask("traffic offenses")
    assert body["response_type"] == "ephemeral"
    entry = snapshot.by_id["tp-drug-dui-charges"]
    text = all_text(body)
    assert entry.text in text
    assert "Talking point" in text and "Talking Points" in text and "2009-04-23" in text
    assert snapshot.documents[PLAN].title in text
    [row] = bot.queries()
    assert (row.text, row.status, row.top_id) == ("traffic offenses", "answer", entry.id)
    assert row.user_id == "UPRESS01" and row.user_name == "pat.press"
    assert row.content_version == snapshot.version and row.latency_ms >= 0
    assert row.shown_ids[0] == entry.id


async def test_the_answer_is_the_ack_itself_and_nothing_follows(bot, snapshot):
    """The quick path: one HTTP exchange, no second request to response_url."""
    started = time.monotonic()
    acked = await bot.command("traffic offenses")
    assert acked.status == 200 and time.monotonic() - started < 3
    assert acked.body is not None and acked.body["response_type"] == "ephemeral"
    assert snapshot.by_id["tp-drug-dui-charges"].text in all_text(acked.body)
    assert button_values(acked.body, "facts_share")
    assert await bot.service.bot.inflight.wait_idle(5)  # nothing still on its way
    assert bot.slack.responses(acked.url) == []
    async with bot.http.get(bot.service.url + "/metrics") as response:
        exposition = await response.text()
    assert 'facts_replies_total{via="ack"} 1' in exposition
    assert 'facts_replies_total{via="response_url"}' not in exposition
    # the commit the ack waited for is timed: what to watch when acks slow down
    assert "facts_log_commit_milliseconds_count 1\n" in exposition


async def test_answer_offers_other_responses_share_and_feedback_buttons(bot):
    body = await bot.ask("how many removed")
    assert button_values(body, "facts_share") and button_values(body, "facts_helpful")
    assert button_values(body, "facts_not_helpful")
    assert 1 <= len(button_values(body, "facts_show")) <= 2


async def test_show_this_replaces_the_answer_with_the_other_response(bot, snapshot):
    body = await bot.ask("how many removed")
    other = button_values(body, "facts_show")[0]
    shown = await bot.click("facts_show", other)
    assert shown["replace_original"] is True
    entry = snapshot.by_id[other["entry"]]
    assert escape(entry.text) in all_text(shown)
    assert bot.audits("show")[0].detail["entry_id"] == entry.id


async def test_share_posts_in_channel_attributed_to_the_sharer(bot, snapshot):
    body = await bot.ask("traffic offenses")
    [share] = button_values(body, "facts_share")
    posted = await bot.click("facts_share", share, user_id="USHARER1")
    assert posted["response_type"] == "in_channel"
    assert "<@USHARER1>" in all_text(posted)
    assert snapshot.by_id[share["entry"]].text[:60] in all_text(posted)
    [audit] = bot.audits("share")
    assert audit.user_id == "USHARER1" and audit.detail["entry_id"] == share["entry"]


async def test_feedback_is_recorded_with_the_answer_it_judged(bot):
    body = await bot.ask("traffic offenses")
    [value] = button_values(body, "facts_not_helpful")
    reply = await bot.click("facts_not_helpful", value)
    assert "not helpful" in reply["text"]
    [audit] = bot.audits("feedback")
    assert audit.detail["helpful"] is False
    assert audit.detail["entry_id"] == "tp-drug-dui-charges"
    assert audit.detail["query"] == "traffic offenses"
    assert audit.detail["query_request_id"] == bot.queries()[0].request_id


async def test_no_match_says_so_gives_the_press_contact_and_is_logged(bot):
    body = await bot.ask("parking at headquarters")
    text = all_text(body)
    assert "no approved response" in text and "logged for the communications team" in text
    assert "Gillian Brigham" in text and "202-732-4217" in text
    assert bot.queries()[0].status == "no_match"


async def test_suggestions_say_there_is_no_exact_answer_and_offer_buttons(bot):
    body = await bot.ask("does the ACLU support the program")
    assert "no exact approved answer" in all_text(body)
    assert button_values(body, "facts_show")[0]["entry"] == "ifa-meets-ngos"
    assert bot.queries()[0].status == "suggestions"


async def test_several_equally_fitting_responses_are_offered_as_a_choice(bot):
    body = await bot.ask("racial profiling")
    assert "Several approved responses fit" in all_text(body)
    assert 1 <= len(button_values(body, "facts_show")) <= 4


async def test_user_text_cannot_ping_or_forge_links(bot):
    # as Slack sends a typed @channel, a pasted link and "&": markup, and an entity
    body = await bot.ask("<!channel> <https://evil.example|click here> &amp; more")
    text = all_text(body)
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "“@channel click here &amp; more”" in text  # plain words, no ping, no link


@pytest.mark.parametrize("text", ["", "help"])
async def test_help(bot, text):
    body = await bot.ask(text)
    assert "/facts list" in all_text(body) and "/facts show" in all_text(body)


async def test_list_and_show(bot, snapshot):
    listed = all_text(await bot.ask("list qa"))
    assert listed.count("`qa-") == 3 and "tp-ice-mission" not in listed
    everything = all_text(await bot.ask("list"))
    assert all(entry.id in everything for entry in snapshot.entries)
    shown = await bot.ask("show sb-color-blind")
    assert "color blind system" in all_text(shown)
    assert "no approved response has the id" in all_text(await bot.ask("show nope")).lower()


async def test_bad_signature_and_stale_timestamp_are_rejected(bot):
    forged = await bot.command("racial profiling", secret="wrong-secret")
    stale = await bot.command("racial profiling", timestamp=int(time.time()) - 600)
    assert forged.status == 401 and stale.status == 401
    # A genuine request sent after them is answered; had either been let through,
    # its work would have started first (no sleep needed to look for it).
    body = await bot.ask("traffic offenses")
    assert "driving under the influence" in all_text(body)
    assert [q.text for q in bot.queries()] == ["traffic offenses"]
    assert bot.slack.responses() == []  # answered in its ack; nothing else went out


async def test_a_forged_click_is_rejected_and_shares_nothing(bot):
    body = await bot.ask("traffic offenses")
    [share] = button_values(body, "facts_share")
    forged, url = await bot.press("facts_share", share, user_id="UFORGER1", secret="wrong-secret")
    assert forged.status == 401
    # A genuine click after it is shared; had the forged one been let through, its
    # share would have gone out first (no sleep needed to look for it).
    posted = await bot.click("facts_share", share, user_id="USHARER1")
    assert "<@USHARER1>" in all_text(posted)
    assert bot.slack.responses(url) == []
    assert [a.user_id for a in bot.audits("share")] == ["USHARER1"]


async def test_health_readiness_and_metrics(bot):
    async with bot.http.get(bot.service.url + "/healthz") as response:
        health = await response.json()
    assert response.status == 200 and health["entries"] == 28
    async with bot.http.get(bot.service.url + "/readyz") as response:
        assert response.status == 200 and (await response.json())["ready"] is True
    await bot.ask("traffic offenses")
    await bot.ask("parking at headquarters")
    async with bot.http.get(bot.service.url + "/metrics") as response:
        exposition = await response.text()
    assert 'facts_queries_total{status="answer"} 1' in exposition
    assert 'facts_queries_total{status="no_match"} 1' in exposition
    assert "facts_ack_milliseconds_count 2" in exposition


# ---------------------------------------------------------------- admins and reload


@pytest.fixture
async def bot_on_copy(slack, tmp_path, knowledge_copy):
    settings = settings_for(slack, tmp_path, knowledge_dir=knowledge_copy, admin_group="S0ADMINS")
    slack.usergroups.setdefault("S0ADMINS", [])  # the group exists; tests name its members
    service = await start_service(settings, SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


NEW_ENTRY = f"""entries:
  - id: tp-new-line
    document: {PLAN}
    kind: talking_point
    title: A new approved line about zeppelins
    section: Talking Points
    text: >-
      ICE takes any concerns about the Secure Communities strategy seriously and is
      committed to taking action should specific cases be identified.
"""


async def test_admin_reload_reports_version_and_changes(bot_on_copy, knowledge_copy):
    before = bot_on_copy.service.bot.live.snapshot.version
    (knowledge_copy / PLAN / "new.yaml").write_text(NEW_ENTRY)
    reply = all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    after = bot_on_copy.service.bot.live.snapshot.version
    assert after != before and f"`{after}`" in reply and "Added (1): `tp-new-line`" in reply
    assert "zeppelin" in all_text(await bot_on_copy.ask("zeppelins"))
    [audit] = bot_on_copy.audits("reload")
    assert audit.detail["ok"] is True and audit.detail["added"] == ["tp-new-line"]


async def test_broken_reload_keeps_the_old_content_serving(bot_on_copy, knowledge_copy):
    before = bot_on_copy.service.bot.live.snapshot.version
    qa = knowledge_copy / PLAN / "qa.yaml"
    qa.write_text(qa.read_text().replace("kind: qa", "kind: [qa", 1))
    reply = all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    assert "Reload failed" in reply and f"{PLAN}/qa.yaml:" in reply and f"`{before}`" in reply
    assert bot_on_copy.service.bot.live.snapshot.version == before
    body = await bot_on_copy.ask("why identify people who haven't been convicted")
    assert "earliest possible opportunity" in all_text(body)
    assert bot_on_copy.audits("reload")[0].detail["ok"] is False


async def test_non_admin_is_refused_politely_and_the_refusal_logged(bot_on_copy):
    for command in ("reload", "stats"):
        reply = all_text(await bot_on_copy.ask(command, user_id="UPRESS01"))
        assert "for the communications team's admins" in reply
    refusals = bot_on_copy.audits("refusal")
    assert [r.detail["command"] for r in refusals] == ["reload", "stats"]


async def test_admin_group_members_are_admins(bot_on_copy, slack):
    slack.usergroups["S0ADMINS"] = ["UGROUP01"]
    reply = all_text(await bot_on_copy.ask("reload", user_id="UGROUP01"))
    assert "Reloaded" in reply
    assert slack.calls("usergroups.users.list")[0].params["usergroup"] == "S0ADMINS"
    await bot_on_copy.ask("reload", user_id="UGROUP01")
    assert len(slack.calls("usergroups.users.list")) == 1  # cached


async def test_slack_rate_limits_are_waited_out_and_counted(bot_on_copy, slack):
    slack.usergroups["S0ADMINS"] = ["UGROUP01"]
    slack.rate_limit_next("usergroups.users.list", retry_after=0)
    reply = all_text(await bot_on_copy.ask("reload", user_id="UGROUP01"))
    assert "Reloaded" in reply  # the admin check succeeded on the retry
    assert len(slack.calls("usergroups.users.list")) == 2
    async with bot_on_copy.http.get(bot_on_copy.service.url + "/metrics") as response:
        exposition = await response.text()
    assert 'facts_slack_api_retries_total{reason="rate_limited"} 1' in exposition


async def test_failed_replies_and_slack_errors_are_counted(bot_on_copy, slack):
    [value] = button_values(await bot_on_copy.ask("traffic offenses"), "facts_helpful")
    slack.fail_next_response(status=404, body="expired_url")
    response, url = await bot_on_copy.press("facts_helpful", value)  # via response_url
    assert response.status == 200
    await slack.wait_for_responses(1, url=url)
    del slack.usergroups["S0ADMINS"]
    await bot_on_copy.ask("reload", user_id="UGROUP01")  # S0ADMINS does not exist
    async with bot_on_copy.http.get(bot_on_copy.service.url + "/metrics") as metrics:
        exposition = await metrics.text()
    assert 'facts_slack_api_errors_total{error="response_url_404"} 1' in exposition
    assert 'facts_slack_api_errors_total{error="no_such_subteam"} 1' in exposition


def logged_texts(db: Path) -> set[str]:
    """The query log as another process sees it: only what is committed."""
    with sqlite3.connect(db) as separate:
        return {text for (text,) in separate.execute("SELECT text FROM queries")}


async def test_answers_in_the_ack_are_committed_before_they_are_sent(bot):
    """A crash after the reply must never lose a row a user saw: look when it arrives."""

    async def committed_when_seen(n: int) -> bool:
        acked = await bot.command(f"traffic offenses {n}")
        assert acked.body is not None, "answered in the ack"
        return f"traffic offenses {n}" in logged_texts(bot.db)

    assert await asyncio.gather(*(committed_when_seen(n) for n in range(10))) == [True] * 10


async def test_answers_through_response_url_are_committed_before_they_are_sent(bot):
    bot.service.bot.inflight.answer_budget = 0  # every answer follows the ack
    committed_at_arrival = []

    def check_log(body: dict) -> None:
        committed_at_arrival.append(any(q in all_text(body) for q in logged_texts(bot.db)))

    bot.slack.response_hook = check_log
    for n in range(10):
        acked = await bot.command(f"traffic offenses {n}")
        assert acked.status == 200 and acked.body is None
        await bot.slack.wait_for_responses(1, url=acked.url)
    assert committed_at_arrival == [True] * 10


async def test_a_slow_slack_holds_acks_briefly_and_every_answer_still_arrives(bot):
    """Backpressure: past the limit of answers being sent, acks wait, never past max_wait."""
    # answer_budget 0: every answer follows through response_url, as when the log is slow
    bot.service.bot.inflight = InFlight(limit=2, max_wait=0.3, answer_budget=0)
    bot.slack.response_delay = 1.0  # each answer takes a second to deliver

    async def timed_command(n: int) -> tuple[float, str]:
        started = time.monotonic()
        acked = await bot.command(f"traffic offenses {n}")
        assert acked.status == 200
        return time.monotonic() - started, acked.url


class WatchedInFlight(InFlight):
    """The real backpressure, plus a note of how many replies Slack had when each
    waiting ack was let through (so the test needs no clock)."""

    def __init__(self, slack, limit: int, max_wait: float) -> None:
        # answer_budget 0: every reply follows its ack, as when the log is slow
        super().__init__(limit=limit, max_wait=max_wait, answer_budget=0)
        self.slack, self.waiting, self.replies_when_let_through = slack, 0, []

    async def wait_for_room(self) -> None:
        full = self.count >= self.limit
        self.waiting += full
        await super().wait_for_room()
        if full:
            self.replies_when_let_through.append(len(self.slack.responses()))


async def test_past_the_limit_acks_wait_for_a_reply_to_get_out(bot):
    """Backpressure: with `limit` replies stuck, the next ack waits until one is delivered."""
    inflight = WatchedInFlight(bot.slack, limit=2, max_wait=60)
    bot.service.bot.inflight = inflight
    bot.slack.hold_responses()
    urls = []
    for n in range(2):
        acked = await asyncio.wait_for(bot.command(f"traffic offenses {n}"), 15)
        assert acked.status == 200
        urls.append(acked.url)
    await bot.slack.wait_for(lambda: bot.slack.held_responses == 2, timeout=15,
                             what="two replies held")
    third = asyncio.create_task(bot.command("traffic offenses 2"))
    await bot.slack.wait_for(lambda: inflight.waiting == 1, timeout=15,
                             what="the third ack waiting for room")
    assert inflight.replies_when_let_through == []  # still held back
    bot.slack.release_responses()
    acked = await asyncio.wait_for(third, 15)
    assert acked.status == 200
    third_url = acked.url
    assert inflight.replies_when_let_through and inflight.replies_when_let_through[0] >= 1
    for url in [*urls, third_url]:
        await bot.slack.wait_for_responses(1, url=url, timeout=15)
    assert len(bot.queries()) == 3


async def test_past_the_limit_an_ack_waits_at_most_max_wait(bot):
    """Slack that never takes a reply must not stop acks: they wait max_wait, then go."""
    inflight = WatchedInFlight(bot.slack, limit=1, max_wait=0.05)
    bot.service.bot.inflight = inflight
    bot.slack.hold_responses()
    first = await asyncio.wait_for(bot.command("traffic offenses 1"), 15)
    second = await asyncio.wait_for(bot.command("traffic offenses 2"), 15)
    assert first.status == second.status == 200
    assert inflight.replies_when_let_through == [0]  # let through with the reply still stuck
    bot.slack.release_responses()
    await bot.slack.wait_for(lambda: len(bot.slack.responses()) == 2, timeout=15,
                             what="both replies")


# ---------------------------------------------------------------- events and alerts in serve


@pytest.fixture
async def bot_in_events_week(slack, tmp_path):
    """The bot on 2009-04-27, 06:59 in Washington: the events week's Monday, before 07:00."""
    clock = FakeClock(dt.datetime(2009, 4, 27, 10, 59, tzinfo=dt.UTC))
    service = await start_service(settings_for(slack, tmp_path), clock)
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db"), clock
    await service.stop()


async def test_events_shows_today_and_what_is_coming(bot_in_events_week):
    bot, _ = bot_in_events_week
    text = all_text(await bot.ask("events"))
    today, coming = text.split("*Coming up*")
    assert "San Bernardino" in today and "BBC" in today and "Regional" in today
    assert "Op-ed" not in today and "Nothing scheduled" in coming


async def test_the_scheduler_in_serve_posts_the_days_alert_once(bot_in_events_week):
    bot, clock = bot_in_events_week
    await clock.run_until(dt.datetime(2009, 4, 27, 11, 1, tzinfo=dt.UTC))
    post = await bot.slack.wait_for_call("chat.postMessage")
    assert post.params["channel"] == "#press-office"
    assert "fewer murderers" in json.dumps(post.params)
    await clock.run_until(dt.datetime(2009, 4, 27, 15, 0, tzinfo=dt.UTC))
    assert len(bot.slack.calls("chat.postMessage")) == 1


async def test_admins_see_alert_failures_in_events(bot_in_events_week):
    bot, clock = bot_in_events_week
    bot.slack.not_in_channel.add("#press-office")
    await clock.run_until(dt.datetime(2009, 4, 27, 11, 1, tzinfo=dt.UTC))
    await bot.slack.wait_for_call("chat.postMessage")
    await bot.slack.wait_for(
        lambda: any(s.state == ALERT_FAILED for s in bot.service.store.list_alerts()),
        timeout=15, what="the claim recorded as failed")
    admin_view = all_text(await bot.ask("events", user_id=ADMIN))
    assert "Alert problems" in admin_view and "not_in_channel" in admin_view
    async with bot.http.get(bot.service.url + "/metrics") as response:
        exposition = await response.text()
    assert 'facts_alert_posts_total{result="failed"} 1' in exposition
    assert 'facts_slack_api_errors_total{error="not_in_channel"} 1' in exposition
    assert "Alert problems" not in all_text(await bot.ask("events"))


# ---------------------------------------------------------------- stats, privacy, retention


async def test_admin_stats_summarise_the_week_and_its_gaps(bot):
    for text in ("parking at headquarters", "parking at hq", "traffic offenses"):
        await bot.ask(text)
    stats = all_text(await bot.ask("stats", user_id=ADMIN))
    assert "3 lookups" in stats
    assert "No approved answer: *67%* (2)" in stats
    gaps = stats.split("*Top gaps*")[1].split("*Query log")[0]
    assert "parking at hq" in gaps and "traffic offenses" not in gaps


async def test_pseudonymized_log_never_stores_who_asked(slack, tmp_path):
    settings = settings_for(slack, tmp_path, log_pseudonymize=True,
                            pseudonym_key="a-long-enough-secret-key")
    service = await start_service(settings, SystemClock())
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            body = await harness.ask("traffic offenses", user_id="UREALUSER")
            await harness.click("facts_helpful", button_values(body, "facts_helpful")[0],
                                user_id="UREALUSER")
        raw = (tmp_path / "facts.db").read_bytes() + b"".join(
            p.read_bytes() for p in tmp_path.glob("facts.db-*"))
        assert b"UREALUSER" not in raw and b"pat.press" not in raw
        [row] = harness.queries()
        assert row.user_id.startswith("anon-") and row.text == "traffic offenses"
        assert harness.audits("feedback")[0].user_id == row.user_id
    finally:
        await service.stop()


async def test_serving_purges_rows_past_retention(slack, tmp_path):
    from bot.store import QueryRecord
    async with open_store(str(tmp_path / "facts.db")) as store:
        for age_days in (400, 10):
            await store.record_query(QueryRecord(
                ts=dt.datetime.now(dt.UTC) - dt.timedelta(days=age_days), request_id="r",
                user_id="U1", user_name="u", channel_id="C1", team_id="T1",
                text=f"{age_days} days old", status="answer", top_id=None, top_score=None,
                shown_ids=(), content_version="v", latency_ms=1.0, source="slack"))
    service = await start_service(settings_for(slack, tmp_path, log_retention_days=365),
                                  SystemClock())
    try:
        await slack.wait_for(lambda: len(list(service.store.query_rows())) == 1, timeout=5,
                             what="the purge")
        assert [r.text for r in service.store.query_rows()] == ["10 days old"]
    finally:
        await service.stop()


# ---------------------------------------------------------------- database outage


class FlakyStore:
    """A real store that can be taken down: writes and reads fail while `down`."""

    def __init__(self, store) -> None:
        self.store, self.down = store, False

    def __getattr__(self, name):
        attribute = getattr(self.store, name)
        if name in ("record_query", "record_audit", "list_alerts") and self.down:
            def refused(*args, **kwargs):
                raise ConnectionError("database unreachable")
            return refused
        return attribute


async def test_answers_continue_through_a_database_outage_and_rows_catch_up(slack, tmp_path):
    flaky = FlakyStore(open_store(str(tmp_path / "facts.db")))
    settings = settings_for(slack, tmp_path, spool_path=str(tmp_path / "spool.jsonl"))
    service = await start_service(settings, SystemClock(), store=flaky)
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            flaky.down = True
            body = await harness.ask("traffic offenses")
            assert "driving under the influence" in all_text(body)
            async with http.get(service.url + "/readyz") as response:
                ready = await response.json()
            assert response.status == 200 and ready["degraded"]
            assert any("spool" in reason for reason in ready["degraded"])
            assert list(flaky.store.query_rows()) == []
            flaky.down = False
            await slack.wait_for(lambda: len(list(flaky.store.query_rows())) == 1, timeout=15,
                                 what="the spooled row written")
            assert [r.text for r in flaky.store.query_rows()] == ["traffic offenses"]
    finally:
        await service.stop()


# ---------------------------------------------------------------- a slow log: the late answer


class GatedStore:
    """A real store whose query-log writes wait until the test opens the gate."""

    def __init__(self, store) -> None:
        self.store, self.gate, self.waiting = store, asyncio.Event(), 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    async def record_query(self, record) -> None:
        self.waiting += 1
        await self.gate.wait()
        await self.store.record_query(record)


async def test_a_slow_log_commit_acks_empty_and_the_answer_follows(slack, tmp_path, snapshot):
    """Past the ack's budget the answer cannot ride in the ack: it must not leave before
    its row is committed, so the ack goes out empty and the answer follows."""
    gated = GatedStore(open_store(str(tmp_path / "facts.db")))
    settings = settings_for(slack, tmp_path, answer_in_ack_ms=50)
    service = await start_service(settings, SystemClock(), store=gated)
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            acked = await harness.command("traffic offenses")
            assert acked.status == 200 and acked.body is None  # in time, and shows nothing
            assert gated.waiting == 1 and logged_texts(harness.db) == set()
            seen_committed = []
            slack.response_hook = lambda body: seen_committed.append(
                "traffic offenses" in logged_texts(harness.db))
            gated.gate.set()
            [post] = await slack.wait_for_responses(1, url=acked.url)
            assert seen_committed == [True]
            assert post.body["response_type"] == "ephemeral"
            assert snapshot.by_id["tp-drug-dui-charges"].text in all_text(post.body)
            assert button_values(post.body, "facts_share")
            async with http.get(service.url + "/metrics") as response:
                exposition = await response.text()
            assert 'facts_replies_total{via="response_url"} 1' in exposition
            assert 'facts_replies_total{via="ack"}' not in exposition
    finally:
        await service.stop()
