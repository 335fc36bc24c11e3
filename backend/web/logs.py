"""The server's log lines: uvicorn's text, or one JSON object a line (`--log-format json`) for a log collector.

Neither form holds a visitor's address unless the operator turns the access log on
(`--access-log`): without it no request is logged at all, and nothing else the server logs
names a client.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "puente")


class JsonFormatter(logging.Formatter):
    """One log record as one line of JSON: time (UTC), level, logger, message; an access line's fields by name."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, http_version, status = args
            out.update(message="request", client=client, method=method, path=path, http=http_version, status=status)
        else:
            out["message"] = record.getMessage()
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(log_format: str) -> dict[str, Any] | None:
    """The `log_config` to give uvicorn: None keeps uvicorn's own text lines."""
    if log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["json"], "level": "INFO", "propagate": False} for name in LOGGERS},
    }


def say(log_format: str, message: str, level: str = "info") -> None:
    """A line from the CLI while it starts the server, in the same format as the server's own."""
    if log_format == "json":
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        print(json.dumps({"time": now, "level": level, "logger": "puente", "message": message}, ensure_ascii=False), file=sys.stderr, flush=True)
    else:
        print(message, file=sys.stderr if level == "warning" else sys.stdout, flush=True)
