"""Load generator for the CDS benchmark, run as its own process: ``python -m tests.bench.cds_load PLAN.json``.

Open loop (``mode: "paced"``): request i is due at start + i / rate whatever happened before, and its latency is
measured from that due time, so a slow server shows up as latency instead of fewer requests (no coordinated
omission); a pool of worker threads with keep-alive connections sends them. Closed loop (``mode: "closed"``):
``concurrency`` clients send back to back for ``duration_s``, for the saturation throughput. Each request uses its
own pre-signed JWT (the service refuses a replayed jti). Writes a JSON result next to the plan.

The client is the standard library's ``http.client`` (one keep-alive connection per thread), not ``requests``: the
generator shares the machine's two cores with the server and its latency is part of every measurement, and
``requests`` spent ~2.8 ms of CPU per call (as much as the whole HTTP stack of the server for a small answer).
"""

from __future__ import annotations

import http.client
import json
import queue
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit


class _Client:
    """One keep-alive HTTP/1.1 connection; reconnects once when the server closed an idle connection."""

    def __init__(self, url: str, body: bytes) -> None:
        parts = urlsplit(url)
        self._host, self._port, self._path = parts.hostname, parts.port, parts.path
        self._body = body
        self._connection: http.client.HTTPConnection | None = None

    def post(self, token: str) -> int:
        """The status of one POST of the body with this bearer token; -1 when it could not be sent or read."""
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=10)
            try:
                self._connection.request("POST", self._path, body=self._body, headers=headers)
                response = self._connection.getresponse()
                response.read()
                if response.will_close:
                    self._close()
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._close()  # an idle keep-alive connection the server closed: the request was not read
                if attempt == 2:
                    return -1
            except (OSError, http.client.HTTPException):
                self._close()
                return -1
        return -1

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _paced(plan: dict, tokens: list[str]) -> dict:
    rate, count = plan["rate"], len(tokens)
    due: queue.Queue = queue.Queue()
    latencies: list[float | None] = [None] * count
    statuses: list[int] = [0] * count
    start = time.perf_counter() + 0.5

    def worker() -> None:
        client = _Client(plan["url"], plan["body"].encode())
        while True:
            i = due.get()
            if i is None:
                return
            scheduled = start + i / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            statuses[i] = client.post(tokens[i])
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
        connection = _Client(plan["url"], plan["body"].encode())
        while time.perf_counter() < deadline:
            with lock:
                i = next(next_token, None)
            if i is None:
                return
            began = time.perf_counter()
            status = connection.post(tokens[i])
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
