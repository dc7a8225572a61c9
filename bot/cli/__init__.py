"""The `facts-bot` command line: one parser, each command group registered from its module.

Only the module of the command being run is imported: `facts-bot ask` must
not pay for Slack's and the database's clients (aiohttp alone is about
180 ms), and `facts-bot --help` still lists every command from the table.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

#: command -> (the module whose `register(commands)` adds it, its line in `--help`).
#: A module may add several commands; tests/test_cli.py checks the table against them.
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("bot.cli.ask", "find the approved response for a question"),
    "validate": ("bot.cli.ask", "check a knowledge directory"),
    "check": ("bot.cli.check", "is every sentence of a draft approved, word for word?"),
    "serve": ("bot.cli.service", "run the Slack bot (HTTP, or Socket Mode with "
              "SLACK_APP_TOKEN)"),
    "log": ("bot.cli.log", "print the query log or the audit trail (FACTS_DB)"),
    "alerts": ("bot.cli.alerts", "event-day alerts: preview, or send what is due"),
    "review": ("bot.cli.review", "what people asked, and what had no approved answer"),
    "import": ("bot.cli.importing", "draft a plan folder from a media plan (.docx, .md, .txt)"),
}


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
    """An ArgumentParser whose help, and its subcommands', uses `_HelpFormatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


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


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
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
    return parser


def command_module(argv: Sequence[str]) -> str | None:
    """The module of the command `argv` names; None for `--help`, nothing or a typo."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    return COMMANDS[name][0] if name in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an ordinary mistake is one line on stderr and exit 2, never a traceback."""
    as_program = argv is None  # a caller's process, and its collector, are its own
    with _collector_off(as_program):
        args = build_parser(argv).parse_args(argv)
        quick = as_program and getattr(args, "quick_exit", False)
        if quick:
            _set_aside()  # the modules just imported
    code = _run(args)
    if quick:
        _set_aside()  # what the command built, before the interpreter's final collection
    return code


@contextlib.contextmanager
def _collector_off(off: bool) -> Iterator[None]:
    """The cyclic garbage collector paused while the command's modules are imported.

    Imports make tens of thousands of objects that all live on; the collector,
    set off by the allocations, walks them some twenty times and frees nothing.
    """
    was_on = off and gc.isenabled()
    if was_on:
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _set_aside() -> None:
    """Hide every object alive now from the garbage collector, for the rest of the run.

    For a quick command run as the program (`quick_exit`: ask, validate,
    check), whose objects live until it ends: its modules, then its snapshot
    and index, which the collector would otherwise walk again and again and at
    exit (about 25 ms of `facts-bot ask` in all) without freeing anything the
    end of the process does not. Such a command's output is stdout and stderr,
    which the interpreter flushes regardless; a hidden object's finalizer may
    never run, so no command that writes files or leaves a connection open
    opts in (ask closes the FACTS_DB it reads before it returns).
    """
    gc.freeze()


def _run(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except BrokenPipeError:
        # `facts-bot log | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail("output closed early (the reading command stopped reading)")
    except OSError as failed:
        if failed.filename:
            return _fail(f"{failed.filename}: {failed.strerror or failed}")
        return _fail(str(failed))
    except KeyboardInterrupt:
        return 130
    except Exception as problem:
        # Settings and SQLite errors are one line too. Only a command that read its
        # settings or opened SQLite can raise them, so `ask` never imports them to check.
        settings, sqlite3 = sys.modules.get("bot.service.settings"), sys.modules.get("sqlite3")
        if settings is not None and isinstance(problem, settings.ConfigError):
            return _fail(str(problem))
        if sqlite3 is not None and isinstance(problem, sqlite3.Error):
            return _fail(f"the query log (FACTS_DB) cannot be used: {problem}")
        raise


def _fail(message: str) -> int:
    print(f"facts-bot: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
