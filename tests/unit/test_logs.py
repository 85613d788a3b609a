"""JSON log lines: structured fields, request id, no exception messages."""

import logging

import orjson

from app.logs import JsonFormatter, request_id_var


def _format(record: logging.LogRecord) -> dict:
    return orjson.loads(JsonFormatter().format(record))


def test_log_line_is_json_with_fields_and_request_id():
    record = logging.LogRecord("varshare.http", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"status": 200, "path": "/healthz"}
    token = request_id_var.set("req-12345678")
    try:
        entry = _format(record)
    finally:
        request_id_var.reset(token)
    assert entry["message"] == "request" and entry["status"] == 200 and entry["request_id"] == "req-12345678"


def test_exception_messages_never_reach_the_log():
    try:
        raise ValueError("Jane Canary-Doe MRN 998877")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, (type(exc), exc, exc.__traceback__))
    line = JsonFormatter().format(record)
    assert "Canary" not in line and "998877" not in line
    entry = orjson.loads(line)
    assert entry["error"] == "ValueError" and entry["stack"]
