# ruff: noqa: F811  (pytest passes the imported fixtures by name)
"""A question asked again: the same reply as built afresh, never a stale one (slack/asked.py).

Replies are kept per question for the index, approvals and day being served;
these tests ask as a press officer does and read what comes back.
"""

from __future__ import annotations

import datetime as dt
import json

import aiohttp
import pytest

from bot.matching import Match
from bot.service.clock import FakeClock, SystemClock
from bot.service.server import start_service
from bot.slack import render
from bot.slack.asked import TEMPLATE_ID, Asked, AskedCache, reply_body
from bot.store import open_store
from test_slack_app import (
    ADMIN,
    NEW_ENTRY,
    PLAN,
    GatedStore,
    Harness,
    all_text,
    bot,  # noqa: F401  (a fixture, used by name below)
    bot_on_copy,  # noqa: F401  (a fixture, used by name below)
    button_values,
    settings_for,
)

COLOR_BLIND = "color blind fingerprint databases"
LABEL = "Not re-approved since 2009-04-23: check it is still current"


async def test_asked_again_the_reply_is_the_same_with_its_own_request_in_the_buttons(bot):
    first, second = await bot.ask("racial profiling"), await bot.ask("racial profiling")
    assert all_text(first) == all_text(second)
    assert bot.service.bot.asked.hits >= 1  # the second came from the record
    rows = {row.request_id for row in bot.queries()}
    for body in (first, second):
        ids = {v["r"] for action in ("facts_show", "facts_share", "facts_helpful",
                                     "facts_not_helpful") for v in button_values(body, action)}
        assert len(ids) == 1 and ids <= rows  # each reply's buttons name its own logged query
    assert button_values(first, "facts_share") != button_values(second, "facts_share")
    # The second reply's buttons work: "Show this" redraws with the other close responses.
    show = button_values(second, "facts_show")[0]
    shown = await bot.click("facts_show", show)
    assert "Other close approved responses" in all_text(shown)
    [audit] = bot.audits("show")
    assert audit.request_id == show["r"]


async def test_a_long_question_asked_again_still_says_it_was_cut(bot):
    question = "racial profiling " * 40
    for _ in range(2):
        assert "Only the first 500 characters of your question were read" in all_text(
            await bot.ask(question))


async def test_after_a_reload_the_new_content_answers_at_once(bot_on_copy, knowledge_copy):
    assert "A new approved line" not in all_text(await bot_on_copy.ask("zeppelins"))
    (knowledge_copy / PLAN / "new.yaml").write_text(NEW_ENTRY)
    all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    assert "A new approved line about zeppelins" in all_text(await bot_on_copy.ask("zeppelins"))


async def test_past_midnight_the_reply_is_the_new_days(slack, tmp_path):
    """The plan is due for review on 2009-07-22: the same question a minute after
    midnight says it is overdue, though the reply before midnight did not."""
    clock = FakeClock(dt.datetime(2009, 7, 22, 23, 59, tzinfo=dt.UTC))
    service = await start_service(settings_for(slack, tmp_path), clock)
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            assert "Not re-approved" not in all_text(await harness.ask(COLOR_BLIND))
            clock.set(dt.datetime(2009, 7, 23, 0, 1, tzinfo=dt.UTC))
            assert LABEL in all_text(await harness.ask(COLOR_BLIND))
    finally:
        await service.stop()


async def test_an_approval_takes_the_label_off_the_next_reply(bot):
    assert LABEL in all_text(await bot.ask(COLOR_BLIND))
    all_text(await bot.ask(f"approve {PLAN}", user_id=ADMIN))
    assert "Not re-approved" not in all_text(await bot.ask(COLOR_BLIND))


async def test_a_reply_asked_again_that_follows_late_carries_its_own_request(slack, tmp_path):
    """Past the ack's budget a kept reply goes out through response_url as blocks: each
    with its own request id in its buttons, which work."""
    gated = GatedStore(open_store(str(tmp_path / "facts.db")))
    service = await start_service(settings_for(slack, tmp_path, answer_in_ack_ms=50),
                                  SystemClock(), store=gated)
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(slack, service, http, tmp_path / "facts.db")
            acks = [await harness.command("racial profiling") for _ in range(2)]
            assert all(a.status == 200 and a.body is None for a in acks)
            gated.gate.set()
            bodies = [(await slack.wait_for_responses(1, url=a.url))[0].body for a in acks]
            assert all_text(bodies[0]) == all_text(bodies[1])
            shown = [{v["r"] for v in button_values(b, "facts_show")} for b in bodies]
            assert shown[0] != shown[1] and all(len(ids) == 1 for ids in shown)
            assert set.union(*shown) == {row.request_id for row in harness.queries()}
            clicked = await harness.click("facts_show", button_values(bodies[1], "facts_show")[0])
            assert "Other close approved responses" in all_text(clicked)
    finally:
        await service.stop()


