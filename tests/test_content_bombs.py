"""Knowledge-file bombs: aliases, huge files, odd keys, huge values (issue 13, item 5).

Each must be one short problem naming the file and line, in `validate` and in
`/facts reload`, and every reload, even one that crashes, gets a reply and an
audit row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os

import pytest

from bot.content import check_knowledge
from test_cli import run
from test_slack_app import ADMIN, PLAN, all_text, bot_on_copy  # noqa: F401 (fixture)

TODAY = dt.date(2026, 11, 25)


def alias_bomb(levels: int) -> str:
    """The classic "billion laughs" (each level ten of the one before), used where a
    field check quotes the value: a document's alert time."""
    lines = ["synonyms:", '  - &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels + 1):
        refs = ",".join([f"*a{n - 1}"] * 10)
        lines.append(f"  - &a{n} [{refs}]")
    lines += ["document:", "  id: bomb-plan", "  title: t", "  office: o", "  date: 2009-04-23",
              "  timezone: America/New_York", "  contact: {name: n, phone: p}",
              f"  alerts: {{time: *a{levels}}}"]
    return "\n".join(lines) + "\n"


def errors_for(folder, name: str, text: str) -> list[str]:
    (folder / PLAN / name).write_text(text)
    snapshot, problems = check_knowledge(folder, TODAY)
    assert snapshot is None
    return [str(p) for p in problems if p.severity == "error"]


def test_an_alias_bomb_is_refused_by_line_without_expanding(knowledge_copy):
    bomb = alias_bomb(10)  # 3.5 GB once expanded
    assert len(bomb) < 1200
    [error] = errors_for(knowledge_copy, "bomb.yaml", bomb)
    assert error.startswith(f"error: {PLAN}/bomb.yaml:2:") and "anchors" in error
    assert len(error) < 200


def test_a_plain_alias_or_merge_key_is_refused_too(knowledge_copy):
    [error] = errors_for(knowledge_copy, "merge.yaml",
                         "entries:\n  - id: a\n    title: x\n  - <<: *base\n")
    assert f"{PLAN}/merge.yaml:4:" in error and "aliases" in error


def test_too_many_values_or_too_many_bytes_is_refused(knowledge_copy):
    [many] = errors_for(knowledge_copy, "many.yaml", "synonyms:\n" + "  - [a, b]\n" * 20_000)
    assert "more than 50000 values" in many and f"{PLAN}/many.yaml:" in many
    (knowledge_copy / PLAN / "many.yaml").unlink()
    [big] = errors_for(knowledge_copy, "big.yaml", "# " + "x" * 1_100_000 + "\n")
    assert "bytes is more than a content file may hold" in big


def test_an_unhashable_key_is_a_problem_not_a_traceback(knowledge_copy):
    [error] = errors_for(knowledge_copy, "keys.yaml", "? [a, b]\n: value\n")
    assert f"{PLAN}/keys.yaml:1:" in error and "a key must be plain text" in error


def test_a_huge_value_is_quoted_as_a_short_excerpt(knowledge_copy):
    huge = "x" * 400_000
    errors = errors_for(knowledge_copy, "huge.yaml",
                        f"entries:\n  - id: tp-huge\n    document: {PLAN}\n"
                        f"    kind: {huge}\n    title: t\n    section: s\n    text: t\n"
                        f"    effective: {huge}\n")
    assert errors and all(len(error) < 500 for error in errors)
    assert any("is not a kind" in error for error in errors)
    assert any("is not a date" in error for error in errors)


def test_validate_prints_one_short_line_for_a_bomb(knowledge_copy):
    (knowledge_copy / PLAN / "bomb.yaml").write_text(alias_bomb(7))
    done = run("validate", str(knowledge_copy))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert max(len(line) for line in done.stderr.splitlines()) < 300


async def test_reload_of_a_bomb_replies_and_is_audited(bot_on_copy, knowledge_copy):  # noqa: F811
    before = bot_on_copy.service.bot.live.snapshot.version
    (knowledge_copy / PLAN / "bomb.yaml").write_text(alias_bomb(10))
    reply = all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    assert "Reload failed" in reply and f"{PLAN}/bomb.yaml:2" in reply and len(reply) < 3000
    [audit] = bot_on_copy.audits("reload")
    assert audit.detail["ok"] is False and "anchors" in audit.detail["errors"][0]
    assert bot_on_copy.service.bot.live.snapshot.version == before
    assert "driving under the influence" in all_text(await bot_on_copy.ask("traffic offenses"))


async def test_a_reload_that_crashes_still_replies_and_is_audited(bot_on_copy):  # noqa: F811
    def crashing_check(directory, today):
        raise PermissionError(13, "Permission denied", str(directory / "qa.yaml"))

    bot_on_copy.service.bot.live.check = crashing_check
    reply = all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    assert "Reload failed" in reply and "PermissionError" in reply
    [audit] = bot_on_copy.audits("reload")
    assert audit.detail["ok"] is False and "crashed" in audit.detail["errors"][0]


def unblock_reader(fifo) -> None:
    """Let a reader stuck opening `fifo` go (it reads an empty file), so no thread
    is left waiting forever when the bot under test did open it."""
    with contextlib.suppress(OSError):  # nobody is reading it: nothing to let go
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("target", ["fifo", "/dev/null"])
async def test_a_content_file_that_is_not_a_file_fails_the_reload_at_once(
        bot_on_copy, knowledge_copy, tmp_path, target):  # noqa: F811
    """A link to a named pipe once held `/facts reload` (and every reload after it)
    forever, and one to /dev/zero read without end (probe S, finding S7)."""
    before = bot_on_copy.service.bot.live.snapshot.version
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (knowledge_copy / PLAN / "odd.yaml").symlink_to(fifo if target == "fifo" else target)
    try:
        reply = all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    finally:
        unblock_reader(fifo)
    assert "Reload failed" in reply and f"{PLAN}/odd.yaml" in reply
    assert "not a regular file" in reply
    assert bot_on_copy.service.bot.live.snapshot.version == before


def reads_any_folder(tmp_path) -> bool:
    """Whether this process reads a folder whatever its mode (root, with CAP_DAC_*)."""
    folder = tmp_path / "closed"
    folder.mkdir(mode=0)
    try:
        os.listdir(folder)
    except PermissionError:
        return False
    finally:
        folder.rmdir()
    return True


async def test_a_plan_folder_that_cannot_be_read_fails_the_reload(
        bot_on_copy, knowledge_copy, tmp_path):  # noqa: F811
    """An unreadable plan folder was passed over: the reload "succeeded" and
    withdrew every entry in it (probe S, finding S8). As root, run it without
    the capability to read any folder: `setpriv --inh-caps=-dac_override,-dac_read_search
    --bounding-set=-dac_override,-dac_read_search pytest ...`."""
    if reads_any_folder(tmp_path):
        pytest.skip("this process reads every folder (root): none can be made unreadable")
    before = bot_on_copy.service.bot.live.snapshot.version
    (knowledge_copy / PLAN).chmod(0)
    try:
        reply = all_text(await bot_on_copy.ask("reload", user_id=ADMIN))
    finally:
        (knowledge_copy / PLAN).chmod(0o755)
    assert "Reload failed" in reply and f"{PLAN}: folder cannot be read" in reply
    assert bot_on_copy.service.bot.live.snapshot.version == before
