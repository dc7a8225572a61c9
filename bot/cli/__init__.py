"""The `facts-bot` command line: one parser, each command group registered from its module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bot.service.settings import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facts-bot", description="Approved press-office language, served verbatim."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    for register in _command_groups():
        register(commands)
    return parser


def _command_groups() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands that live with their own modules; each adds its parsers and handlers.

    Each module's `register(commands)` adds subparsers with `set_defaults(handler=...)`;
    a handler takes the parsed arguments and returns the exit code.
    """
    from bot.cli import alerts, ask, check, importing, review, service

    return [ask.register, check.register, service.register, alerts.register, review.register,
            importing.register]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as problem:
        print(f"facts-bot: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
