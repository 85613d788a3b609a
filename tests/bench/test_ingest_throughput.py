"""Ingest benchmark (`make bench`): variant Observations per second on SQLite and PostgreSQL, and the ratio of
ingest time to fhir.resources validation alone of the same bundles, measured in the same run.

Budgets (the issue): at least 1,500 variant Observations/s per worker on SQLite, and ingest no more than 1.5x the
validation-only time. Both are asserted on SQLite; PostgreSQL is measured and reported, never asserted against
the budgets. Workload: 40 synthetic lab reports x 100 Variants + 25 Diagnostic Implications (tenant A, POST
/fhir/Bundle) and the official CYP2C19 transaction Bundle, 74 Variants (tenant B, POST /fhir). One untimed
warm-up report per engine. Results: a table on stdout and bench-results/ingest.json; when the SQLite budget is
missed, a cProfile of another ingest pass goes to bench-results/ingest-profile.txt.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import orjson
import pytest

from app.ingest.mapper import map_submission
from tests.bench.lab_reports import LabReportGenerator
from tests.bench.measurements import (
    EngineUnavailable,
    IngestPass,
    Submission,
    median_pass,
    percentile,
    profile_ingest,
    run_ingest,
    time_phases,
    time_validation,
)

BUNDLES = int(os.environ.get("VARSHARE_BENCH_BUNDLES", "40"))
VARIANTS_PER_BUNDLE = 100
IMPLICATIONS_PER_BUNDLE = 25
VALIDATION_REPEATS = 3
MIN_VARIANTS_PER_SECOND = 1500.0
MAX_INGEST_TO_VALIDATION = 1.5
CYP2C19 = Path(__file__).resolve().parents[1] / "data" / "genomics-reporting" / "Bundle-bundle-CYP2C19.json"
ENGINES = ("sqlite", "postgresql")


def _lab_report(generator: LabReportGenerator, label: str) -> Submission:
    report = generator.report(VARIANTS_PER_BUNDLE, IMPLICATIONS_PER_BUNDLE)
    return Submission(label, "Bench Lab A", "/fhir/Bundle", orjson.dumps(report.bundle), report.variants,
                      report.implications)


@pytest.fixture(scope="module")
def workload() -> tuple[list[Submission], list[Submission]]:
    """(warm-up, timed) submissions; every one maps with zero error issues, or the benchmark stops here."""
    generator = LabReportGenerator(seed=20240503)
    warmup = [_lab_report(generator, "warm-up")]
    timed = [_lab_report(generator, f"lab-report-{i + 1:02d}") for i in range(BUNDLES)]
    timed.append(Submission("CYP2C19 (official)", "Bench Lab B", "/fhir", CYP2C19.read_bytes(), 74, 0))
    for submission in warmup + timed:
        mapped = map_submission(orjson.loads(submission.body))
        errors = [(i.location, i.message) for i in mapped.issues if i.severity in ("error", "fatal")]
        assert not errors, f"{submission.label} does not map cleanly: {errors[:5]}"
        findings = sum(len(case.findings) for case in mapped.cases)
        assert (findings, len(mapped.classifications)) == (submission.variants, submission.implications)
    return warmup, timed


def _engine_report(run: IngestPass, variants: int, validation_seconds: float, timed: list[Submission]) -> dict:
    lab = [t for s, t in zip(timed, run.latencies, strict=True) if s.tenant == "Bench Lab A"]
    return {
        "seconds": run.seconds,
        "variants_per_second": variants / run.seconds,
        "ratio_to_validation": run.seconds / validation_seconds,
        "lab_report_latency_ms": {"p50": percentile(lab, 0.5) * 1e3, "p95": percentile(lab, 0.95) * 1e3,
                                  "max": max(lab) * 1e3},
        "cyp2c19_latency_ms": run.latencies[-1] * 1e3,
        "rows": run.rows,
        "failures": run.failures,
    }


def _expected_rows(warmup: list[Submission], timed: list[Submission]) -> dict[str, int]:
    everything = warmup + timed
    variants = sum(s.variants for s in everything)
    return {"reports": len(everything), "submissions": sum(s.implications for s in everything),
            "cases": len(everything), "case_facts": variants, "variants": variants}


def _print_table(result: dict) -> None:
    load = result["workload"]
    validation = result["validation_only"]
    print(f"\n\ningest benchmark: {load['submissions']} bundles, {load['variant_observations']} variant "
          f"Observations, {load['implications']} implications, {load['bytes'] / 1e6:.1f} MB "
          f"(one worker, one thread; Python {result['python']})")
    print(f"{'':<22}{'seconds':>9}{'variants/s':>12}{'x valid.':>10}{'p50 ms':>9}{'p95 ms':>9}{'CYP2C19 ms':>12}")
    print(f"{'validation only':<22}{validation['seconds']:>9.3f}{validation['variants_per_second']:>12.0f}"
          f"{1.0:>10.2f}{validation['lab_report_latency_ms']['p50']:>9.1f}"
          f"{validation['lab_report_latency_ms']['p95']:>9.1f}{validation['cyp2c19_latency_ms']:>12.1f}")
    for engine, row in result["engines"].items():
        if "skipped" in row:
            print(f"{'ingest ' + engine:<22}skipped: {row['skipped']}")
            continue
        lat = row["lab_report_latency_ms"]
        print(f"{'ingest ' + engine:<22}{row['seconds']:>9.3f}{row['variants_per_second']:>12.0f}"
              f"{row['ratio_to_validation']:>10.2f}{lat['p50']:>9.1f}{lat['p95']:>9.1f}"
              f"{row['cyp2c19_latency_ms']:>12.1f}")
    print("(both include orjson.loads of the request body; validation only = R4B model_validate of every entry "
          f"resource, median of {VALIDATION_REPEATS} passes; latencies over the synthetic lab reports)")
    for budget in result["budgets"]:
        print(f"{budget['verdict']}: {budget['engine']} {budget['name']}: {budget['measured']:.2f} "
              f"(budget {budget['comparison']} {budget['limit']}){'' if budget['asserted'] else ' [reported only]'}")
    print()


def _print_diagnosis(result: dict, profile: str) -> None:
    phases = result["sqlite_phase_seconds"]
    whole = phases["whole pass"]
    print("SQLite budget missed. Where the time goes (another SQLite pass with phase timers; gc pauses overlap "
          "the phases):")
    for phase, seconds in sorted(phases.items(), key=lambda item: -item[1]):
        print(f"  {phase:<58}{seconds:>8.3f} s{100 * seconds / whole:>6.0f} %")
    print(f"cProfile of a third SQLite pass (own time first, then cumulative): {result['profile']}")
    lines = profile.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    print("\n".join(lines[start:start + 21]))
    print()


def _budgets(engines: dict) -> list[dict]:
    out = []
    for engine, row in engines.items():
        if "skipped" in row:
            continue
        measured = ((row["variants_per_second"], ">=", MIN_VARIANTS_PER_SECOND, "variant Observations/s"),
                    (row["ratio_to_validation"], "<=", MAX_INGEST_TO_VALIDATION, "ingest/validation-only time"))
        for value, comparison, limit, name in measured:
            ok = value >= limit if comparison == ">=" else value <= limit
            out.append({"engine": engine, "name": name, "measured": value, "comparison": comparison,
                        "limit": limit, "verdict": "PASS" if ok else "FAIL", "asserted": engine == "sqlite"})
    return out


@pytest.fixture(scope="module")
def results(workload, bench_target, results_dir) -> dict:
    """Runs the whole benchmark once: validation only, then ingest per engine; prints and writes the results."""
    warmup, timed = workload
    variants = sum(s.variants for s in timed)
    passes = time_validation(timed, VALIDATION_REPEATS)
    chosen = median_pass(passes)
    lab = [t for s, t in zip(timed, chosen, strict=True) if s.tenant == "Bench Lab A"]
    validation = {"seconds": sum(chosen), "variants_per_second": variants / sum(chosen),
                  "pass_seconds": [sum(p) for p in passes],
                  "lab_report_latency_ms": {"p50": percentile(lab, 0.5) * 1e3, "p95": percentile(lab, 0.95) * 1e3,
                                            "max": max(lab) * 1e3},
                  "cyp2c19_latency_ms": chosen[-1] * 1e3}
    engines: dict[str, dict] = {}
    for engine in ENGINES:
        try:
            target = bench_target(engine)
        except EngineUnavailable as unavailable:
            engines[engine] = {"skipped": str(unavailable)}
            continue
        run = run_ingest(target, warmup, timed)
        engines[engine] = {**_engine_report(run, variants, validation["seconds"], timed),
                           "expected_rows": _expected_rows(warmup, timed)}
    result = {
        "benchmark": "ingest",
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()} {os.cpu_count()} CPUs",
        "workload": {"submissions": len(timed), "variant_observations": variants,
                     "implications": sum(s.implications for s in timed), "bytes": sum(len(s.body) for s in timed),
                     "synthetic_reports": BUNDLES, "variants_per_report": VARIANTS_PER_BUNDLE,
                     "implications_per_report": IMPLICATIONS_PER_BUNDLE, "official": "Bundle-bundle-CYP2C19.json"},
        "validation_only": validation,
        "engines": engines,
    }
    result["budgets"] = _budgets(engines)
    sqlite_missed = any(b["verdict"] == "FAIL" for b in result["budgets"] if b["asserted"])
    if sqlite_missed:
        result["sqlite_phase_seconds"] = time_phases(bench_target("sqlite"), warmup, timed)
        profile = profile_ingest(bench_target("sqlite"), warmup, timed)
        (results_dir / "ingest-profile.txt").write_text(profile)
        result["profile"] = str(results_dir / "ingest-profile.txt")
    (results_dir / "ingest.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    _print_table(result)
    if sqlite_missed:
        _print_diagnosis(result, profile)
    return result


def _budget(results: dict, engine: str, name: str) -> dict:
    return next(b for b in results["budgets"] if b["engine"] == engine and b["name"] == name)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_submission_is_stored_whole(results, engine):
    row = results["engines"][engine]
    if "skipped" in row:
        pytest.skip(row["skipped"])
    assert row["failures"] == []
    assert row["rows"] == row["expected_rows"]


def test_sqlite_ingests_at_least_1500_variant_observations_per_second(results):
    budget = _budget(results, "sqlite", "variant Observations/s")
    assert budget["verdict"] == "PASS", f"{budget['measured']:.0f} variant Observations/s on SQLite"


def test_sqlite_ingest_costs_at_most_1_5x_validation_alone(results):
    budget = _budget(results, "sqlite", "ingest/validation-only time")
    assert budget["verdict"] == "PASS", f"ingest takes {budget['measured']:.2f}x validation-only time on SQLite"


def test_postgresql_is_reported(results):
    row = results["engines"]["postgresql"]
    if "skipped" in row:
        print(f"PostgreSQL skipped: {row['skipped']}")
        pytest.skip(row["skipped"])
    assert row["variants_per_second"] > 0  # the budgets are reported above, not asserted, on PostgreSQL
