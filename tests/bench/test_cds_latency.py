"""CDS hook latency benchmark (`make bench`): `patient-view` over real HTTP against 1 million variants.

Set-up: the synthetic store of ``tests/bench/synthetic_store.py`` (1,000,000 variants, 3 submissions each), the
sandbox's demo EHR tenant; ``varshare serve`` (gunicorn, 2 gthread workers) as a subprocess on a free loopback
port in sandbox mode, so the demo EHR's keys sign the client JWTs (pre-signed before each run, one fresh ``jti``
per request: the service refuses replays). The patient carries 25 variant Observations (SNVs of the store) with
their implications and one report, all in prefetch.

Runs: (1) in process, the service time (as the API does it: parse + digest of the raw body + ``CdsHooks.invoke`` +
serialise) against the floor (parse + one batched key lookup ``ids_for_keys`` + ``load_aggregates`` +
``orjson.dumps`` of the same cards), 2,000 calls each in alternating blocks of 100 so that the machine's drift hits
both alike, and the same again with the store copied into PostgreSQL (``tests/bench/store_copy.py``; report only,
skipped with a printed reason when the server cannot be reached); (2) over HTTP, an open-loop load generator in a
second process (``tests/bench/cds_load.py``) offers 100 requests/s for VARSHARE_BENCH_CDS_SECONDS (default 25)
after a 3 s warm-up, latency measured from each request's scheduled send time; (3) closed loop, 8 concurrent
clients for 10 s, for the saturation throughput (the server's hook rate limit raised out of its way). Budgets
asserted: p50 <= 15 ms and p99 <= 50 ms at 100/s, no errors; the service-to-floor ratio is reported and asserted
<= 3 unless VARSHARE_BENCH_CDS_RATIO_REPORT_ONLY=1. Each load run also reports the CPU the gunicorn workers and the
load generator spent per answered call (Linux), and any errors by status: at 100 calls/s, 10 ms of worker CPU per
call keeps half of two cores busy, so latency far above the CPU per call is queueing or waiting. Results: a table
on stdout and bench-results/cds.json.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import types
from collections import Counter
from pathlib import Path

import orjson
import pytest
import requests

from app.audit.events import SEARCH, AuditEvent, entity, submitter
from app.cds.cards import patient_view_cards
from app.cds.evidence import read_patient_genomics
from app.cds.responses import cards_body
from app.sandbox.demo_keys import sign_demo_jwt
from app.services.audit import record_disclosure
from tests.bench.cds_calls import SERVICE, bench_app, hook_calls
from tests.bench.cds_patient import patient_view_body
from tests.bench.measurements import EngineUnavailable, percentile
from tests.bench.store_copy import copy_store
from tests.bench.synthetic_store import StoreShape, build_store

VARIANTS = int(os.environ.get("VARSHARE_BENCH_VARIANTS", "1000000"))
SECONDS = int(os.environ.get("VARSHARE_BENCH_CDS_SECONDS", "25"))
RATIO_REPORT_ONLY = os.environ.get("VARSHARE_BENCH_CDS_RATIO_REPORT_ONLY", "") == "1"
RATE = 100
ROOT = Path(__file__).resolve().parents[2]
RESULTS: dict = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The 1M-variant store, its settings (sandbox mode, a fixed port) and the benchmark patient's request."""
    folder = tmp_path_factory.mktemp("bench-cds")
    started = time.perf_counter()
    built = build_store(folder, StoreShape(variants=VARIANTS))
    RESULTS["store"] = {"variants": VARIANTS, "rows": built.rows, "build_s": round(time.perf_counter() - started, 1)}
    port = _free_port()
    app, settings = bench_app(folder, f"http://127.0.0.1:{port}")
    assert settings["database_url"] == built.database_url
    body = patient_view_body(built.keys, seed=20240603)
    yield types.SimpleNamespace(folder=folder, settings=settings, port=port, app=app, body=body,
                                raw=orjson.dumps(body), url=f"http://127.0.0.1:{port}/cds-services/{SERVICE}")
    app.extensions["varshare"].store.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def _timed(call, count: int, warmup: int, after=None) -> list[float]:
    """Times of ``call``; ``after`` (untimed) is what the API does once the answer has left (WAL checkpoint)."""
    for _ in range(warmup):
        call()
    gc.collect()
    times = []
    for _ in range(count):
        began = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - began) / 1e6)
        if after is not None:
            after()
    return times


