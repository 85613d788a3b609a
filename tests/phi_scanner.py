"""A reusable PHI surface scanner for tests: enumerate every surface (all tables of both databases, raw SQLite
files, files under a folder, captured log lines, HTTP bodies) and search them for canary strings.

Surfaces are enumerated, not listed by hand: every table the database reports is dumped, so tables added
later (audit log, releases, exports) are covered automatically. Matching is case-insensitive on the text as
written, its JSON-escaped and URL-encoded forms, and on base64 runs decoded (and zlib/Flate streams inflated).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.engine import make_url

from app.logs import JsonFormatter

_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


@dataclass(frozen=True)
class Surface:
    """One place data can end up: a name for reports and its text."""

    name: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A canary found on a surface."""

    surface: str
    label: str


def table_surfaces(engine: Engine, prefix: str) -> list[Surface]:
    """Every row of every table the database has (all schemas but the system ones), one surface per table."""
    surfaces = []
    inspector = inspect(engine)
    schemas = [None] if engine.dialect.name == "sqlite" else [
        s for s in inspector.get_schema_names() if s not in ("information_schema", "pg_catalog", "pg_toast")]
    with engine.connect() as connection:
        for schema in schemas:
            for name in inspector.get_table_names(schema=schema):
                table = Table(name, MetaData(), schema=schema, autoload_with=connection)
                rows = [[_text(v) for v in row] for row in connection.execute(select(table))]
                surfaces.append(Surface(f"{prefix}:{schema or 'main'}.{name}", json.dumps(rows, ensure_ascii=False)))
    return surfaces


def _text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value) if value is not None else ""


def sqlite_file_surfaces(url: str) -> list[Surface]:
    """The raw SQLite database file and its -wal/-shm companions (free and rolled-back pages included)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return []
    base = Path(parsed.database)
    return [Surface(f"file:{p.name}", p.read_bytes().decode("latin-1"))
            for p in (base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")) if p.exists()]


def folder_surfaces(folder: Path) -> list[Surface]:
    """Every file under a folder (exports, temp files, anything the app wrote)."""
    return [Surface(f"file:{p}", p.read_bytes().decode("latin-1")) for p in sorted(folder.rglob("*")) if p.is_file()]


class LogCapture(logging.Handler):
    """Captures every log record, formatted as the service formats it (JSON lines, exceptions included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def surface(self) -> Surface:
        return Surface("logs", "\n".join(self.lines))


def _expanded(text: str, depth: int = 0) -> list[str]:
    out = [text]
    if depth >= 2:
        return out
    for run in _BASE64_RUN.findall(text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(run + "=" * (-len(run) % 4))
            except (binascii.Error, ValueError):
                continue
            pieces = [raw]
            for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
                try:
                    pieces.append(zlib.decompress(raw, wbits))
                except zlib.error:
                    continue
            for stream in _STREAM.findall(raw):
                try:
                    pieces.append(zlib.decompress(stream))
                except zlib.error:
                    continue
            for piece in pieces:
                out.extend(_expanded(piece.decode("latin-1"), depth + 1))
    return out


def _forms(value: str) -> set[str]:
    return {f.casefold() for f in (value, json.dumps(value)[1:-1], quote(value, safe=""), quote(value))}


def find_canaries(surfaces: list[Surface], canaries: dict[str, list[str]]) -> list[Hit]:
    """Every (surface, canary label) where any form of the canary occurs."""
    wanted = [(label, form) for label, values in canaries.items() for value in values for form in _forms(value)]
    hits = []
    for surface in surfaces:
        texts = [t.casefold() for t in _expanded(surface.text)]
        for label in dict.fromkeys(label for label, form in wanted if any(form in t for t in texts)):
            hits.append(Hit(surface.name, label))
    return hits
