"""Load test (`make bench`): 10 labs submitting and 50 concurrent CDS hook calls for 60 s on 2 gunicorn workers.

Set-up, per engine (VARSHARE_BENCH_LOAD_ENGINES, default "sqlite,postgresql"): on SQLite a synthetic store of
VARSHARE_BENCH_LOAD_VARIANTS (default 50,000) variants (``tests/bench/synthetic_store.py``); on PostgreSQL fresh
databases from ``tests/bench/conftest.py`` (skipped with a printed reason when the server is unreachable) seeded
with 40 lab reports of a "Seed Lab" (the synthetic store builder is SQLite only). Then the sandbox's demo
tenants, 10 lab tenants ("Load Lab 01".."10") and one over-limit lab ("Greedy Lab") registered through
``Tenants.add``; ``varshare serve --workers 2`` (gthread) as a subprocess on a free loopback port in sandbox mode
(the demo EHR's keys sign the hook JWTs). Rate limits (global settings, per submitter / per CDS client, counted
per worker with ``memory://``): ingest ``INGEST_LIMIT``, hooks ``HOOK_LIMIT``. Each normal lab sends at most one
report per ``LAB_PERIOD_S`` (under the ingest limit even if all of its requests hit the same worker); the greedy
lab sends small reports back to back from ``GREEDY_THREADS`` threads, over the limit even counted on both
workers.

Load: ``tests/bench/load_mix.py`` in a second process for VARSHARE_BENCH_LOAD_SECONDS (default 60).

Afterwards, with the server stopped, asserted: no 5xx and no transport errors; 429 (with Retry-After) only for the
greedy lab, which did get some; every hook call 200; per lab, the 201 receipts' report ids are distinct and equal
the lab's rows in ``reports`` (nothing lost, nothing duplicated), every 200 is a replay of one of them, and the
lab's ``cases``, ``case_facts`` and current ``submissions`` rows equal the sums of its receipts' counts;
``verify_chain`` intact; no traceback in the server log. Results: a table on stdout and bench-results/load.json
(one entry per engine).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import orjson
import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from app.sandbox.demo_tenants import seed_demo_tenants
from app.services.audit import verify_chain
from app.store import tables
from app.store.database import Store
from tests.bench.cds_patient import patient_view_body
from tests.bench.lab_reports import LabReportGenerator
from tests.bench.measurements import EngineUnavailable, percentile
from tests.bench.synthetic_store import StoreShape, build_store

SECONDS = int(os.environ.get("VARSHARE_BENCH_LOAD_SECONDS", "60"))
VARIANTS = int(os.environ.get("VARSHARE_BENCH_LOAD_VARIANTS", "50000"))
LABS = 10
HOOK_THREADS = 50
LAB_PERIOD_S = 1.0  # one report per lab per second at most
LAB_VARIANTS, LAB_IMPLICATIONS = 20, 5
REPLAY_EVERY = 10  # every 10th send of a lab re-sends its previous report unchanged
GREEDY_THREADS, GREEDY_PERIOD_S = 6, 0.02
GREEDY = "Greedy Lab"
INGEST_LIMIT = "15/10 seconds"  # per submitter and worker: a paced lab sends <= 11 per window
HOOK_LIMIT = "5000/second"  # the one demo EHR client stays far under it
SERVICE = "genomic-variant-review"
HOOK_TENANT = "Demo EHR Hospital"
ENGINES = ("sqlite", "postgresql")
SELECTED = {e.strip() for e in os.environ.get("VARSHARE_BENCH_LOAD_ENGINES", ",".join(ENGINES)).split(",")}
PG_SEED_REPORTS = 40  # x 100 variants: the PostgreSQL store starts empty (the synthetic store is SQLite only)
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sqlite_store(tmp_path_factory) -> tuple[types.SimpleNamespace, Path, list[str]]:
    folder = tmp_path_factory.mktemp("bench-load-sqlite")
    built = build_store(folder, StoreShape(variants=VARIANTS))
    return types.SimpleNamespace(database_url=built.database_url,
                                 linkage_database_url=built.linkage_database_url), folder, built.keys


def _postgres_store(bench_target) -> tuple[types.SimpleNamespace, Path, None]:
    target = bench_target("postgresql")  # fresh, migrated databases (tests/bench/conftest.py), or skipped
    return target, target.scratch, None


def _seed_variants(settings: dict, count: int) -> list[str]:
    """An empty store gets PG_SEED_REPORTS lab reports of a "Seed Lab" first, so the hook patient's variants exist."""
    app = create_app({**settings, "rate_limit_enabled": False})
    services = app.extensions["varshare"]
    _, token = services.tenants.add("Seed Lab", "lab")
    generator = LabReportGenerator(seed=4242)
    client = app.test_client()
    for _ in range(count):
        response = client.post("/fhir/Bundle", data=orjson.dumps(generator.report(100, 25).bundle),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"})
        assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    with services.store.reading() as conn:
        keys = list(conn.execute(select(tables.variants.c.key)).scalars())
    services.store.dispose()
    return keys


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    engine = request.param
    if engine not in SELECTED:
        pytest.skip(f"{engine} not in VARSHARE_BENCH_LOAD_ENGINES")
    began = time.perf_counter()
    try:
        target, folder, keys = (_sqlite_store(tmp_path_factory) if engine == "sqlite"
                                else _postgres_store(request.getfixturevalue("bench_target")))
    except EngineUnavailable as unavailable:
        print(f"PostgreSQL skipped: {unavailable}")
        pytest.skip(str(unavailable))
    port = _free_port()
    settings = {"mode": "sandbox", "data_dir": str(folder), "database_url": target.database_url,
                "linkage_database_url": target.linkage_database_url, "public_base_url": f"http://127.0.0.1:{port}",
                "log_level": "WARNING", "rate_limit_ingest": INGEST_LIMIT, "rate_limit_hooks": HOOK_LIMIT}
    if keys is None:
        keys = _seed_variants(settings, PG_SEED_REPORTS)
    app = create_app(settings)
    services = app.extensions["varshare"]
    seed_demo_tenants(services.tenants)
    labs = {}
    for i in range(LABS):
        row, token = services.tenants.add(f"Load Lab {i + 1:02d}", "lab")
        labs[row.name] = types.SimpleNamespace(id=row.id, token=token)
    row, token = services.tenants.add(GREEDY, "lab")
    labs[GREEDY] = types.SimpleNamespace(id=row.id, token=token)
    services.store.dispose()
    body = patient_view_body(keys, seed=20240603)
    yield types.SimpleNamespace(engine=engine, folder=folder, settings=settings, port=port, labs=labs, body=body,
                                variants=len(keys), base=f"http://127.0.0.1:{port}",
                                setup_s=time.perf_counter() - began)
    if engine == "sqlite":
        shutil.rmtree(folder, ignore_errors=True)


def _serve(world) -> subprocess.Popen:
    env = {**os.environ, **{f"VARSHARE_{k.upper()}": str(v) for k, v in world.settings.items()}}
    log = (world.folder / "serve.log").open("wb")
    varshare = Path(sys.executable).with_name("varshare")
    process = subprocess.Popen([str(varshare), "serve", "--host", "127.0.0.1", "--port", str(world.port),
                                "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=world.folder)
    log.close()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{world.base}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        if process.poll() is not None:
            pytest.fail((world.folder / "serve.log").read_text()[-2000:])
        time.sleep(0.25)
    process.kill()
    pytest.fail("varshare serve did not become healthy within 90 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _plan(world, result: Path) -> dict:
    labs = [{"name": name, "token": lab.token, "seed": 1000 + i, "period_s": LAB_PERIOD_S, "variants": LAB_VARIANTS,
             "implications": LAB_IMPLICATIONS, "replay_every": REPLAY_EVERY}
            for i, (name, lab) in enumerate(world.labs.items()) if name != GREEDY]
    greedy = {"name": GREEDY, "token": world.labs[GREEDY].token, "seed": 9000, "period_s": GREEDY_PERIOD_S,
              "variants": 2, "implications": 1, "replay_every": 0, "threads": GREEDY_THREADS}
    return {"base_url": world.base, "hook_url": f"{world.base}/cds-services/{SERVICE}",
            "hook_body": orjson.dumps(world.body).decode(), "hook_tenant": HOOK_TENANT, "labs": labs,
            "greedy": greedy, "hook_threads": HOOK_THREADS, "duration_s": SECONDS, "result": str(result)}


def _counts(world) -> dict[str, dict[str, int]]:
    store = Store(world.settings["database_url"], world.settings["linkage_database_url"])
    out: dict[str, dict[str, int]] = {}
    try:
        with store.reading() as conn:
            for name, lab in world.labs.items():
                ids = list(conn.execute(select(tables.reports.c.id).where(tables.reports.c.submitter_id == lab.id))
                           .scalars())
                cases = conn.execute(select(func.count()).select_from(tables.cases)
                                     .where(tables.cases.c.submitter_id == lab.id)).scalar_one()
                facts = conn.execute(select(func.count()).select_from(tables.case_facts.join(tables.cases))
                                     .where(tables.cases.c.submitter_id == lab.id)).scalar_one()
                subs = conn.execute(select(func.count()).select_from(tables.submissions)
                                    .where(tables.submissions.c.submitter_id == lab.id)).scalar_one()
                out[name] = {"report_ids": ids, "cases": cases, "case_facts": facts, "submissions": subs}
        chain = verify_chain(store)
        out["_chain"] = {"events": chain.events, "intact": chain.intact, "broken_at": chain.broken_at,
                         "reason": chain.reason}
    finally:
        store.dispose()
    return out


def _latency(rows: list[dict]) -> dict:
    ms = [r["ms"] for r in rows]
    if not ms:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"p50_ms": round(percentile(ms, 0.5), 1), "p99_ms": round(percentile(ms, 0.99), 1),
            "max_ms": round(max(ms), 1)}


@pytest.fixture(scope="module")
def run(world) -> dict:
    process = _serve(world)
    result_path = world.folder / "load.result.json"
    plan_path = world.folder / "load.plan.json"
    plan_path.write_text(json.dumps(_plan(world, result_path)))
    try:
        subprocess.run([sys.executable, "-m", "tests.bench.load_mix", str(plan_path)], cwd=ROOT, check=True,
                       timeout=SECONDS + 180)
    finally:
        _stop(process)
    loaded = json.loads(result_path.read_text())
    counts = _counts(world)
    log = (world.folder / "serve.log").read_text(errors="replace")
    rows = loaded["requests"]
    by_tenant: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        by_tenant[r["tenant"]][str(r["status"])] += 1
    ingests_ok = [r for r in rows if r["kind"] == "ingest" and r["status"] in (200, 201)]
    hooks_ok = [r for r in rows if r["kind"] == "hook" and r["status"] == 200]
    elapsed = loaded["elapsed_s"]
    result = {
        "benchmark": "load",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()} {os.cpu_count()} CPUs",
        "engine": world.engine,
        "setup": {"variants": world.variants, "labs": LABS, "hook_threads": HOOK_THREADS, "workers": 2,
                  "duration_s": SECONDS, "lab_period_s": LAB_PERIOD_S,
                  "lab_report": {"variants": LAB_VARIANTS, "implications": LAB_IMPLICATIONS},
                  "replay_every": REPLAY_EVERY, "greedy_threads": GREEDY_THREADS,
                  "limits": {"ingest": INGEST_LIMIT, "hooks": HOOK_LIMIT, "storage": "memory:// (per worker)"},
                  "setup_s": round(world.setup_s, 1)},
        "elapsed_s": round(elapsed, 2),
        "hung_threads": loaded["hung_threads"],
        "statuses": {tenant: dict(counter) for tenant, counter in sorted(by_tenant.items())},
        "ingest": {"accepted_per_s": round(sum(1 for r in ingests_ok if r["status"] == 201) / elapsed, 1),
                   "answered_per_s": round(len(ingests_ok) / elapsed, 1),
                   "normal_labs": _latency([r for r in ingests_ok if r["tenant"] != GREEDY]),
                   "greedy": _latency([r for r in ingests_ok if r["tenant"] == GREEDY])},
        "hooks": {"per_s": round(len(hooks_ok) / elapsed, 1), **_latency(hooks_ok)},
        "audit_chain": counts["_chain"],
        "server_log_tracebacks": log.count("Traceback"),
    }
    result["checks"] = _checks(rows, counts, world)
    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    path = results_dir / "load.json"
    try:
        previous = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        previous = {}
    if previous.get("benchmark") == "load":  # the single-engine shape of an older run
        previous = {}
    previous[world.engine] = result
    path.write_text(json.dumps(previous, indent=2))
    if result["server_log_tracebacks"]:
        (results_dir / f"load-serve-{world.engine}.log").write_text(log[-200_000:])
    _print(result)
    return {"result": result, "rows": rows, "counts": counts, "log": log}


def _checks(rows: list[dict], counts: dict, world) -> dict[str, dict]:
    """Per lab: receipts against the store rows."""
    out = {}
    for name in world.labs:
        mine = [r for r in rows if r["tenant"] == name and r["kind"] == "ingest"]
        created = [r for r in mine if r["status"] == 201]
        replays = [r for r in mine if r["status"] == 200]
        created_ids = [r.get("report") for r in created]
        stored = counts[name]["report_ids"]
        out[name] = {
            "created": len(created), "replays": len(replays), "stored_reports": len(stored),
            "duplicate_receipt_ids": len(created_ids) - len(set(created_ids)),
            "lost": sorted(set(created_ids) - set(stored)), "unexplained_rows": sorted(set(stored) - set(created_ids)),
            "bad_replays": sum(1 for r in replays if not r.get("replayed") or r.get("report") not in set(created_ids)),
            "cases": [counts[name]["cases"], sum(r.get("cases", 0) for r in created)],
            "case_facts": [counts[name]["case_facts"], sum(r.get("findings", 0) for r in created)],
            "submissions": [counts[name]["submissions"], sum(r.get("classificationsCreated", 0) for r in created)],
        }
    return out


def _print(result: dict) -> None:
    setup = result["setup"]
    print(f"\n\nload test: {setup['labs']} labs (1 report/{setup['lab_period_s']} s each, {setup['lab_report']}) + "
          f"1 greedy lab ({setup['greedy_threads']} threads) + {setup['hook_threads']} hook clients, "
          f"{result['elapsed_s']} s on 2 workers, {result['engine']}, {setup['variants']} variants; "
          f"limits {setup['limits']}")
    statuses = sorted({s for counter in result["statuses"].values() for s in counter})
    print(f"{'tenant':<22}" + "".join(f"{s:>8}" for s in statuses))
    for tenant, counter in result["statuses"].items():
        print(f"{tenant:<22}" + "".join(f"{counter.get(s, 0):>8}" for s in statuses))
    ing, hooks = result["ingest"], result["hooks"]
    print(f"ingest: {ing['accepted_per_s']} accepted/s ({ing['answered_per_s']} answered 200/201/s); normal labs "
          f"p50 {ing['normal_labs']['p50_ms']} ms, p99 {ing['normal_labs']['p99_ms']} ms, max "
          f"{ing['normal_labs']['max_ms']} ms; greedy p50 {ing['greedy']['p50_ms']} ms")
    print(f"hooks: {hooks['per_s']}/s, p50 {hooks['p50_ms']} ms, p99 {hooks['p99_ms']} ms, max {hooks['max_ms']} ms")
    print(f"{'lab':<22}{'201':>6}{'200':>6}{'rows':>6}{'dup':>5}{'lost':>5}{'extra':>6}  cases  facts  subs")
    for name, c in result["checks"].items():
        print(f"{name:<22}{c['created']:>6}{c['replays']:>6}{c['stored_reports']:>6}{c['duplicate_receipt_ids']:>5}"
              f"{len(c['lost']):>5}{len(c['unexplained_rows']):>6}  {c['cases'][0]}/{c['cases'][1]}"
              f"  {c['case_facts'][0]}/{c['case_facts'][1]}  {c['submissions'][0]}/{c['submissions'][1]}")
    chain = result["audit_chain"]
    print(f"audit chain: {chain['events']} events, {'intact' if chain['intact'] else 'BROKEN: ' + str(chain)}; "
          f"server log tracebacks: {result['server_log_tracebacks']}; hung client threads: {result['hung_threads']}")
    print()


def test_no_5xx_and_no_transport_errors(run):
    bad = [r for r in run["rows"] if r["status"] >= 500 or r["status"] < 0]
    assert not bad, f"{len(bad)} failed requests, first: {bad[:5]}"
    assert run["result"]["hung_threads"] == 0
    assert run["result"]["server_log_tracebacks"] == 0, run["log"][-3000:]


def test_every_hook_call_answers_200(run):
    hooks = [r for r in run["rows"] if r["kind"] == "hook"]
    assert hooks and all(r["status"] == 200 for r in hooks), collections.Counter(r["status"] for r in hooks)


def test_429_only_for_the_tenant_over_its_limit(run):
    limited = [r for r in run["rows"] if r["status"] == 429]
    assert {r["tenant"] for r in limited} == {GREEDY}, collections.Counter(r["tenant"] for r in limited)
    assert all(r["retry_after"] and int(r["retry_after"]) >= 1 for r in limited)
    normal = [r for r in run["rows"] if r["tenant"] != GREEDY]
    assert all(r["status"] in (200, 201) for r in normal), collections.Counter(r["status"] for r in normal)


def test_no_lost_or_duplicated_submissions(run):
    for name, c in run["result"]["checks"].items():
        assert c["created"] > 0, name
        assert c["duplicate_receipt_ids"] == 0 and not c["lost"] and not c["unexplained_rows"], (name, c)
        assert c["stored_reports"] == c["created"], (name, c)
        assert c["bad_replays"] == 0, (name, c)
        assert c["cases"][0] == c["cases"][1], (name, c)
        assert c["case_facts"][0] == c["case_facts"][1], (name, c)
        assert c["submissions"][0] == c["submissions"][1], (name, c)
    assert sum(c["replays"] for n, c in run["result"]["checks"].items() if n != GREEDY) > 0


def test_the_audit_chain_verifies(run):
    chain = run["result"]["audit_chain"]
    assert chain["intact"], chain
