"""Shared fixtures: the bundled knowledge, a fixed day, and a fake Slack."""

from __future__ import annotations

import datetime as dt
import shutil
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