def _interleaved(floor, service, after, rounds: int = 20, per_round: int = 100, warmup: int = 300
                 ) -> tuple[list[float], list[float], list[float]]:
    """Floor and service times measured in alternating blocks (``per_round`` calls each, ``rounds`` times), and
    each round's ratio of the p50s: this machine's speed drifts by tens of percent within minutes, so timing one
    after the other could compare a fast minute with a slow one."""
    floor_ms: list[float] = []
    service_ms: list[float] = []
    ratios: list[float] = []
    _timed(floor, 0, warmup)
    _timed(service, 0, warmup, after=after)
    for _ in range(rounds):
        floor_round = _timed(floor, per_round, 0)
        service_round = _timed(service, per_round, 0, after=after)
        floor_ms += floor_round
        service_ms += service_round
        ratios.append(percentile(service_round, 0.5) / percentile(floor_round, 0.5))
    return floor_ms, service_ms, ratios


def test_in_process_service_time_against_the_floor(world):
    calls = hook_calls(world.app, world.raw)
    floor_ms, service_ms, ratios = _interleaved(calls.floor, calls.service, calls.checkpoint)
    RESULTS["in_process"] = {"cards": calls.cards, **_compared(floor_ms, service_ms, ratios),
                             "parts_p50_ms": _parts(world, world.app.extensions["varshare"], calls.client)}


def _compared(floor_ms: list[float], service_ms: list[float], ratios: list[float]) -> dict:
    """Floor and service percentiles, the ratio of their p50s and the spread of the per-round ratios."""
    return {"floor_ms": {"p50": percentile(floor_ms, 0.5), "p99": percentile(floor_ms, 0.99)},
            "service_ms": {"p50": percentile(service_ms, 0.5), "p99": percentile(service_ms, 0.99)},
            "ratio_p50": round(percentile(service_ms, 0.5) / percentile(floor_ms, 0.5), 2),
            "ratio_per_round": {"min": round(min(ratios), 2), "p50": round(percentile(ratios, 0.5), 2),
                                "max": round(max(ratios), 2)}}


def test_in_process_on_postgresql(world, bench_target):
    """The in-process measurement again with the same store copied into PostgreSQL, the production engine. Report
    only (the issue's budgets are for the embedded default); skipped with a printed reason when the server cannot be
    reached, like the other benchmarks' PostgreSQL runs."""
    try:
        target = bench_target("postgresql")
    except EngineUnavailable as unavailable:
        print(f"PostgreSQL skipped: {unavailable}")
        pytest.skip(str(unavailable))
    copied = copy_store(world.settings["database_url"], world.settings["linkage_database_url"], target.database_url,
                        target.linkage_database_url)
    app, _ = bench_app(world.folder, f"http://127.0.0.1:{world.port}",
                       (target.database_url, target.linkage_database_url))
    try:
        calls = hook_calls(app, world.raw)
        floor_ms, service_ms, ratios = _interleaved(calls.floor, calls.service, calls.checkpoint)
    finally:
        app.extensions["varshare"].store.dispose()
    RESULTS["in_process_postgresql"] = {"copy_s": copied["seconds"], "cards": calls.cards,
                                        **_compared(floor_ms, service_ms, ratios)}


