"""Timing passes of the ingest benchmark: fhir.resources validation only, and full ingest through the Flask app.

Both passes start from the same request bodies (bytes) and both include ``orjson.loads``, so the ratio compares
like with like: ingest = what the service does per request (test client + WSGI, auth, parse, depth check,
mapping with R4B validation, de-identification, store writes, commit, receipt); validation only = parse plus
``model_validate`` of every entry resource with its R4B model, the least a validating FHIR server does.
Each timed pass starts after ``gc.collect()``; the garbage collector stays enabled (its pauses are real cost).
"""

from __future__ import annotations

import contextlib
import cProfile
import functools
import gc
import io
import logging
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

import app.api.fhir
import app.ingest.mapper
import app.services.ingest
from app import create_app
from app.store import tables


class EngineUnavailable(Exception):
    """The database engine cannot be used here; the message says why."""


@dataclass(frozen=True)
class BenchTarget:
    """Fresh, migrated databases (shared store, linkage vault) on one engine, and a scratch folder."""

    engine: str
    database_url: str
    linkage_database_url: str
    scratch: Path


@dataclass(frozen=True)
class Submission:
    """One request body of the workload and what storing it must produce."""

    label: str
    tenant: str
    path: str  # /fhir/Bundle for report Bundles, /fhir for transaction Bundles
    body: bytes
    variants: int
    implications: int


@dataclass
class IngestPass:
    """One engine's timed ingest of the workload."""

    engine: str
    seconds: float
    latencies: list[float]
    rows: dict[str, int]
    failures: list[str] = field(default_factory=list)


def validate_entries(body: bytes) -> int:
    """Parse one Bundle and validate every entry resource with its R4B model; returns the resources validated."""
    bundle = orjson.loads(body)
    count = 0
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        count += 1
    return count


def time_validation(submissions: list[Submission], repeats: int) -> list[list[float]]:
    """Per-submission validation-only seconds, for each of ``repeats`` passes (after one untimed warm-up)."""
    for submission in submissions:  # builds every model's validator, like the app's warm_up() at start
        validate_entries(submission.body)
    passes = []
    for _ in range(repeats):
        gc.collect()  # every timed pass starts with the same (collected) heap; the collector stays on
        latencies = []
        for submission in submissions:
            start = time.perf_counter()
            validate_entries(submission.body)
            latencies.append(time.perf_counter() - start)
        passes.append(latencies)
    return passes


def _receipt_of(path: str, document: dict) -> dict:
    """The receipt Parameters of a report Bundle (201) or of a transaction-response's first entry."""
    if path == "/fhir":
        document = document["entry"][0]["response"]["outcome"]
    return {p["name"]: p.get("valueInteger") for p in document.get("parameter", []) if "valueInteger" in p}


def _check(submission: Submission, status: int, body: bytes) -> str | None:
    expected = 200 if submission.path == "/fhir" else 201
    if status != expected:
        return f"{submission.label}: HTTP {status}: {body[:300]!r}"
    receipt = _receipt_of(submission.path, orjson.loads(body))
    got = (receipt.get("findings"), receipt.get("classificationsCreated"))
    if got != (submission.variants, submission.implications):
        return f"{submission.label}: receipt says findings/classifications {got}, expected " \
               f"{(submission.variants, submission.implications)}"
    return None


def count_rows(engine) -> dict[str, int]:
    """Row counts of the tables an ingest writes to."""
    names = ("reports", "submissions", "cases", "case_facts", "variants")
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(getattr(tables, name))).scalar_one()
                for name in names}


def run_ingest(target: BenchTarget, warmup: list[Submission], submissions: list[Submission],
               instrument: contextlib.AbstractContextManager | None = None) -> IngestPass:
    """POST every submission, one after another in this thread (one worker), timing each request.

    ``instrument`` (a profiler, phase timers) is entered around the timed requests only, after the warm-up."""
    app = create_app({"mode": "test", "data_dir": str(target.scratch), "database_url": target.database_url,
                      "linkage_database_url": target.linkage_database_url})
    services = app.extensions["varshare"]
    tokens = {name: services.tenants.add(name, "lab")[1] for name in dict.fromkeys(s.tenant for s in submissions)}
    client = app.test_client()
    failures: list[str] = []
    with _request_log_to(target.scratch / "requests.log"):
        seconds, latencies, responses = _post_all(client, tokens, warmup, submissions, failures,
                                                   instrument or contextlib.nullcontext())
    failures.extend(filter(None, (_check(s, status, body) for s, (status, body) in zip(submissions, responses,
                                                                                      strict=True))))
    rows = count_rows(services.store.engine)
    services.store.dispose()
    return IngestPass(target.engine, seconds, latencies, rows, failures)


