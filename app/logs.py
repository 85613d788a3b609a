"""Structured JSON logging with a request id on every record.

Log records carry only what the code passes explicitly: never request bodies, headers, tokens or
patient data. Use ``log.info("event name", extra={"fields": {...}})`` for structured fields.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import sys
import traceback

import orjson

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("varshare_request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            # Type and code locations only: exception messages can quote input values (PHI).
            exc_type, _exc, tb = record.exc_info
            entry["error"] = exc_type.__name__ if exc_type else "error"
            frames = traceback.extract_tb(tb)
            # Our own frames tell where it went wrong; the innermost frame tells what failed.
            ours = [f for f in frames if "/app/" in f.filename and "site-packages" not in f.filename]
            shown = ours[-8:] + ([frames[-1]] if frames and (not ours or frames[-1] is not ours[-1]) else [])
            entry["stack"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in shown]
        return orjson.dumps(entry, default=str).decode("utf-8")


def configure_logging(level: str = "INFO") -> None:
    """Send the root logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_varshare", False):
            root.setLevel(level)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._varshare = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's own access log would print query strings; ours is structured and path-only.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
