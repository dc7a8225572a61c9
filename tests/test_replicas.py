"""Two `facts-bot serve` processes on one PostgreSQL behave as one bot."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from bot.store import open_store
from test_serve import post_command, reply_to, start_serve
from test_slack_app import ADMIN, all_text
from test_store_contract import postgres_target, postgres_url  # noqa: F401  (fixtures)

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
PLAN = "ice-secure-communities-2009-04"
NEW_ENTRY = (f"entries:\n  - id: tp-zeppelin\n    document: {PLAN}\n    kind: talking_point\n"
             "    title: Zeppelin policy\n    section: Talking Points\n"
             "    text: ICE takes any concerns about the Secure Communities strategy seriously"
             " and is committed to taking action should specific cases be identified.\n")


async def ask(http, slack, server, text: str) -> str:
    return all_text(await reply_to(http, slack, server.url, text, user_id=ADMIN))


async def test_two_replicas_share_log_reload_and_alerts(slack, tmp_path, knowledge_copy,
                                                        postgres_target):  # noqa: F811
    env = {"FACTS_DB": postgres_target, "FACTS_KNOWLEDGE_DIR": str(knowledge_copy),
           "FACTS_ADMINS": ADMIN}
    first = await start_serve(slack, tmp_path / "a", **env)
    second = await start_serve(slack, tmp_path / "b", **env)
    try:
        async with aiohttp.ClientSession() as http:
            burst = [(first if n % 2 else second, f"traffic offenses {n}") for n in range(40)]
            replies = await asyncio.gather(*(reply_to(http, slack, server.url, text)
                                             for server, text in burst))
            assert all(text in all_text(reply)
                       for (_, text), reply in zip(burst, replies, strict=True))

            (knowledge_copy / PLAN / "new.yaml").write_text(NEW_ENTRY)
            reply = await ask(http, slack, first, "reload")
            assert "Copies of the bot on version" in reply and "2 of 2" in reply
            assert "tp-zeppelin" in await ask(http, slack, second, "zeppelin policy")

        alert_env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.api_url,
                     "FACTS_DB": postgres_target, "FACTS_KNOWLEDGE_DIR": str(knowledge_copy)}
        senders = [await asyncio.create_subprocess_exec(
            FACTS_BOT, "alerts", "send", "--now", "2009-04-27T11:05:00Z", env=alert_env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            for _ in range(3)]
        await asyncio.gather(*(sender.wait() for sender in senders))
        assert len(slack.calls("chat.postMessage")) == 1
    finally:
        for server in (first, second):
            server.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(server.process.wait(), 30) == 0
    async with open_store(postgres_target) as store:
        texts = [r.text for r in store.query_rows() if r.text.startswith("traffic offenses")]
    assert sorted(texts) == sorted(text for _, text in burst)  # each exactly once


async def test_a_killed_replica_loses_no_row_for_an_answer_it_delivered(
        slack, tmp_path, postgres_target):  # noqa: F811
    # Answers through response_url, slowed, so that the kill lands among them.
    server = await start_serve(slack, tmp_path, FACTS_DB=postgres_target,
                               FACTS_ANSWER_IN_ACK_MS="0")
    slack.response_delay = 0.05
    urls = {slack.response_url(): f"question {n}" for n in range(60)}
    async with aiohttp.ClientSession() as http:
        sending = [asyncio.create_task(post_command(http, server.url, text, url))
                   for url, text in urls.items()]
        await slack.wait_for(lambda: len(slack.responses()) >= 10, timeout=15,
                             what="some answers delivered")
        server.process.send_signal(signal.SIGKILL)
        await server.process.wait()
        await asyncio.gather(*sending, return_exceptions=True)
    delivered = {urls[post.url] for post in slack.responses() if post.url in urls}
    async with open_store(postgres_target) as store:
        logged = {r.text for r in store.query_rows()}
    assert delivered and delivered <= logged


async def test_a_re_approval_on_one_replica_reaches_the_other(slack, tmp_path,
                                                              postgres_target):  # noqa: F811
    env = {"FACTS_DB": postgres_target, "FACTS_ADMINS": ADMIN}
    first = await start_serve(slack, tmp_path / "a", **env)
    second = await start_serve(slack, tmp_path / "b", **env)
    label = "Not re-approved since 2009-04-23"
    try:
        async with aiohttp.ClientSession() as http:
            assert label in await ask(http, slack, second, "color blind fingerprint databases")
            reply = await ask(http, slack, first, f"approve {PLAN}")
            assert "re-approved on" in reply
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while label in await ask(http, slack, second, "color blind fingerprint databases"):
                assert loop.time() < deadline, "the other copy never took up the approval"
                await asyncio.sleep(0.5)
        # A copy started after the approval reads it on start.
        third = await start_serve(slack, tmp_path / "c", **env)
        try:
            async with aiohttp.ClientSession() as http:
                assert label not in await ask(http, slack, third, "color blind fingerprint")
        finally:
            third.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(third.process.wait(), 30) == 0
    finally:
        for server in (first, second):
            server.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(server.process.wait(), 30) == 0
    async with open_store(postgres_target) as store:
        [approval] = list(store.audit_rows(kind="approve"))
    assert approval.detail["target"] == PLAN and approval.user_id == ADMIN


async def test_a_killed_replica_loses_no_row_for_an_answer_it_acked(
        slack, tmp_path, postgres_target):  # noqa: F811
    """The same guarantee when answers ride in the ack: each one seen is logged."""
    server = await start_serve(slack, tmp_path, FACTS_DB=postgres_target)
    seen: list[str] = []

    async def ask_once(http, text: str) -> None:
        if text in all_text(await reply_to(http, slack, server.url, text)):
            seen.append(text)

    async with aiohttp.ClientSession() as http:
        sending = [asyncio.create_task(ask_once(http, f"traffic offenses {n}"))
                   for n in range(60)]
        deadline = asyncio.get_running_loop().time() + 15
        while len(seen) < 10:  # some answers seen, the rest still coming
            assert asyncio.get_running_loop().time() < deadline, "no answers within 15 s"
            await asyncio.sleep(0.005)
        server.process.send_signal(signal.SIGKILL)
        await server.process.wait()
        await asyncio.gather(*sending, return_exceptions=True)
    async with open_store(postgres_target) as store:
        logged = {r.text for r in store.query_rows()}
    assert seen and set(seen) <= logged
