"""The `facts-bot` command line: one parser, each command group registered from its module."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from importlib import metadata

from bot.service.settings import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facts-bot", description="Approved press-office language, served verbatim."
    )
    parser.add_argument("--version", action="version", version=f"facts-bot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    for register in _command_groups():
        register(commands)
    return parser


def _command_groups() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands that live with their own modules; each adds its parsers and handlers.

    Each module's `register(commands)` adds subparsers with `set_defaults(handler=...)`;
    a handler takes the parsed arguments and returns the exit code.
    """
    from bot.cli import alerts, ask, check, importing, log, review, service

    return [ask.register, check.register, service.register, log.register, alerts.register,
            review.register, importing.register]


def _version() -> str:
    try:
        return metadata.version("facts-bot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an ordinary mistake is one line on stderr and exit 2, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as problem:
        return _fail(str(problem))
    except BrokenPipeError:
        # `facts-bot log | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail("output closed early (the reading command stopped reading)")
    except OSError as failed:
        if failed.filename:
            return _fail(f"{failed.filename}: {failed.strerror or failed}")
        return _fail(str(failed))
    except sqlite3.Error as failed:
        return _fail(f"the query log (FACTS_DB) cannot be used: {failed}")
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    print(f"facts-bot: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
