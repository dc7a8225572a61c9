"""HTTP edge cases and slow clients (issue 13, items 7 and 8).

The real service on loopback, with raw sockets where a polite client would
not show the problem.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import resource
import signal
import time

import aiohttp
import pytest

from bot.service.clock import SystemClock
from bot.service.http_guard import AcceptErrorLog, ReplayGuard
from bot.service.server import start_service
from fakeslack import sign_request, signed_slash_command
from test_deploy import unit
from test_serve import FACTS_BOT
from test_slack_app import SECRET, Harness, settings_for

IDLE = 1  # FACTS_HTTP_IDLE_SECONDS in these tests


@pytest.fixture
async def edge(slack, tmp_path):
    service = await start_service(settings_for(slack, tmp_path, http_idle_seconds=IDLE),
                                  SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def post(edge, body: bytes, headers: dict) -> int:
    async with edge.http.post(edge.service.url + "/slack/events", data=body,
                              headers=headers) as response:
        await response.read()
        return response.status


async def metrics(edge) -> str:
    async with edge.http.get(edge.service.url + "/metrics") as response:
        return await response.text()


# ------------------------------------------------------------ item 7


async def test_a_non_ascii_signature_and_a_signed_non_utf8_body_are_refused_cleanly(edge, caplog):
    body, headers = signed_slash_command(SECRET, text="traffic offenses",
                                         response_url=edge.slack.response_url())
    assert await post(edge, body, {**headers, "X-Slack-Signature": "v0=garbage\xff"}) == 401
    assert await post(edge, body, {**headers, "X-Slack-Signature": "v0=é" * 20}) == 401
    raw, now = b"text=\xff\xfe&command=/facts", str(int(time.time()))
    mac = hmac.new(SECRET.encode(), f"v0:{now}:".encode() + raw, hashlib.sha256).hexdigest()
    assert await post(edge, raw, {"X-Slack-Request-Timestamp": now, "X-Slack-Signature":
                                  f"v0={mac}", "Content-Type":
                                  "application/x-www-form-urlencoded"}) == 400
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert edge.queries() == []


async def test_a_garbled_timestamp_is_401_without_a_traceback(edge, caplog):
    body, headers = signed_slash_command(SECRET, text="traffic offenses",
                                         response_url=edge.slack.response_url())
    for garbled in ("not-a-number", "", "1e9", "9" * 40):
        assert await post(edge, body, {**headers, "X-Slack-Request-Timestamp": garbled}) == 401
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_form_body_labelled_json_is_400(edge, caplog):
    body, headers = signed_slash_command(SECRET, text="traffic offenses",
                                         response_url=edge.slack.response_url())
    assert await post(edge, body, {**headers, "Content-Type": "application/json"}) == 400
    json_as_form = b'{"type": "url_verification"}'
    signed = sign_request(SECRET, json_as_form)
    assert await post(edge, json_as_form, {**signed, "Content-Type":
                                           "application/x-www-form-urlencoded"}) == 400
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert edge.queries() == []


async def test_a_replayed_command_is_answered_and_logged_once(edge):
    url = edge.slack.response_url()
    body, headers = signed_slash_command(SECRET, text="traffic offenses", response_url=url)
    answers = []
    for _ in range(2):
        async with edge.http.post(edge.service.url + "/slack/events", data=body,
                                  headers=headers) as response:
            assert response.status == 200  # the replay is acked too, so Slack shows no error
            answers.append(await response.read())
    assert answers[0] and not answers[1]  # answered in the first ack only
    assert await edge.service.bot.inflight.wait_idle(10)
    assert edge.slack.responses(url) == [] and len(edge.queries()) == 1
    assert 'facts_http_refused_total{reason="replay"} 1' in await metrics(edge)


async def test_a_failed_signature_is_logged_without_the_body(edge, caplog):
    url = edge.slack.response_url()
    body, headers = signed_slash_command("wrong-secret", text="secret question",
                                         response_url=url)
    with caplog.at_level(logging.DEBUG):
        assert await post(edge, body, headers) == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "signature check failed" in logged
    assert url not in logged and "secret question" not in logged and "secret+question" \
        not in logged


async def test_after_sigterm_kept_alive_connections_get_no_new_work(edge):
    edge.service.bot.inflight.answer_budget = 0  # the answer follows the ack...
    edge.slack.response_delay = 1.0  # ...and is still in flight while stopping
    first = edge.slack.response_url()
    body, headers = signed_slash_command(SECRET, text="traffic offenses", response_url=first)
    assert await post(edge, body, headers) == 200
    stopping = asyncio.create_task(edge.service.stop())
    deadline = time.monotonic() + 10
    while edge.service.bot.accepting:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    late = edge.slack.response_url()
    body, headers = signed_slash_command(SECRET, text="parking", response_url=late)
    try:
        status = await post(edge, body, headers)  # the same kept-alive connection
    except aiohttp.ClientError:
        status = None  # closed: also no new work
    assert status in (503, None)
    await stopping
    assert [p.status for p in edge.slack.responses(first)] == [200]  # acked work finished
    assert edge.slack.responses(late) == []
    async with open_log(edge) as store:
        assert [r.text for r in store.query_rows()] == ["traffic offenses"]


def open_log(edge):
    from bot.store import open_store
    return open_store(str(edge.db))


# ------------------------------------------------------------ item 8


async def closed_by_server(reader: asyncio.StreamReader, within: float = 10) -> bool:
    """True when the server closes the connection (EOF) before `within` seconds."""
    try:
        while await asyncio.wait_for(reader.read(65536), within):
            pass
        return True
    except TimeoutError:
        return False


async def test_connections_that_send_no_whole_request_are_closed(edge):
    host, port = edge.service.url.removeprefix("http://").split(":")
    idle = await asyncio.open_connection(host, int(port))
    partial = await asyncio.open_connection(host, int(port))
    partial[1].write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
    kept = await asyncio.open_connection(host, int(port))
    kept[1].write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert all(await asyncio.gather(closed_by_server(idle[0]), closed_by_server(partial[0]),
                                    closed_by_server(kept[0])))
    for _, writer in (idle, partial, kept):
        writer.close()


async def test_a_body_that_trickles_in_gets_408(edge):
    host, port = edge.service.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntext=")
    status_line = await asyncio.wait_for(reader.readline(), 10)
    assert status_line.startswith(b"HTTP/1.1 408")
    writer.close()


async def test_a_client_that_drops_mid_body_is_counted_not_logged_as_an_error(edge, caplog):
    host, port = edge.service.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntext=")
    await writer.drain()
    writer.transport.abort()  # gone, as a dropped connection is
    deadline = time.monotonic() + 10
    while 'facts_http_refused_total{reason="dropped"} 1' not in await metrics(edge):
        assert time.monotonic() < deadline, "the dropped request was never noticed"
        await asyncio.sleep(0.05)  # polling a condition, with a deadline
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_accept_errors_are_logged_once_a_minute(caplog):
    now = [0.0]
    handler = AcceptErrorLog(clock=lambda: now[0])
    loop = asyncio.new_event_loop()
    context = {"message": AcceptErrorLog.MESSAGE, "exception": OSError(24, "Too many open")}
    try:
        with caplog.at_level(logging.ERROR):
            for _ in range(500):
                handler(loop, context)
            now[0] = 61.0
            handler(loop, context)
    finally:
        loop.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "499 more like this" in lines[1]


async def test_a_flood_of_idle_connections_does_not_lock_out_slack(slack, tmp_path):
    """Few file descriptors and more idle sockets than fit: the bot recovers on its own."""
    environment = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": slack.api_url, "FACTS_DB": str(tmp_path / "facts.db"),
                   "FACTS_PORT": "0", "FACTS_HTTP_IDLE_SECONDS": "1"}

    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    process = await asyncio.create_subprocess_exec(
        FACTS_BOT, "serve", env=environment, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, preexec_fn=few_files)
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    url = line.split()[2]
    host, port = url.removeprefix("http://").split(":")
    flood = [await asyncio.open_connection(host, int(port)) for _ in range(120)]
    try:
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as http:
            while True:  # wait for the condition: a signed query is answered again
                assert time.monotonic() < deadline, "never recovered from the flood"
                response_url = slack.response_url()
                body, headers = signed_slash_command(SECRET, text="traffic offenses",
                                                     response_url=response_url)
                try:
                    async with http.post(url + "/slack/events", data=body, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=3)) as response:
                        answer = await response.read()
                        if response.status == 200:
                            break
                except (aiohttp.ClientError, TimeoutError):
                    await asyncio.sleep(0.2)
            if not answer:  # not in the ack: then through response_url
                await slack.wait_for_responses(1, url=response_url, timeout=10)
    finally:
        for _, writer in flood:
            writer.close()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    stderr = (await process.stderr.read()).decode()
    # asyncio's own report (a traceback each time accept() is retried) is replaced by
    # one line a minute. (Other work that needs a file meanwhile, such as the replica
    # poll, may still log its own failure.)
    assert "socket.accept() out of system resource" not in stderr
    assert stderr.count("cannot accept connections") <= 2


def test_systemd_unit_raises_the_open_file_limit():
    assert int(unit("facts-bot.service")["Service"]["LimitNOFILE"]) >= 16384


def test_replay_guard_forgets_after_the_window():
    now = [0.0]
    guard = ReplayGuard(window=360, clock=lambda: now[0])
    assert guard.first_sighting("v0=a") and not guard.first_sighting("v0=a")
    now[0] = 400.0
    assert guard.first_sighting("v0=a")
