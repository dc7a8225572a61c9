"""What a reply's buttons need after a click, kept here instead of in the buttons.

A button value is limited to 2,000 characters and is cut, not refused, when
longer; carrying the query and the other results in it broke buttons on long
or emoji-heavy questions. So a button carries only the request id and the
entry id, and this bounded record keeps the rest of each recent reply (the
context `AskCommand.context_value` builds: query, results, flags). A click on
a reply older than the record (or answered by another copy of the bot) still
works: it redraws the entry without the other close responses.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

DEFAULT_MAX_REPLIES = 10_000


class RecentReplies:
    """The last `max_replies` reply contexts by request id; the oldest go first."""

    def __init__(self, max_replies: int = DEFAULT_MAX_REPLIES) -> None:
        self.max_replies = max_replies
        self._replies: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._replies)

    def remember(self, request_id: str, context: dict[str, Any]) -> None:
        self._replies[request_id] = context
        self._replies.move_to_end(request_id)
        while len(self._replies) > self.max_replies:
            self._replies.popitem(last=False)

    def get(self, request_id: str) -> dict[str, Any] | None:
        return self._replies.get(request_id)
