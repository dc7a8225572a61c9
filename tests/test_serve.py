"""`facts-bot serve` as a process, Socket Mode, signals, settings errors, and `facts-bot log`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bot.service.clock import SystemClock
from bot.service.server import start_service
from bot.store import open_store
from fakeslack import signed_slash_command
from test_slack_app import SECRET, all_text, settings_for

FACTS_BOT = str(Path(sys.executable).with_name("facts-bot"))
PLAN = "ice-secure-communities-2009-04"


async def test_socket_mode_acks_envelopes_and_answers(slack, tmp_path):
    settings = replace(settings_for(slack, tmp_path), app_token="xapp-1-test",
                       signing_secret=None)
    service = await start_service(settings, SystemClock())
    try:
        await slack.wait_for_socket_connection()
        url = slack.response_url()
        payload = slack.slash_command_payload(text="traffic offenses", response_url=url)
        envelope = await slack.send_socket_event("slash_commands", payload)
        ack = await slack.wait_for_ack(envelope)
        assert ack["envelope_id"] == envelope
        # The answer rides in the ack's payload, as Slack accepts for a slash command.
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "driving under the influence" in all_text(ack["payload"])
        assert [r.status for r in service.store.query_rows()] == ["answer"]
        assert await service.bot.inflight.wait_idle(5)
        assert slack.responses(url) == []
        async with aiohttp.ClientSession() as http, \
                http.get(service.url + "/readyz") as ready:
            assert ready.status == 200  # probes work in Socket Mode too
    finally:
        await service.stop()


class ServeProcess:
    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process, self.url = process, url


async def start_serve(slack, tmp_path: Path, **env: str) -> ServeProcess:
    environment = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": slack.api_url, "FACTS_DB": str(tmp_path / "facts.db"),
                   "FACTS_PORT": "0", **env}
    environment.pop("SLACK_APP_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        FACTS_BOT, "serve", env=environment, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert line.startswith("facts-bot serving http://"), line
    return ServeProcess(process, line.split()[2])


async def post_command(http, url: str, text: str, response_url: str,
                       user_id: str = "UPRESS01") -> int:
    body, headers = signed_slash_command(SECRET, text=text, response_url=response_url,
                                         user_id=user_id)
    async with http.post(url + "/slack/events", data=body, headers=headers) as response:
        return response.status


async def reply_to(http, slack, url: str, text: str, user_id: str = "UPRESS01") -> dict:
    """What the asker sees: the ack's body, or what reached response_url after an empty ack."""
    response_url = slack.response_url()
    body, headers = signed_slash_command(SECRET, text=text, response_url=response_url,
                                         user_id=user_id)
    async with http.post(url + "/slack/events", data=body, headers=headers) as response:
        assert response.status == 200
        raw = await response.read()
    if raw:
        return json.loads(raw)
    [post] = await slack.wait_for_responses(1, url=response_url, timeout=15)
    return post.body


async def test_sigterm_finishes_queries_in_flight_and_loses_none(slack, tmp_path):
    # Answers that follow the ack (as when the log is slow) are the ones left in flight.
    server = await start_serve(slack, tmp_path, FACTS_ANSWER_IN_ACK_MS="0")
    slack.response_delay = 0.5  # a slow Slack keeps every answer in flight
    urls = [slack.response_url() for _ in range(20)]
    async with aiohttp.ClientSession() as http:
        statuses = await asyncio.gather(*(post_command(http, server.url, f"traffic {n}", url)
                                          for n, url in enumerate(urls)))
    assert statuses == [200] * 20  # all acked before any answer could be delivered
    server.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(server.process.wait(), 30) == 0
    delivered = {post.url for post in slack.responses() if post.status == 200}
    assert delivered == set(urls)
    async with open_store(str(tmp_path / "facts.db")) as store:
        assert sorted(r.text for r in store.query_rows()) == sorted(f"traffic {n}"
                                                                     for n in range(20))


