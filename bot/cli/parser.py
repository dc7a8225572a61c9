"""The argparse parser of `facts-bot`: every command listed, the one being run in full.

Kept apart from `bot.cli` so that `facts-bot ask WORDS`, which needs no
option parsing (see `bot.cli.ask.plain_question`), never imports argparse.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from bot.cli import COMMANDS


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, the width argparse wraps help to.

    Computed here because argparse imports shutil (and with it bz2 and lzma,
    about 3 ms) to size a help formatter for every parser it builds, even when
    no help is printed.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter at the width it would choose itself (see terminal_columns)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         terminal_columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help, and its subcommands', uses `_HelpFormatter`.

    `commands` holds the subcommands' parsers by name (argparse keeps no public
    handle on them), for `parse_words` to blame an unknown option on its command.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}


class _Version(argparse.Action):
    """`--version`, reading the installed version only when asked (importlib.metadata is slow)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib import metadata
        try:
            version = metadata.version("facts-bot")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            version = "unknown"
        print(f"facts-bot {version}")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> _Parser:
    """The parser, with the full arguments of the command `argv` names (if any).

    The other commands are listed by name and help only; their modules are
    never imported.
    """
    parser = _Parser(
        prog="facts-bot", description="Approved press-office language, served verbatim."
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    chosen = command_module(sys.argv[1:] if argv is None else argv)
    if chosen is not None:
        importlib.import_module(chosen).register(commands)
    for name, (module, summary) in COMMANDS.items():
        if module != chosen:
            commands.add_parser(name, help=summary)
    parser.commands = commands.choices
    return parser


def parse_words(words: Sequence[str]) -> argparse.Namespace:
    """`build_parser(words).parse_args(words)`, with an unknown option blamed on its command.

    argparse reports what a subcommand did not recognise from the top-level
    parser: `facts-bot ask -x` printed the list of commands, not ask's usage.
    """
    parser = build_parser(words)
    args, unknown = parser.parse_known_args(words)
    if unknown:
        name = getattr(args, "command", None)
        given_to_command = name in words and unknown[0] not in words[:words.index(name)]
        command = parser.commands.get(name, parser) if given_to_command else parser
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def command_module(argv: Sequence[str]) -> str | None:
    """The module of the command `argv` names; None for `--help`, nothing or a typo."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    return COMMANDS[name][0] if name in COMMANDS else None