def _parts(world, services, client) -> dict[str, float]:
    """Where the service time goes: its main parts timed alone (medians, so they need not add up exactly)."""
    prefetch = world.body["prefetch"]
    observations = [e["resource"] for key in ("variants", "implications") for e in prefetch[key]["entry"]]
    reports = [e["resource"] for e in prefetch["reports"]["entry"]]
    genomics = read_patient_genomics("bench-patient", prefetch["patient"], observations, reports)
    views, contributors = services.cds._views(genomics, client)  # the hook's store reads (vault and store)
    event = AuditEvent.of(SEARCH, "E", submitter_id=client.submitter_id, client=client.name, entities=[
        entity("hook", SERVICE, digest="0" * 64), *(entity("variant", v.variant_id) for v in views if v.variant_id),
        *(submitter(s) for s in sorted(contributors))])
    parts = {"read EHR data (ingest mapper)": lambda: read_patient_genomics("bench-patient", prefetch["patient"],
                                                                          observations, reports),
             "store reads (vault, variants, aggregates, submissions)": lambda: services.cds._views(genomics, client),
             "cards and serialisation": lambda: cards_body(patient_view_cards(views, services.cds._cards)),
             "audit append": lambda: record_disclosure(services.store, event)}
    checkpoint = services.store.after_response
    return {name: percentile(_timed(call, 1000, 100, after=checkpoint), 0.5) for name, call in parts.items()}


