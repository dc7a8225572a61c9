"""Argument types and defaults shared by every command group."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from bot.content import BUNDLED_KNOWLEDGE


def default_knowledge_dir() -> Path:
    return Path(os.environ.get("FACTS_KNOWLEDGE_DIR") or BUNDLED_KNOWLEDGE)


def date_argument(value: str) -> dt.date:
    """A YYYY-MM-DD day; argparse turns the error into one line and exit 2."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return int(value)
