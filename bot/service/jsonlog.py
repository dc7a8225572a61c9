"""Structured logs: one JSON object per line, for log shippers (FACTS_LOG_FORMAT=json).

Every line logged while a Slack request is being handled carries its
`request_id`, the same id as the request's rows in the query log, so one
search finds everything that happened to one question.
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")


def bind_request_id(request_id: str) -> None:
    """Tag the log lines of the current task (each request runs in its own task)."""
    _request_id.set(request_id)

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Time, level, logger, message, and any `extra=` fields such as request_id."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := _request_id.get():
            line["request_id"] = request_id
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)

    converter = time.gmtime