@pytest.fixture(scope="module")
def server(world):
    """`varshare serve` (gunicorn, 2 workers) on the store, as a subprocess."""
    env = {**os.environ, **{f"VARSHARE_{k.upper()}": str(v) for k, v in world.settings.items()},
           # The closed loop measures the server's capacity, not the per-client rate limit (sandbox: 200 calls/s per
           # worker), which a fast machine reaches first; the paced run's 100/s is under either.
           "VARSHARE_RATE_LIMIT_HOOKS": "100000/second"}
    log = (world.folder / "serve.log").open("wb")
    varshare = Path(sys.executable).with_name("varshare")
    process = subprocess.Popen([str(varshare), "serve", "--host", "127.0.0.1", "--port", str(world.port),
                                "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=world.folder)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{world.port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, (world.folder / "serve.log").read_text()[-2000:]
            time.sleep(0.25)
        else:
            pytest.fail("varshare serve did not become healthy within 90 s")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _tokens(world, count: int) -> list[str]:
    audience = world.url
    return [sign_demo_jwt(audience) for _ in range(count)]


def _load(world, plan: dict) -> dict:
    path = world.folder / f"plan-{plan['mode']}-{time.monotonic_ns()}.json"
    result = path.with_suffix(".result.json")
    path.write_text(json.dumps({**plan, "url": world.url, "body": world.raw.decode(), "result": str(result)}))
    subprocess.run([sys.executable, "-m", "tests.bench.cds_load", str(path)], cwd=ROOT, check=True,
                   timeout=plan.get("duration_s", len(plan["tokens"]) / plan.get("rate", 1)) + 180)
    return json.loads(result.read_text())


def _summary(run: dict) -> dict:
    ok = [lat for lat, status in zip(run["latencies_ms"], run["statuses"], strict=False) if status == 200]
    errors = sum(1 for status in run["statuses"] if status != 200)
    by_status = Counter(str(status) for status in run["statuses"] if status != 200)  # -1: not sent or not read
    return {"requests": len(run["statuses"]), "errors": errors, "error_statuses": dict(sorted(by_status.items())),
            "elapsed_s": round(run["elapsed_s"], 2),
            "throughput_rps": round(len(ok) / run["elapsed_s"], 1), "p50_ms": percentile(ok, 0.5),
            "p90_ms": percentile(ok, 0.9), "p99_ms": percentile(ok, 0.99), "max_ms": max(ok)}


def test_http_answer_matches_the_in_process_answer(world, server):
    response = requests.post(world.url, data=world.raw, timeout=10, headers={
        "Authorization": f"Bearer {sign_demo_jwt(world.url)}", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert len(response.json()["cards"]) == RESULTS["in_process"]["cards"]


def _cpu_s(pids: list[int]) -> list[float]:
    """User + system CPU seconds each of these processes has used (Linux /proc; empty elsewhere)."""
    used = []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []
        used.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return used


def _workers(server) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
    except OSError:
        return []


def _measured(world, server, plan: dict) -> dict:
    """A load run's summary with the CPU the gunicorn workers and the load generator spent per answered call:
    compute per call against latency tells queueing (or waiting) apart from work."""
    workers = _workers(server)
    before, generator = _cpu_s(workers), resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = _summary(_load(world, plan))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    answered = max(1, summary["requests"] - summary["errors"])
    after_workers = _cpu_s(workers)
    if before and len(after_workers) == len(before):
        spent = [b - a for a, b in zip(before, after_workers, strict=True)]
        summary["worker_cpu_ms_per_call"] = round(sum(spent) * 1000 / answered, 2)
        # Keep-alive connections stay with the worker that accepted them, so the load can be uneven.
        summary["worker_cpu_share"] = [round(x / (sum(spent) or 1), 2) for x in spent]
    summary["loadgen_cpu_ms_per_call"] = round((after.ru_utime + after.ru_stime - generator.ru_utime
                                                - generator.ru_stime) * 1000 / answered, 2)
    return summary


def test_paced_100_per_second_and_saturation(world, server):
    _load(world, {"mode": "paced", "rate": RATE, "threads": 32, "tokens": _tokens(world, RATE * 3)})
    paced = _measured(world, server, {"mode": "paced", "rate": RATE, "threads": 32,
                                      "tokens": _tokens(world, RATE * SECONDS)})
    RESULTS["paced_100rps"] = paced
    saturation = _measured(world, server, {"mode": "closed", "concurrency": 8, "duration_s": 10,
                                           "tokens": _tokens(world, 9000)})
    RESULTS["closed_loop_8_clients"] = saturation
    _report()
    assert paced["errors"] == 0 and saturation["errors"] == 0
    assert paced["p50_ms"] <= 15.0, paced
    assert paced["p99_ms"] <= 50.0, paced
    ratio = RESULTS["in_process"]["ratio_p50"]
    if not RATIO_REPORT_ONLY:
        assert ratio <= 3.0, f"in-process service time is {ratio}x the floor (budget 3x)"


def _report() -> None:
    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "cds.json").write_text(json.dumps(RESULTS, indent=2))
    floor, service = RESULTS["in_process"]["floor_ms"], RESULTS["in_process"]["service_ms"]
    rounds = RESULTS["in_process"]["ratio_per_round"]
    print("\nCDS patient-view benchmark", json.dumps(RESULTS["store"]))
    print(f"  in process: floor p50 {floor['p50']:.2f} ms, service p50 {service['p50']:.2f} ms "
          f"(p99 {service['p99']:.2f}), ratio {RESULTS['in_process']['ratio_p50']}x (per round of 100 calls each: "
          f"{rounds['min']}-{rounds['max']}x, median {rounds['p50']}x), {RESULTS['in_process']['cards']} cards")
    for name, value in RESULTS["in_process"]["parts_p50_ms"].items():
        print(f"    {name}: p50 {value:.2f} ms")
    if "in_process_postgresql" in RESULTS:
        pg = RESULTS["in_process_postgresql"]
        print(f"  in process on PostgreSQL (the same store, copied in {pg['copy_s']} s): floor p50 "
              f"{pg['floor_ms']['p50']:.2f} ms, service p50 {pg['service_ms']['p50']:.2f} ms "
              f"(p99 {pg['service_ms']['p99']:.2f}), ratio {pg['ratio_p50']}x (per round: "
              f"{pg['ratio_per_round']['min']}-{pg['ratio_per_round']['max']}x), {pg['cards']} cards")
    for name in ("paced_100rps", "closed_loop_8_clients"):
        row = RESULTS[name]
        errors = f" {row['error_statuses']}" if row["errors"] else ""
        print(f"  {name}: {row['requests']} requests, {row['errors']} errors{errors}, {row['throughput_rps']} req/s, "
              f"p50 {row['p50_ms']:.1f} ms, p90 {row['p90_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms, "
              f"max {row['max_ms']:.1f} ms; CPU per call: workers {row.get('worker_cpu_ms_per_call', 'n/a')} ms "
              f"(shares {row.get('worker_cpu_share', 'n/a')}), load generator {row['loadgen_cpu_ms_per_call']} ms")
