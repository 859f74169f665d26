"""How the service's processes log: one JSON object a line in production (LOG_FORMAT=json), for the
council's log store, or plain lines in development; either way every line says which request it
belongs to. A request's id (its X-Request-ID, or a new one) is carried into the jobs it queues,
so a failed email can be traced to the click that sent it."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# An id a proxy sends is kept only if it cannot forge a log line or a header.
ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# A parent's link is its secret: an access log line shows that one was used, never which.
PARENT_LINK = re.compile(r"(/parents/)[^/\s?\"]+")


class WithRequestId(logging.Filter):
    """Adds the request id to every record, and keeps parents' link secrets out of the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        message = record.getMessage()
        if "/parents/" in message:
            record.msg, record.args = PARENT_LINK.sub(r"\1…", message), None
        return True


class JsonLines(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service and uvicorn alike (uvicorn's `log_config`)."""
    formatter = (
        {"()": JsonLines}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": WithRequestId}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"]}
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            **{
                name: {"handlers": [], "propagate": True, "level": level}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq")
            },
            # Libraries that narrate their every step at INFO: only what went wrong.
            **{name: {"level": "WARNING"} for name in ("alembic", "weasyprint", "fontTools")},
        },
    }
