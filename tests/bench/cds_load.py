"""Load generator for the CDS benchmark, run as its own process: ``python -m tests.bench.cds_load PLAN.json``.

Open loop (``mode: "paced"``): request i is due at start + i / rate whatever happened before, and its latency is
measured from that due time, so a slow server shows up as latency instead of fewer requests (no coordinated
omission); a pool of worker threads with keep-alive sessions sends them. Closed loop (``mode: "closed"``):
``concurrency`` clients send back to back for ``duration_s``, for the saturation throughput. Each request uses its
own pre-signed JWT (the service refuses a replayed jti). Writes a JSON result next to the plan.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from pathlib import Path

import requests


def _paced(plan: dict, tokens: list[str]) -> dict:
    rate, count = plan["rate"], len(tokens)
    due: queue.Queue = queue.Queue()
    latencies: list[float | None] = [None] * count
    statuses: list[int] = [0] * count
    sessions = threading.local()
    start = time.perf_counter() + 0.5

    def worker() -> None:
        sessions.s = requests.Session()
        while True:
            i = due.get()
            if i is None:
                return
            scheduled = start + i / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            try:
                response = sessions.s.post(plan["url"], data=plan["body"].encode(), timeout=10,
                                           headers={"Authorization": f"Bearer {tokens[i]}",
                                                    "Content-Type": "application/json"})
                statuses[i] = response.status_code
            except requests.RequestException:
                statuses[i] = -1
            latencies[i] = time.perf_counter() - scheduled

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(plan["threads"])]
    for thread in threads:
        thread.start()
    for i in range(count):
        due.put(i)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join(timeout=plan.get("timeout_s", 120))
    elapsed = time.perf_counter() - start
    return {"latencies_ms": [round(x * 1000, 3) for x in latencies if x is not None], "statuses": statuses,
            "elapsed_s": elapsed}


def _closed(plan: dict, tokens: list[str]) -> dict:
    lock = threading.Lock()
    next_token = iter(range(len(tokens)))
    latencies: list[float] = []
    statuses: list[int] = []
    deadline = time.perf_counter() + plan["duration_s"]

    def client() -> None:
        session = requests.Session()
        while time.perf_counter() < deadline:
            with lock:
                i = next(next_token, None)
            if i is None:
                return
            began = time.perf_counter()
            try:
                status = session.post(plan["url"], data=plan["body"].encode(), timeout=10,
                                      headers={"Authorization": f"Bearer {tokens[i]}",
                                               "Content-Type": "application/json"}).status_code
            except requests.RequestException:
                status = -1
            with lock:
                latencies.append(time.perf_counter() - began)
                statuses.append(status)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(plan["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=plan["duration_s"] + 30)
    return {"latencies_ms": [round(x * 1000, 3) for x in latencies], "statuses": statuses,
            "elapsed_s": time.perf_counter() - began}


def main(path: str) -> None:
    plan = json.loads(Path(path).read_text())
    tokens = plan["tokens"]
    result = _paced(plan, tokens) if plan["mode"] == "paced" else _closed(plan, tokens)
    Path(plan["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
