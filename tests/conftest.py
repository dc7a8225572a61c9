"""Shared fixtures: the bundled knowledge, a fixed day, and a fake Slack."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.content import BUNDLED_KNOWLEDGE, Snapshot, load_snapshot
from bot.matching import Index
from fakeslack import FakeSlack

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return load_snapshot(BUNDLED_KNOWLEDGE)


@pytest.fixture(scope="session")
def index(snapshot: Snapshot) -> Index:
    return Index(snapshot)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge, to break or extend in a test."""
    target = tmp_path / "knowledge"
    shutil.copytree(BUNDLED_KNOWLEDGE, target)
    return target


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


class Tmpfs:
    """A small filesystem of its own, to fill up or make read-only in a test."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True,
                       capture_output=True)


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    """A 1 MB tmpfs (needs root and mount); the test is skipped, saying why, without it."""
    target = tmp_path / "tmpfs"
    target.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as failed:
        pytest.skip(f"cannot mount a tmpfs here: {failed}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield Tmpfs(target)
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many tests were skipped, and why, grouped by reason.

    Some guarantees are only tested where their dependency runs (PostgreSQL for
    the store contract and a killed replica's log rows, Chromium for the HTML
    report); a run that skipped them must say so plainly. This prints before
    pytest's own closing line, which CI reads and which stays last.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, list[str]] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons.setdefault(reason.removeprefix("Skipped: "), []).append(
            report.nodeid.split("::")[0])
    terminalreporter.section(f"{len(skipped)} skipped, by reason", sep="-")
    for reason, files in sorted(reasons.items(), key=lambda item: -len(item[1])):
        where = ", ".join(sorted(set(files)))
        terminalreporter.line(f"{len(files)} skipped: {reason} [{where}]")
