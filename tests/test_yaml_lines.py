"""Content YAML: the direct way (libyaml's node graph, built once) gives exactly what the
checked way (every event checked, then PyYAML builds) gives, values, lines and problems;
it is the way ordinary content takes; and hostile values are one-line problems.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.content import check_knowledge, yaml_lines
from test_cli import run

PLAN = "ice-secure-communities-2009-04"

ANCHORS = [
    "a: &x text\nb: *x\n",
    "a: [&x one, *x]\n",
    "{a: &x b, c: *x}\n",
    "{a:&x b, c: *x}\n",
    "? &k key\n: value\n",
    "a: !!str &x text\nb: *x\n",
    "a: &x !!str text\nb: *x\n",
    "&root\na: b\n",
    "\ufeff&x a\n",
    "a: &x\nb: *x\n",
    "- &x [a, b]\n- *x\n",
    "a:\n  - &x {b: c}\n  - <<: *x\n",
    "a: b\n&k c: d\n",
    "{?&k key: value}\n",
    "[a,&x b]\n",
    "{a: b,&x c: d}\n",
    "a: \t&x b\n",
]
NOT_ANCHORS = [
    "section: Q&A\n",
    "text: R & D, *The New York Times* and **bold**\n",
    "text: '&quoted' \n",
    "text: \"a & b\"\n",
    "a: *undefined\n",
    "a: b\n<<: *base\n",
    "# &commented\na: b\n",
]
STRUCTURE = [
    "",
    "# only a comment\n",
    "just text\n",
    "- a\n- b\n",
    "a: b\na: c\n",
    "a:\n  b: 1\n  b: 2\n",
    "1: one\ntrue: yes\nnull: nothing\n~: tilde\n",
    "? [a, b]\n: value\n",
    "? {a: b}\n: value\n",
    "<<: {a: 1}\nb: 2\n",
    "a: 1\n<<: [{b: 2}, {c: 3}]\n",
    "=: value\n",
    "a: b\n---\nc: d\n",
    "--- a\n...\n",
    "a: [b, {c: d, e: [f, g]}, '', null, 1.5, 0x1f, 0o17, -3, .inf, 2009-04-23]\n",
    "a: |\n  literal\n  block\nb: >\n  folded\n  block\n",
    "a:\r\n  - b\r\n  - c\r\n",
    "a:\n\tb\n",
    "a: [b\n",
    "a: 'unclosed\n",
    "\x00\n",
]
TAGS = [
    "a: !!str 12\n",
    "a: !!int '12'\n",
    "a: !!int abc\n",
    "a: !!bool maybe\n",
    "a: !!float abc\n",
    "a: !!timestamp hello\n",
    "a: !!timestamp 2009-13-45\n",
    "a: !!timestamp 2009-04-23\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {b, c}\n",
    "a: !!set [b]\n",
    "a: !!omap [b: 1, c: 2]\n",
    "a: !!pairs [b: 1, b: 2]\n",
    "a: !!map {b: c}\n",
    "a: !!seq [b]\n",
    "a: !custom b\n",
    "a: !!python/name:os.system b\n",
    "!!map {a: b}\n",
    "a: " + "1" * 5000 + "\n",
]
DEPTH = [
    "a: " + "[" * 99 + "]" * 99 + "\n",
    "a: " + "[" * 100 + "]" * 100 + "\n",
    "a: " + "{b: " * 200 + "c" + "}" * 200 + "\n",
]


def outcome(load, text: str, max_nodes: int = yaml_lines.MAX_NODES) -> Any:
    """What a load gives: the value with every mapping's lines, or the problem it raises."""
    try:
        return "value", with_lines(load(text, max_nodes))
    except yaml_lines.Refused as refused:
        return "refused", refused.line, refused.message
    except Exception as failed:  # noqa: BLE001 (any difference is what we look for)
        return type(failed).__name__, str(failed)


def with_lines(value: Any) -> Any:
    if isinstance(value, dict):
        lines = (value.line, value.key_lines) if isinstance(value, yaml_lines.LineDict) else None
        return "map", lines, [(k, with_lines(v)) for k, v in value.items()]
    if isinstance(value, list):
        return "list", [with_lines(item) for item in value]
    return type(value).__name__, value


@pytest.mark.parametrize("text", ANCHORS + NOT_ANCHORS + STRUCTURE + TAGS + DEPTH)
def test_both_ways_give_the_same_values_lines_and_problems(text):
    assert outcome(yaml_lines.load, text) == outcome(yaml_lines.load_checked, text)


@pytest.mark.parametrize("text", ANCHORS)
def test_every_anchor_is_refused_with_its_line(text):
    kind, line, message = outcome(yaml_lines.load, text)
    assert kind == "refused" and line >= 1 and "are not allowed in content" in message


@pytest.mark.parametrize("max_nodes", [6, 7, 8, 9, 10])
def test_the_value_bound_is_the_same_either_way(max_nodes):
    text = "a: [b, c]\nd: {e: f}\n"  # 9 values, the document's mapping included
    direct = outcome(yaml_lines.load, text, max_nodes)
    assert direct == outcome(yaml_lines.load_checked, text, max_nodes)
    assert (direct[0] == "refused") == (max_nodes < 9)


def test_ordinary_content_takes_the_direct_way(monkeypatch, tmp_path):
    checked: list[str] = []
    monkeypatch.setattr(yaml_lines, "load_checked", lambda text, max_nodes: checked.append(text))
    from bot.content import BUNDLED_KNOWLEDGE, knowledge_files
    for path in knowledge_files(BUNDLED_KNOWLEDGE):
        yaml_lines.load(path.read_text(encoding="utf-8"))
    assert checked == []
    yaml_lines.load("a: &x b\n")
    assert checked == ["a: &x b\n"]


@pytest.mark.parametrize("value, message", [
    ("1" * 5000, "as int"),
    ("!!int abc", "cannot read 'abc' as int"),
    ("!!bool maybe", "cannot read 'maybe' as bool"),
    ("!!timestamp hello", "cannot read 'hello' as timestamp"),
    ("[" * 150 + "]" * 150, "nested more than 100 deep"),
])
def test_a_value_yaml_cannot_read_is_one_line_naming_file_and_line(knowledge_copy, value,
                                                                   message):
    (knowledge_copy / PLAN / "odd.yaml").write_text(
        f"entries:\n  - id: odd\n    approved_on: {value}\n")
    snapshot, problems = check_knowledge(knowledge_copy)
    [error] = [str(p) for p in problems if p.severity == "error"]
    assert snapshot is None and error.startswith(f"error: {PLAN}/odd.yaml:3:")
    assert message in error and len(error) < 200


def test_validate_says_so_without_a_traceback(knowledge_copy):
    (knowledge_copy / PLAN / "odd.yaml").write_text("a: !!timestamp 2009-13-45\n")
    done = run("validate", str(knowledge_copy))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{PLAN}/odd.yaml:1: not valid YAML: cannot read '2009-13-45' as timestamp" \
        in done.stderr


def test_one_load_keeps_one_copy_of_each_key_and_short_text():
    shared: dict[str, str] = {}
    long = "x" * (yaml_lines.SHARED_CHARS + 1)
    first = yaml_lines.load(f"keywords: [racial profiling]\ntext: {long}\n", shared=shared)
    second = yaml_lines.load(f"keywords: [racial profiling]\ntext: {long}\n", shared=shared)
    assert first["keywords"][0] is second["keywords"][0]
    assert next(iter(first)) is next(iter(second))
    assert first["text"] == second["text"] and first["text"] is not second["text"]