async def test_json_logs_are_one_object_a_line_tagged_with_the_request_id(slack, tmp_path):
    server = await start_serve(slack, tmp_path, FACTS_LOG_FORMAT="json",
                               FACTS_ANSWER_IN_ACK_MS="0")
    slack.fail_next_response(status=500, body="oops")  # a warning during the request
    url = slack.response_url()
    async with aiohttp.ClientSession() as http:
        assert await post_command(http, server.url, "traffic offenses", url) == 200
        await slack.wait_for_responses(1, url=url)
        assert await post_command(http, server.url, "reload", slack.response_url()) == 200
    server.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(server.process.wait(), 30) == 0
    lines = [json.loads(line) for line in (await server.process.stderr.read()).splitlines()]
    async with open_store(str(tmp_path / "facts.db")) as store:
        query = next(r for r in store.query_rows() if r.text == "traffic offenses")
        [refusal] = store.audit_rows(kind="refusal")
    tagged = [line for line in lines if line.get("request_id") == query.request_id]
    assert {line.get("event") for line in tagged} >= {"query"}
    assert any(line["level"] == "warning" and "response_url" in line["message"]
               for line in tagged)
    [event] = [line for line in tagged if line.get("event") == "query"]
    assert (event["status"], event["top_id"]) == ("answer", query.top_id)
    # Who asked what stays in the query log, where pseudonymizing and retention apply.
    assert "traffic offenses" not in json.dumps(lines) and "UPRESS01" not in json.dumps(lines)
    assert any(line.get("event") == "refusal" and line["request_id"] == refusal.request_id
               for line in lines)


async def test_sighup_reloads_the_knowledge(slack, tmp_path, knowledge_copy):
    server = await start_serve(slack, tmp_path, FACTS_KNOWLEDGE_DIR=str(knowledge_copy))
    try:
        (knowledge_copy / PLAN / "new.yaml").write_text(
            f"entries:\n  - id: tp-zeppelin\n    document: {PLAN}\n    kind: talking_point\n"
            "    title: Zeppelin policy\n    section: Talking Points\n"
            "    text: ICE takes any concerns about the Secure Communities strategy seriously"
             " and is committed to taking action should specific cases be identified.\n")
        server.process.send_signal(signal.SIGHUP)
        async with aiohttp.ClientSession() as http:

            async def entries() -> int:
                async with http.get(server.url + "/healthz") as response:
                    return (await response.json())["entries"]

            deadline = asyncio.get_running_loop().time() + 30
            while await entries() != 29:  # the reload is done when the count says so
                assert asyncio.get_running_loop().time() < deadline, "no reload after SIGHUP"
                await asyncio.sleep(0.02)  # poll interval, not a guess at how long it takes
            reply = await reply_to(http, slack, server.url, "zeppelin policy")
            assert "tp-zeppelin" in all_text(reply)
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.process.wait(), 30) == 0


@pytest.mark.parametrize("env, named", [
    ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
    ({"FACTS_PORT": "eighty"}, "FACTS_PORT"),
    ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
    ({"FACTS_ADMINS": "alice,bob"}, "FACTS_ADMINS"),
    ({"FACTS_KNOWLEDGE_DIR": "/no/such/dir"}, "FACTS_KNOWLEDGE_DIR"),
    ({"FACTS_DB": "host=db user=facts dbname=facts"}, "FACTS_DB"),
    ({"FACTS_DB": "mysql://db/facts"}, "FACTS_DB"),
    ({"FACTS_ANSWER_IN_ACK_MS": "5000"}, "FACTS_ANSWER_IN_ACK_MS"),
    ({"FACTS_ANSWER_IN_ACK_MS": "-1"}, "FACTS_ANSWER_IN_ACK_MS"),
])
async def test_a_bad_setting_is_one_clear_error_and_exit_2(tmp_path, env, named):
    environment = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
                   "FACTS_DB": str(tmp_path / "x.db"), **env}
    process = await asyncio.create_subprocess_exec(
        FACTS_BOT, "serve", env=environment, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    message = stderr.decode().strip()
    assert named in message and "Traceback" not in message and len(message.splitlines()) == 1


async def test_log_prints_what_was_asked(slack, tmp_path):
    server = await start_serve(slack, tmp_path)
    async with aiohttp.ClientSession() as http:
        for text in ("traffic offenses", "parking at headquarters"):
            await reply_to(http, slack, server.url, text)
    server.process.send_signal(signal.SIGTERM)
    await server.process.wait()
    env = {**os.environ, "FACTS_DB": str(tmp_path / "facts.db")}

    async def log(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(FACTS_BOT, "log", *args, env=env,
                                                       stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        assert process.returncode == 0
        return out.decode()

    rows = [json.loads(line) for line in (await log("--format", "jsonl")).splitlines()]
    assert [(r["text"], r["status"]) for r in rows] == [
        ("traffic offenses", "answer"), ("parking at headquarters", "no_match")]
    assert rows[0]["top_id"] == "tp-drug-dui-charges" and rows[0]["content_version"]
    only = (await log("--status", "no_match", "--format", "jsonl")).splitlines()
    assert len(only) == 1 and "parking" in only[0]
    assert (await log("--format", "csv")).splitlines()[0].startswith("ts,request_id,user_id")
    assert "(2 rows)" in await log()
    assert "(0 rows)" in await log("--until", "2020-01-01")
