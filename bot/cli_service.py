"""Command-line entry points of the running service: serve, log."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the service's subcommands (filled in with the Slack app)."""