def _asked(value_entry: str = "sb-x") -> Asked:
    value = render.action_value(value_entry, {"r": TEMPLATE_ID})
    message = render.Message([{"type": "actions", "elements": [render.button(
        "Show this", render.SHOW_ACTION, value)]}], "text")
    return Asked.of(Match("q", "answer", ()), {"r": TEMPLATE_ID}, message)


def test_the_record_is_bounded_and_keeps_the_most_recently_asked():
    cache, generation = AskedCache(max_asked=2), (object(), object(), dt.date(2026, 1, 1))
    for question in ("a", "b"):
        assert cache.get(generation, question) is None
        cache.put(generation, question, _asked())
    assert cache.get(generation, "a") is not None  # "a" is now the most recent
    cache.put(generation, "c", _asked())
    assert len(cache) == 2 and cache.get(generation, "b") is None
    assert cache.get(generation, "a") is not None and cache.get(generation, "c") is not None


def test_the_characters_kept_are_bounded_too():
    one = _asked().chars
    cache, generation = AskedCache(max_chars=2 * one), (object(), object(), dt.date(2026, 1, 1))
    for question in ("a", "b", "c"):
        cache.get(generation, question)
        cache.put(generation, question, _asked())
    assert len(cache) == 2 and cache.chars == 2 * one and cache.get(generation, "a") is None
    cache.put(generation, "c", _asked())  # asked again: counted once, nothing evicted
    assert cache.chars == 2 * one and len(cache) == 2
    big = _asked("x" * 2 * one)
    assert big.reusable and big.chars > 2 * one
    cache.put(generation, "big", big)  # alone over the bound: never kept, evicts nothing
    assert len(cache) == 2 and cache.get(generation, "big") is None
    assert cache.get(generation, "b") is not None and cache.get(generation, "c") is not None


@pytest.mark.parametrize("changed", [0, 1, 2])
def test_a_new_index_approvals_or_day_empties_the_record(changed):
    generation = [object(), object(), dt.date(2026, 1, 1)]
    cache = AskedCache()
    cache.get(tuple(generation), "a")
    cache.put(tuple(generation), "a", _asked())
    generation[changed] = dt.date(2026, 1, 2) if changed == 2 else object()
    assert cache.get(tuple(generation), "a") is None and len(cache) == 0


def test_a_reply_whose_button_value_was_cut_is_never_kept():
    """Slack's 2,000-character bound cut the request id off the value: it could not be
    swapped for the next request's, so the reply is built afresh each time."""
    cache, generation = AskedCache(), (object(), object(), dt.date(2026, 1, 1))
    cache.get(generation, "long")
    cache.put(generation, "long", _asked("x" * 2000))
    assert cache.get(generation, "long") is None


def test_each_request_gets_its_own_id_in_every_button_and_nothing_else_changes():
    asked = _asked()
    context, reply = asked.reply_for("0123456789abcdef")
    assert context == {"r": "0123456789abcdef"}
    [value] = [e["value"] for e in reply.message.blocks[0]["elements"]]
    assert value == render.action_value("sb-x", {"r": "0123456789abcdef"})
    assert asked.message.blocks[0]["elements"][0]["value"].endswith(f'"{TEMPLATE_ID}"}}')
    assert reply.body_json() == json.dumps(reply_body(reply.message))


def test_a_placeholder_typed_by_someone_is_never_swapped():
    """The kept JSON is cut at the placeholder only where the buttons put it; typed into
    a question (shown in the heading) it would be cut there too, so it is not kept."""
    asked = _asked()
    message = render.Message([render.section(f"asked: {TEMPLATE_ID}"), *asked.message.blocks],
                             "text")
    typed = Asked.of(asked.match, asked.context, message)
    assert typed.body_parts is None
    _, reply = typed.reply_for("0123456789abcdef")
    assert reply.body_json() is None and TEMPLATE_ID in all_text(reply_body(reply.message))


QUESTIONS = ["racial profiling", "how many removed", "DUI", "parking at headquarters",
             "who is the press contact", "racail profilng", "op-ed", "secure communities",
             "weather in Miami tomorrow", TEMPLATE_ID, '"r":"x"} <b>&amp;']


async def test_a_kept_reply_is_exactly_the_one_built_afresh(bot):
    """Byte for byte, for answers, suggestions, no match, typos and hostile text: the
    kept JSON with a request's id spliced in is what encoding its blocks anew gives,
    and those blocks are what building the reply for that id from scratch gives."""
    facts = bot.service.bot
    for question in QUESTIONS:
        for request_id in ("0123456789abcdef", "fedcba9876543210"):
            match, context, reply = facts.ask(question, request_id)
            index, currency = facts.live.current, facts.approvals.current
            fresh = render.within_limits(facts.match_message(
                match, facts.context_value(match, request_id, index.settings), index,
                currency, facts.today()))
            assert reply.message == fresh and context["r"] == request_id
            encoded = reply.body_json()
            assert encoded is None if question == TEMPLATE_ID else \
                encoded == json.dumps(reply_body(fresh))
