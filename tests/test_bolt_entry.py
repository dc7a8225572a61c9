"""The guard reads each /slack/events body once and bolt gets it parsed (issue 16, item 1).

Driven from Slack's seat: signed requests to the real service on loopback.
"""

from __future__ import annotations

import logging
import random
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from bot.service.clock import SystemClock
from bot.service.http_guard import read_form
from bot.service.server import start_service
from fakeslack import sign_request
from test_slack_app import SECRET, Harness, all_text, settings_for


@pytest.fixture
async def bot(slack, tmp_path):
    service = await start_service(settings_for(slack, tmp_path), SystemClock())
    async with aiohttp.ClientSession() as http:
        yield Harness(slack, service, http, tmp_path / "facts.db")
    await service.stop()


async def test_a_question_with_the_word_payload_is_answered(bot):
    # Bolt takes any form body holding "payload" for a click, and found no command in it.
    body = await bot.ask("payload racial profiling")
    assert "There is no approved response for “payload racial profiling”" in all_text(body)
    [row] = bot.queries()
    assert row.text == "payload racial profiling"


async def test_a_click_whose_payload_is_not_json_is_a_one_line_400(bot, caplog):
    for payload in ("not json", "[1, 2]", "", "[" * 100_000):
        body = urlencode({"payload": payload}).encode()
        async with bot.http.post(bot.service.url + "/slack/events", data=body,
                                 headers=sign_request(SECRET, body)) as response:
            assert response.status == 400
            assert "payload is not" in await response.text()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert bot.queries() == [] and bot.audits() == []


async def test_a_json_body_nested_thousands_deep_is_a_one_line_400(bot, caplog):
    body = b'{"a": ' * 100_000
    headers = {**sign_request(SECRET, body), "Content-Type": "application/json"}
    async with bot.http.post(bot.service.url + "/slack/events", data=body,
                             headers=headers) as response:
        assert response.status == 400
        assert await response.text() == "body is labelled JSON but is not JSON"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("text", [
    "", "a=1", "a=", "=1", "=", "a=1&b=2&a=3", "a=b=c", "text=racial+profiling",
    "text=%2Ffacts+%E2%80%9Cquoted%E2%80%9D", "te%78t=x", "a+b=c+d", "a=%", "a=%zz%4",
    "a=%E2%82", "a=%00", "emoji=%F0%9F%98%80&x=1", "k=%2B%26%3D", "sp=+++", "%=%",
    "b=%5C%5Cx41\\x41\\%41", "b=\\", "b=%\\x41", "b=%%41", "b=%4", "b=%4g", "b=caf\u00e9%20%C3%A9",
    "b=\u00e9%C3", "b=%C3\u00e9", "b=%ff%FE%80", "b=\\u0041\\n%0A", "b=%D8%3D%DE%00",
])
def test_a_form_reads_as_the_standard_library_reads_it(text):
    assert read_form(text) == dict(parse_qsl(text, keep_blank_values=True))


def test_random_hostile_forms_read_as_the_standard_library_reads_them():
    """Escapes whole, cut, invalid UTF-8 or next to backslashes and raw non-ASCII:
    the C-codec unquoting (http_guard._unquote) must agree with the standard library."""
    pieces = ["%", "%4", "%41", "%C3", "%A9", "%e2%80%9c", "%zz", "\\", "\\x", "\\u00", "x",
              "+", "=", "é", "😀", "%F0%9F", "%5C", "%25", "%2B", "0", "f", "\n"]
    chooser = random.Random(16)
    for _ in range(5000):
        text = "k=" + "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 12)))
        assert read_form(text) == dict(parse_qsl(text, keep_blank_values=True)), text


@pytest.mark.parametrize("text", ["a", "a=1&b", "a=1&", "&a=1", "a=1&&b=2", "&"])
def test_a_form_that_strict_parsing_refuses_is_refused(text):
    with pytest.raises(ValueError):
        parse_qsl(text, strict_parsing=True)
    assert read_form(text) is None
