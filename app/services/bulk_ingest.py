"""Bulk loading of report files (JSON or NDJSON) through the same ingest path the API uses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from app.domain.reports import Issue
from app.security.limits import json_exceeds_depth
from app.services.ingest import Ingest, IngestRejected, IngestResult
from app.services.tenants import Caller

SUFFIXES = (".json", ".ndjson", ".jsonl")


@dataclass(frozen=True)
class Source:
    """One resource to load: where it came from and its raw text."""

    label: str  # file, or file:line for NDJSON
    raw: bytes


@dataclass
class LoadSummary:
    """Outcome of a bulk load: counts and the reasons for every rejection."""

    accepted: int = 0
    replayed: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (source label, reason)
    variants: int = 0


def collect_sources(paths: list[Path]) -> list[Source]:
    """Every resource in the given files and directories (recursively), in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            files.append(path)
    sources: list[Source] = []
    for file in files:
        data = file.read_bytes()
        if file.suffix.lower() in (".ndjson", ".jsonl"):
            sources.extend(Source(f"{file}:{n}", line) for n, line in enumerate(data.splitlines(), 1) if line.strip())
        else:
            sources.append(Source(str(file), data))
    return sources


def _reason(rejected: IngestRejected) -> str:
    first = rejected.issues[0] if rejected.issues else None
    more = f" (+{len(rejected.issues) - 1} more)" if len(rejected.issues) > 1 else ""
    where = f" at {first.location}" if first and first.location else ""
    return f"{rejected.status}{where}: {first.message if first else 'rejected'}{more}"


def load_sources(ingest: Ingest, caller: Caller, sources: list[Source], max_depth: int) -> Iterator[LoadSummary]:
    """Ingest each source; yields the running summary after each one (for progress display)."""
    summary = LoadSummary()
    for source in sources:
        for label, outcome in _ingest_one(ingest, caller, source, max_depth):
            if isinstance(outcome, IngestRejected):
                summary.rejected.append((label, _reason(outcome)))
            elif outcome.replayed:
                summary.replayed += 1
            else:
                summary.accepted += 1
                summary.variants += len(outcome.receipt["variants"])
        yield summary


def _ingest_one(ingest: Ingest, caller: Caller, source: Source,
                max_depth: int) -> list[tuple[str, IngestResult | IngestRejected]]:
    try:
        resource = orjson.loads(source.raw)
    except orjson.JSONDecodeError as exc:
        return [(source.label, _rejected(400, f"not valid JSON (at character {exc.pos})"))]
    if json_exceeds_depth(source.raw, max_depth):
        return [(source.label, _rejected(400, f"the JSON nests deeper than {max_depth} levels"))]
    if not isinstance(resource, dict) or resource.get("resourceType") not in ("Bundle", "DiagnosticReport",
                                                                             "Observation"):
        return [(source.label, _rejected(422, "not a Bundle, DiagnosticReport or Observation"))]
    if resource.get("resourceType") == "Bundle" and resource.get("type") == "batch":
        outcomes = ingest.submit_batch_entries(caller, resource)
        return [(f"{source.label} entry[{i}]", outcome) for i, outcome in enumerate(outcomes)]
    try:
        return [(source.label, ingest.submit(caller, resource))]
    except IngestRejected as rejected:
        return [(source.label, rejected)]


def _rejected(status: int, message: str) -> IngestRejected:
    return IngestRejected(status, [Issue("error", "structure", "", message)])
