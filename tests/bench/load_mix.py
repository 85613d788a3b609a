"""Mixed load generator for the load test, run as its own process: ``python -m tests.bench.load_mix PLAN.json``.

Threads, all stopping by themselves at ``duration_s`` (bounded loops, loopback only):

* one per lab (``labs``): submits its own synthetic lab reports (``tests/bench/lab_reports.py``, own seed, report
  identifier and MRN carrying the lab's number) to ``POST /fhir/Bundle``, paced so two sends of one lab are at
  least ``period_s`` apart (never a catch-up burst, so a paced lab stays under its ingest limit whatever the
  server's latency); every ``replay_every``-th send re-sends the previous report unchanged (must answer 200,
  replayed, and store nothing new);
* ``greedy.threads`` for the one over-limit lab: small reports back to back (``greedy.period_s`` apart per thread);
* ``hook_threads`` CDS clients: ``patient-view`` with prefetch back to back, each call with a freshly signed demo
  JWT (own ``jti``; signing happens before the timer starts).

Every request is recorded (who, kind, status, latency from send, Retry-After, and for ingest answers the receipt's
report id, replayed flag and counts). Writes a JSON result to ``plan["result"]``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import orjson
import requests

from app.sandbox.demo_keys import sign_demo_jwt
from tests.bench.lab_reports import LabReportGenerator

TIMEOUT_S = 60.0  # longer than any answer should take: a client timeout would hide a stored submission


def _receipt_fields(payload: dict) -> dict:
    values: dict = {}
    for param in payload.get("parameter", []):
        name = param.get("name")
        if name in ("report", "replayed", "findings", "cases", "classificationsCreated"):
            values[name] = next(v for k, v in param.items() if k.startswith("value"))
    return values


def _bundle(generator: LabReportGenerator, lab_no: int, variants: int, implications: int) -> bytes:
    bundle = generator.report(variants, implications).bundle
    number = int(bundle["id"].rsplit("-", 1)[1])
    bundle["id"] = f"load-{lab_no:02d}-{number}"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "DiagnosticReport":
            resource["identifier"][0]["value"] = f"RPT-LOAD-{lab_no:02d}-{number:06d}"
        elif resource["resourceType"] == "Patient":
            resource["identifier"][0]["value"] = f"MRN-LOAD-{lab_no:02d}-{number:06d}"
    return orjson.dumps(bundle)


class Recorder:
    def __init__(self, started: float) -> None:
        self.started = started
        self.rows: list[dict] = []
        self.lock = threading.Lock()

    def add(self, row: dict) -> None:
        with self.lock:
            self.rows.append(row)


def _post(session: requests.Session, url: str, body: bytes, headers: dict) -> tuple[int, float, dict, str | None]:
    began = time.perf_counter()
    try:
        response = session.post(url, data=body, headers=headers, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        return -1, (time.perf_counter() - began) * 1e3, {"error": type(exc).__name__}, None
    elapsed = (time.perf_counter() - began) * 1e3
    extra: dict = {}
    if response.status_code in (200, 201) and "/fhir/" in url:
        extra = _receipt_fields(response.json())
    elif response.status_code >= 500:
        extra = {"body": response.text[:500]}
    return response.status_code, elapsed, extra, response.headers.get("Retry-After")


def _lab(plan: dict, lab: dict, lab_no: int, deadline: float, recorder: Recorder, thread_no: int = 0) -> None:
    session = requests.Session()
    generator = LabReportGenerator(seed=lab["seed"] + thread_no * 7919)
    headers = {"Authorization": f"Bearer {lab['token']}", "Content-Type": "application/fhir+json"}
    url = plan["base_url"] + "/fhir/Bundle"
    previous: bytes | None = None
    last_send = 0.0
    sent = 0
    while True:
        pause = last_send + lab["period_s"] - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        if time.perf_counter() >= deadline:
            return
        sent += 1
        replay = previous is not None and lab.get("replay_every") and sent % lab["replay_every"] == 0
        body = previous if replay else _bundle(generator, lab_no * 100 + thread_no, lab["variants"],
                                               lab["implications"])
        last_send = time.perf_counter()
        status, ms, extra, retry_after = _post(session, url, body, headers)
        recorder.add({"tenant": lab["name"], "kind": "ingest", "status": status, "ms": round(ms, 3),
                      "t": round(last_send - recorder.started, 3), "retry_after": retry_after, "resend": bool(replay),
                      **extra})
        previous = body


def _hooks(plan: dict, deadline: float, recorder: Recorder) -> None:
    session = requests.Session()
    body = plan["hook_body"].encode()
    while time.perf_counter() < deadline:
        token = sign_demo_jwt(plan["hook_url"])
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sent = time.perf_counter()
        status, ms, extra, retry_after = _post(session, plan["hook_url"], body, headers)
        recorder.add({"tenant": plan["hook_tenant"], "kind": "hook", "status": status, "ms": round(ms, 3),
                      "t": round(sent - recorder.started, 3), "retry_after": retry_after, **extra})


def main(path: str) -> None:
    plan = json.loads(Path(path).read_text())
    started = time.perf_counter()
    deadline = started + plan["duration_s"]
    recorder = Recorder(started)
    threads = [threading.Thread(target=_lab, args=(plan, lab, i + 1, deadline, recorder), daemon=True)
               for i, lab in enumerate(plan["labs"])]
    greedy = plan["greedy"]
    threads += [threading.Thread(target=_lab, args=(plan, greedy, 99, deadline, recorder, t), daemon=True)
                for t in range(greedy["threads"])]
    threads += [threading.Thread(target=_hooks, args=(plan, deadline, recorder), daemon=True)
                for _ in range(plan["hook_threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline + TIMEOUT_S + 10 - time.perf_counter()))
    hung = sum(1 for thread in threads if thread.is_alive())
    elapsed = time.perf_counter() - started
    with recorder.lock:
        rows = list(recorder.rows)
    Path(plan["result"]).write_text(json.dumps({"elapsed_s": elapsed, "hung_threads": hung, "requests": rows}))


if __name__ == "__main__":
    main(sys.argv[1])
