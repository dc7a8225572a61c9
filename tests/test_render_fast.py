"""Rendering shortcuts give what the long way gave (issue 16, item 1)."""

from __future__ import annotations

import json

import pytest

from bot.slack import render


@pytest.mark.parametrize("entry_id", ["sb-color-blind", 'a"b\\c', "zoë–“x”", "tab\tnew\nline",
                                      "\x00\x1f", "😀", ""])
def test_a_button_value_is_the_json_it_always_was(entry_id):
    context = {"r": entry_id[::-1]}
    expected = json.dumps({"entry": entry_id, "r": context["r"]}, separators=(",", ":"))
    assert render.action_value(entry_id, context) == expected
    assert json.loads(render.action_value(entry_id, {})) == {"entry": entry_id, "r": ""}


def test_the_opening_shown_follows_the_entry_text(snapshot):
    entry = snapshot.by_id["sb-color-blind"]
    assert render.opening_mrkdwn(entry) == render.approved_mrkdwn(entry.opening())
    changed = type(entry)(**{**vars(entry), "text": "New approved words. And more."})
    assert render.opening_mrkdwn(changed) == "New approved words. …"