@contextlib.contextmanager
def _request_log_to(path: Path) -> Iterator[None]:
    """Send the service's JSON request log lines to a file (still formatted and written: the cost stays in)."""
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "_varshare", False)]
    with path.open("a") as stream:
        previous = [h.setStream(stream) for h in handlers]  # type: ignore[attr-defined]
        try:
            yield
        finally:
            for handler, old in zip(handlers, previous, strict=True):
                handler.setStream(old)  # type: ignore[attr-defined]


def _post_all(client, tokens: dict[str, str], warmup: list[Submission], submissions: list[Submission],
              failures: list[str], instrument: contextlib.AbstractContextManager) -> tuple[float, list[float], list]:
    """Untimed warm-up posts, then the timed ones: (total seconds, per-request seconds, (status, body) pairs)."""

    def post(submission: Submission):
        headers = {"Authorization": f"Bearer {tokens[submission.tenant]}", "Content-Type": "application/fhir+json"}
        return client.post(submission.path, data=submission.body, headers=headers)

    for submission in warmup:  # first-request costs (SQL compilation caches, connection pools): not timed
        response = post(submission)
        failures.extend(filter(None, [_check(submission, response.status_code, response.get_data())]))
    latencies, responses = [], []
    gc.collect()  # as before each validation pass: start from a collected heap; the collector stays on
    with instrument:
        began = time.perf_counter()
        for submission in submissions:
            start = time.perf_counter()
            response = post(submission)
            latencies.append(time.perf_counter() - start)
            responses.append((response.status_code, response.get_data()))
        seconds = time.perf_counter() - began
    return seconds, latencies, responses


def profile_ingest(target: BenchTarget, warmup: list[Submission], submissions: list[Submission],
                   top: int = 30) -> str:
    """cProfile of a whole ingest pass: the functions with the most own time and the most cumulative time."""
    profiler = cProfile.Profile()
    run_ingest(target, warmup, submissions, profiler)  # a Profile is a context manager: enable/disable
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# (module, attribute, phase): coarse, once-per-request functions, so timing them costs next to nothing.
_PHASES = (
    (app.api.fhir, "json_exceeds_depth", "JSON depth check"),
    (app.services.ingest, "map_submission", "mapping incl. R4B validation"),
    (app.ingest.mapper, "validate_submission", "R4B validation (inside mapping)"),
    (app.services.ingest.Ingest, "_replay", "idempotency lookup"),
    (app.services.ingest.Ingest, "_store_report", "store writes + commit"),
    (app.services.ingest.Ingest, "submit", "Ingest.submit"),
)


def _timing(function, totals: dict[str, float], phase: str):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[phase] += time.perf_counter() - start
    return timed


def time_phases(target: BenchTarget, warmup: list[Submission], submissions: list[Submission]) -> dict[str, float]:
    """Another ingest pass with coarse phase timers and the garbage collector's pause time (seconds)."""
    totals: dict[str, float] = defaultdict(float)
    started: list[float] = []

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            generation = "full (generation 2)" if info["generation"] == 2 else "generation 0/1"
            totals[f"gc pauses, {generation}"] += time.perf_counter() - started.pop()

    @contextlib.contextmanager
    def measuring() -> Iterator[None]:
        totals.clear()  # the patched functions also ran during the warm-up
        gc.callbacks.append(on_gc)
        try:
            yield
        finally:
            gc.callbacks.remove(on_gc)

    with pytest.MonkeyPatch.context() as patch:
        for owner, name, phase in _PHASES:
            patch.setattr(owner, name, _timing(getattr(owner, name), totals, phase))
        run = run_ingest(target, warmup, submissions, measuring())
    phases = dict(totals)
    phases["whole pass"] = run.seconds
    phases["outside Ingest.submit (HTTP, auth, parse, receipt, log)"] = (
        run.seconds - phases.get("Ingest.submit", 0.0) - phases.get("JSON depth check", 0.0))
    return phases


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def median_pass(passes: list[list[float]]) -> list[float]:
    """The pass whose total time is the median of all passes."""
    totals = [sum(p) for p in passes]
    return passes[totals.index(statistics.median_low(totals))]
