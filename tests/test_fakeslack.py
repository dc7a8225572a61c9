"""Proves tests/fakeslack.py speaks Slack's protocol to the *real* slack_sdk / slack_bolt."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from fakeslack import (
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_ID,
    FakeSlack,
    serve_aiohttp_app,
    sign_request,
    signed_interaction,
    signed_slash_command,
)

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-1-A0FAKEAPP-1-test"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def _assert_no_stray_tasks() -> None:
    """Everything the test started must be finished (give cancellations a moment)."""
    me = asyncio.current_task()
    deadline = time.monotonic() + 2.0
    while True:
        stray = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        if not stray or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)
    assert not stray, stray


def _bolt_app(slack: FakeSlack, **kwargs) -> AsyncApp:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    return AsyncApp(client=client, signing_secret=SIGNING_SECRET, **kwargs)


# ------------------------------------------------------------------ Web API


async def test_auth_test_and_post_message_are_recorded(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)

    auth = await client.auth_test()
    assert auth["ok"] is True
    assert auth["user_id"] == DEFAULT_BOT_USER_ID
    assert auth["team_id"] == DEFAULT_TEAM_ID
    assert auth["bot_id"] and auth["team"] and auth["url"].startswith("https://")

    first = await client.chat_postMessage(
        channel="C123", text="hello", blocks=[{"type": "divider"}]
    )
    second = await client.chat_postMessage(channel="C123", text="again")
    assert first["channel"] == "C123"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "hello"
    assert first["message"]["blocks"] == [{"type": "divider"}]

    call = await slack.wait_for_call("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.http_method == "POST"
    assert call.content_type == "application/json"
    assert call.params == {"channel": "C123", "text": "hello", "blocks": [{"type": "divider"}]}
    assert call.time <= time.time()
    methods = [c.method for c in slack.calls()]
    assert methods == ["auth.test", "chat.postMessage", "chat.postMessage"]
    assert slack.calls("auth.test")[0].token == BOT_TOKEN


async def test_form_encoded_get_and_legacy_token_params(slack: FakeSlack) -> None:
    slack.users["U1"] = {"name": "jo", "real_name": "Jo Bloggs"}
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)

    # GET with query params (users.info is sent as GET by slack_sdk)
    user = await client.users_info(user="U1")
    assert user["user"]["name"] == "jo"
    assert user["user"]["real_name"] == "Jo Bloggs"
    assert user["user"]["profile"]["real_name"] == "Jo Bloggs"
    call = slack.calls("users.info")[0]
    assert (call.http_method, call.params) == ("GET", {"user": "U1"})

    # form-encoded POST body
    await client.api_call("chat.postEphemeral", data={"channel": "C1", "user": "U1", "text": "x"})
    call = slack.calls("chat.postEphemeral")[0]
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.params == {"channel": "C1", "user": "U1", "text": "x"}
    assert call.ok

    # token in the body (no Authorization header) still recorded as the token
    legacy = {"token": "xoxb-legacy"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(slack.api_url + "auth.test", data=legacy) as r,
    ):
        assert (await r.json())["ok"] is True
    assert slack.calls("auth.test")[-1].token == "xoxb-legacy"


async def test_rate_limit_then_success_is_retried(slack: FakeSlack) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=0)
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    resp = await client.chat_postMessage(channel="C1", text="hi")
    assert resp["ok"] is True
    calls = slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].error == "ratelimited"
    assert calls[1].ok


async def test_rate_limit_without_retry_handler_surfaces(slack: FakeSlack) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="hi")
    assert exc.value.response.status_code == 429
    assert exc.value.response["error"] == "ratelimited"
    assert exc.value.response.headers["Retry-After"] == "7"


async def test_fail_next_surfaces_slack_api_error_once(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="hi")
    assert exc.value.response["error"] == "channel_not_found"
    assert (await client.chat_postMessage(channel="C1", text="hi"))["ok"] is True
    assert [c.ok for c in slack.calls("chat.postMessage")] == [False, True]
    assert len(slack.calls("chat.postMessage", ok=False)) == 1


async def test_directory_channels_and_errors(slack: FakeSlack) -> None:
    slack.usergroups["S1"] = ["U1", "U2"]
    slack.not_in_channel.add("C_PRIVATE")
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)

    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    info = await client.conversations_info(channel="C_PRIVATE")
    assert info["channel"]["id"] == "C_PRIVATE" and info["channel"]["is_member"] is False

    async def error_of(coro) -> str:
        with pytest.raises(SlackApiError) as exc:
            await coro
        return exc.value.response["error"]

    assert await error_of(client.chat_postMessage(channel="C_PRIVATE", text="x")) == (
        "not_in_channel"
    )
    with pytest.warns(UserWarning, match="text"):
        assert await error_of(client.chat_postMessage(channel="C1")) == "no_text"
    assert await error_of(client.users_info(user="U_NOBODY")) == "user_not_found"
    assert await error_of(client.usergroups_users_list(usergroup="S9")) == "no_such_subteam"
    assert await error_of(client.api_call("emoji.list")) == "unknown_method"
    assert await error_of(client.chat_postMessage(channel="C1", text="x", token=APP_TOKEN)) == (
        "not_allowed_token_type"
    )

    posted = await client.chat_postMessage(channel="C1", text="v1")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"] and updated["text"] == "v2"
    assert slack.messages[("C1", posted["ts"])]["text"] == "v2"

    opened = await client.apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"].startswith(slack.socket_url + "?ticket=")
    assert slack.calls("apps.connections.open")[0].token == APP_TOKEN


async def test_wait_for_call_times_out_with_context(slack: FakeSlack) -> None:
    with pytest.raises(TimeoutError, match="chat.update"):
        await slack.wait_for_call("chat.update", timeout=0.1)


# ------------------------------------------------------------------ signing


def test_signatures_match_slack_sdk_verifier() -> None:
    verifier = SignatureVerifier(SIGNING_SECRET)
    body, headers = signed_slash_command(SIGNING_SECRET, text="what is x?")
    assert verifier.is_valid_request(body, headers)
    assert b"command=%2Ffacts" in body and b"text=what+is+x%3F" in body

    body, headers = signed_interaction(SIGNING_SECRET, {"type": "block_actions"})
    assert body.startswith(b"payload=")
    assert verifier.is_valid_request(body, headers)

    assert not SignatureVerifier("other").is_valid_request(body, headers)
    old = sign_request(SIGNING_SECRET, body, timestamp=time.time() - 600)
    assert not verifier.is_valid_request(body, old)


# ------------------------------------------------------------------ bolt over HTTP


async def test_bolt_http_slash_command_and_block_actions(slack: FakeSlack) -> None:
    app = _bolt_app(slack)
    seen: list[dict] = []

    @app.command("/facts")
    async def facts(ack, command, respond) -> None:
        await ack()
        seen.append(command)
        await respond(f"answer to {command['text']}")

    @app.action("source")
    async def source(ack, body, respond) -> None:
        await ack()
        await respond(replace_original=False, text=f"source {body['actions'][0]['value']}")

    async with serve_aiohttp_app(app.web_app()) as base, aiohttp.ClientSession() as http:
        events = base + "/slack/events"

        url = slack.response_url(name="facts")
        body, headers = signed_slash_command(
            SIGNING_SECRET, text="what is x?", user_id="U1", response_url=url
        )
        async with http.post(events, data=body, headers=headers) as resp:
            assert resp.status == 200

        posted = await slack.next_response(timeout=5)
        assert posted.url == url and posted.name == "facts"
        assert posted.body["text"] == "answer to what is x?"
        assert seen[0]["user_id"] == "U1"
        # bolt verified the bot token against the fake on the first request
        assert slack.calls("auth.test")[0].token == BOT_TOKEN

        # block_actions click on the ephemeral answer
        payload = slack.block_actions_payload(action_id="source", value="doc-7")
        assert payload["container"]["is_ephemeral"] is True and "message" not in payload
        body, headers = signed_interaction(SIGNING_SECRET, payload)
        async with http.post(events, data=body, headers=headers) as resp:
            assert resp.status == 200
        clicked = await slack.next_response(timeout=5)
        assert clicked.url == payload["response_url"]
        assert clicked.body == {"text": "source doc-7", "replace_original": False}

        # bad signature -> 401
        body, headers = signed_slash_command("wrong-secret", text="x", response_url=url)
        async with http.post(events, data=body, headers=headers) as resp:
            assert resp.status == 401

        # 10-minute-old timestamp -> 401
        body, headers = signed_slash_command(
            SIGNING_SECRET, text="x", response_url=url, timestamp=time.time() - 600
        )
        async with http.post(events, data=body, headers=headers) as resp:
            assert resp.status == 401

    assert len(seen) == 1
    assert len(slack.responses()) == 2
    await _assert_no_stray_tasks()


async def test_response_url_limits_and_faults(slack: FakeSlack) -> None:
    url = slack.response_url()
    async with aiohttp.ClientSession() as http:
        slack.fail_next_response(404, "expired_url")
        async with http.post(url, json={"text": "late"}) as resp:
            assert (resp.status, await resp.text()) == (404, "expired_url")
        for i in range(slack.max_response_url_uses):
            async with http.post(url, json={"text": str(i)}) as resp:
                assert resp.status == 200
        async with http.post(url, json={"text": "too many"}) as resp:
            assert (resp.status, await resp.text()) == (404, "used_url")
    posts = await slack.wait_for_responses(7, timeout=1, url=url)
    assert [p.status for p in posts] == [404, 200, 200, 200, 200, 200, 404]


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize("blocks, accepted", [
    ([_section("x")] * 50, True),
    ([_section("x")] * 51, False),
    ([_section("x" * 3000)], True),
    ([_section("x" * 3001)], False),
])
async def test_response_url_refuses_blocks_slack_would_refuse(slack: FakeSlack, blocks,
                                                              accepted) -> None:
    url = slack.response_url()
    async with aiohttp.ClientSession() as http, \
            http.post(url, json={"text": "t", "blocks": blocks}) as resp:
        assert (resp.status == 200) is accepted
        assert accepted or (await resp.text()).startswith("invalid_blocks")


async def test_held_replies_arrive_only_when_released(slack: FakeSlack) -> None:
    url = slack.response_url()
    slack.hold_responses()
    async with aiohttp.ClientSession() as http:
        posting = asyncio.create_task(http.post(url, json={"text": "held"}))
        await slack.wait_for(lambda: slack.held_responses == 1, what="the held reply")
        assert slack.responses() == [] and not posting.done()
        slack.release_responses()
        async with await posting as resp:
            assert resp.status == 200
    assert [p.text for p in slack.responses()] == ["held"]


# ------------------------------------------------------------------ Socket Mode


@contextlib.asynccontextmanager
async def _socket_mode_bot(
    slack: FakeSlack, app: AsyncApp
) -> AsyncIterator[AsyncSocketModeHandler]:
    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    await handler.connect_async()
    try:
        yield handler
    finally:
        await handler.close_async()


async def test_socket_mode_round_trip(slack: FakeSlack) -> None:
    # Socket Mode: no signing secret is involved; the app's client is what
    # AsyncSocketModeHandler uses for apps.connections.open.
    app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url))

    @app.command("/facts")
    async def facts(ack, command, respond) -> None:
        await ack(f"looking up {command['text']}")
        await respond("the approved line")

    @app.action("source")
    async def source(ack) -> None:
        await ack()

    async with _socket_mode_bot(slack, app):
        conn = await slack.wait_for_socket_connection(timeout=5)
        assert conn.ticket_valid
        assert conn.sent[0]["type"] == "hello"
        assert slack.calls("apps.connections.open")[0].token == APP_TOKEN
        # the SDK pings right after connecting; the fake pongs back
        await slack.wait_for(lambda: conn.pings, timeout=5, what="a ping")

        payload = slack.slash_command_payload(text="x")
        envelope_id = await slack.send_socket_event("slash_commands", payload)
        ack = await slack.wait_for_ack(envelope_id, timeout=5)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "looking up x"}}
        response = await slack.next_response(timeout=5)
        assert response.url == payload["response_url"]
        assert response.text == "the approved line"

        click = slack.block_actions_payload(action_id="source", value="v")
        envelope_id = await slack.send_socket_event("interactive", click)
        assert await slack.wait_for_ack(envelope_id, timeout=5) == {"envelope_id": envelope_id}

        # Slack's periodic "disconnect" makes the client reconnect with a new ticket
        await slack.send_disconnect()
        second = await slack.wait_for_socket_connection(timeout=5, count=2)
        assert second.ticket_valid and second.ticket != conn.ticket
        assert len(slack.calls("apps.connections.open")) == 2
        envelope_id = await slack.send_socket_event("interactive", click)
        assert await slack.wait_for_ack(envelope_id, timeout=5) == {"envelope_id": envelope_id}

    await slack.wait_for(lambda: slack.current_socket is None, timeout=5, what="socket close")
    await _assert_no_stray_tasks()


async def test_send_socket_event_without_connection_times_out(slack: FakeSlack) -> None:
    with pytest.raises(TimeoutError, match="open socket"):
        await slack.send_socket_event("slash_commands", {}, timeout=0.1)
