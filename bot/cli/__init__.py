"""The `facts-bot` command line: one parser, each command group registered from its module.

Only the module of the command being run is imported: `facts-bot ask` must
not pay for Slack's and the database's clients (aiohttp alone is about
180 ms), and `facts-bot --help` still lists every command from the table.
The parser itself (`bot.cli.parser`) is imported only when options need
parsing: the usual `facts-bot ask WORDS` does without argparse (see `parse`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argparse import Namespace
    from types import SimpleNamespace

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an ordinary mistake is one line on stderr and exit 2, never a traceback."""
    as_program = argv is None  # a caller's process, and its collector, are its own
    with _collector_off(as_program):
        args = parse(argv)
        quick = as_program and getattr(args, "quick_exit", False)
        if quick:
            _set_aside()  # the modules just imported
    code = _run(args)
    if quick:
        _set_aside()  # what the command built, before the interpreter's final collection
    return code


def parse(argv: Sequence[str] | None = None) -> Namespace | SimpleNamespace:
    """The command line (`sys.argv[1:]` when None) as argparse reads it.

    `facts-bot ask WORDS...` without options, the usual call, is read without
    argparse: importing it and building the parser cost `ask` about 8 ms (with
    gettext and locale), a quarter of what it spends past its libraries.
    `bot.cli.ask.plain_question` gives the namespace argparse would
    (tests/test_cli.py compares the two); anything else goes to argparse.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["ask"]:
        from bot.cli.ask import plain_question

        plain = plain_question(words[1:])
        if plain is not None:
            return plain
    from bot.cli.parser import parse_words

    return parse_words(words)


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


def _run(args: Namespace | SimpleNamespace) -> int:
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
