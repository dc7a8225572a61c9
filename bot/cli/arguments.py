"""Argument types and defaults shared by every command group."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bot.content import BUNDLED_KNOWLEDGE

if TYPE_CHECKING:  # the store is imported by the commands that open one, not by `ask`
    from bot.store import LogStore


def default_knowledge_dir() -> Path:
    return Path(os.environ.get("FACTS_KNOWLEDGE_DIR") or BUNDLED_KNOWLEDGE)


def date_argument(value: str) -> dt.date:
    """A YYYY-MM-DD day; argparse turns the error into one line and exit 2."""
    import argparse  # loaded already: argparse is what calls this

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def positive(value: str) -> int:
    import argparse  # loaded already: argparse is what calls this

    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return int(value)


def sqlite_file(db: str) -> Path | None:
    """The file a FACTS_DB value names, or None when it names a server (PostgreSQL)."""
    scheme, sep, rest = db.strip().partition("://")
    if not sep:
        return Path(db.strip())
    if scheme.lower() == "sqlite" and rest.startswith("/") and rest != "/":
        return Path(rest[1:])
    return None


def existing_store(db: str) -> LogStore:
    """The log FACTS_DB names, for a command that reads it: never a new, empty one.

    Opening a SQLite path creates the file (and its folder); a mistyped FACTS_DB
    would then print "(0 rows)" as if nobody had asked anything.
    """
    from bot.service.settings import ConfigError
    from bot.store import open_store

    path = sqlite_file(db)
    if path is not None and not path.is_file():
        raise ConfigError(f"FACTS_DB: no query log at {str(path)!r} (nothing was created); "
                          "check FACTS_DB")
    return open_store(db)
