"""`facts-bot serve`: the running service (reading its log is `bot/cli/log.py`)."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.service.clock import SystemClock
from bot.service.settings import load_settings


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the Slack bot (HTTP, or Socket Mode with "
                                "SLACK_APP_TOKEN)")
    serve.add_argument("--settings", help="YAML settings file (also FACTS_SETTINGS)")
    serve.set_defaults(handler=run_serve)


def configure_logging(log_format: str) -> None:
    if log_format == "json":
        from bot.service.jsonlog import JsonFormatter
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=logging.INFO, force=True,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings(settings_file=args.settings)
    configure_logging(settings.log_format)
    from bot.service.server import serve
    return asyncio.run(serve(settings, SystemClock()))
