"""How much of a question the matcher reads.

A lookup costs about 5 ms per kB of query and runs where the request is
handled; an unbounded query let one user's 100 kB paste hold up everyone
else's ack. No real question needs more than a few sentences, so the callers
(Slack, the command line) hand the matcher only the first `MAX_QUERY_CHARS`
and say so; the log keeps more of what was typed (see the callers' bounds).
"""

from __future__ import annotations

MAX_QUERY_CHARS = 500


def readable_part(query: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """(what the matcher reads, whether anything was left out)."""
    if len(query) <= limit:
        return query, False
    return query[:limit], True
