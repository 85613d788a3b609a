"""The CDS hook's service-to-floor ratio in executed instructions (``make bench-instructions``).

Wall-clock timings on a shared two-core machine drift by tens of percent within minutes, so small changes to the
hook cannot be told apart from noise. Valgrind's callgrind counts the instructions a process executes (user space:
Python, SQLite, OpenSSL; not the kernel), which is the same from run to run for the same code and data. This tool
builds the synthetic store (20,000 variants by default, VARSHARE_BENCH_INSTR_VARIANTS), then runs three copies of it
under callgrind, each the same set-up and warm-up (50 floor and service calls, then one WAL checkpoint) followed by
nothing, by N floor calls or by N service calls (VARSHARE_BENCH_INSTR_CALLS, default 300); the per-call counts are
the differences from the first run divided by N. The calls are those of the latency benchmark
(``tests/bench/cds_calls.py``).

The count leaves out what instructions do not show (cache misses, system calls), so the wall-clock ratio of
``make bench`` is higher; use this one to compare two versions of the code. Results: stdout and
bench-results/cds-instructions.json. Runs take a few minutes (the runs under callgrind are ~50x slower).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = int(os.environ.get("VARSHARE_BENCH_INSTR_VARIANTS", "20000"))
CALLS = int(os.environ.get("VARSHARE_BENCH_INSTR_CALLS", "300"))
WARMUP = 50
RUNS = (("baseline", 0), ("floor", CALLS), ("service", CALLS))
_SUMMARY = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


def _child(mode: str, count: int, folder: Path) -> None:
    """One measured process: the app on ``folder``, the warm-up, then ``count`` calls of ``mode``."""
    from app.store.engines import checkpoint_wal
    from tests.bench.cds_calls import bench_app, hook_calls

    app, _ = bench_app(folder, "http://127.0.0.1:9")
    calls = hook_calls(app, (folder / "request.json").read_bytes())
    for _ in range(WARMUP):
        calls.floor()
        calls.service()
    # The API checkpoints the WAL on a timer, which would checkpoint a different number of times in each run under
    # callgrind; here once, at the same point of every run (SQLite's own checkpoint starts at 4,000 pages, beyond
    # what the calls below write).
    store = app.extensions["varshare"].store
    for engine in (store.engine, store.vault_engine):
        checkpoint_wal(engine)
    call = {"baseline": None, "floor": calls.floor, "service": calls.service}[mode]
    for _ in range(count):
        call()
    app.extensions["varshare"].store.dispose()


def _instructions(path: Path) -> int:
    found = _SUMMARY.search(path.read_bytes())
    if found is None:
        raise SystemExit(f"no instruction total in {path}")
    return int(found.group(1))


def main() -> int:
    from tests.bench.cds_patient import patient_view_body
    from tests.bench.synthetic_store import StoreShape, build_store

    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-instr-") as scratch:
        source = Path(scratch) / "store"
        source.mkdir()
        built = build_store(source, StoreShape(variants=VARIANTS))
        (source / "request.json").write_bytes(orjson.dumps(patient_view_body(built.keys, seed=20240603)))
        started = time.perf_counter()
        processes = {}
        for mode, count in RUNS:
            folder = Path(scratch) / mode
            shutil.copytree(source, folder)
            out = Path(scratch) / f"{mode}.callgrind"
            log = (Path(scratch) / f"{mode}.log").open("wb")
            processes[mode] = (subprocess.Popen(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                 "tests.bench.cds_instructions", "--child", mode, str(count), str(folder)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONHASHSEED": "0"}), out, log)
        failed = []
        for mode, (process, _, log) in processes.items():
            if process.wait() != 0:
                failed.append(mode)
            log.close()
        for mode in failed:
            print((Path(scratch) / f"{mode}.log").read_text()[-3000:], file=sys.stderr)
        if failed:
            return 1
        totals = {mode: _instructions(out) for mode, (_, out, _) in processes.items()}
    floor = (totals["floor"] - totals["baseline"]) / CALLS
    service = (totals["service"] - totals["baseline"]) / CALLS
    result = {"variants": VARIANTS, "calls": CALLS, "floor_instructions_per_call": round(floor),
              "service_instructions_per_call": round(service), "ratio": round(service / floor, 2),
              "seconds": round(time.perf_counter() - started, 1)}
    results = ROOT / "bench-results"
    results.mkdir(exist_ok=True)
    (results / "cds-instructions.json").write_text(json.dumps(result, indent=2))
    print(f"CDS patient-view in instructions ({VARIANTS} variants, {CALLS} calls each): floor {floor / 1e6:.2f} M, "
          f"service {service / 1e6:.2f} M per call, ratio {result['ratio']}x (callgrind, {result['seconds']} s)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    else:
        sys.exit(main())
