"""Prometheus metrics: ``GET /metrics`` (admin role) in the Prometheus text format.

Counted per process: requests and their latency per endpoint (the Flask rule, never the raw path, which may
carry ids), method and status; submissions by outcome; CDS cards by service, indicator and kind. Read from the
store at scrape time: store version, variants, current submissions, variant-level conflicts, audit chain length.
gunicorn runs several workers, each with its own counters: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty,
writable directory before starting and the counters of every worker are summed (prometheus_client's
multiprocess mode); without it a scrape sees the one worker that answered it.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from app.api.auth import requires
from app.cds.cards import card_labels
from app.services.operations import store_gauges

bp = Blueprint("metrics", __name__)
_KEY = "varshare.metrics"
_GAUGES = {
    "store_version": "The current store version (monotonic, one per committed write)",
    "variants": "Variants in the shared store",
    "current_submissions": "Current (not superseded) submissions",
    "aggregate_conflicts": "Variants whose variant-level aggregate is a conflict between submitters",
    "audit_events": "Length of the hash-chained audit log",
}


class _StoreGauges:
    """A collector reading the store when scraped (no stale gauges, nothing to keep in step)."""

    def __init__(self, store) -> None:
        self._store = store

    def collect(self):
        for name, value in store_gauges(self._store).items():
            family = GaugeMetricFamily(f"varshare_{name}", _GAUGES[name])
            family.add_metric([], value)
            yield family


class AppMetrics:
    """The metrics of one app (its own registry, so several apps in one process never collide)."""

    def __init__(self, store) -> None:
        self.store = store
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter("varshare_http_requests", "HTTP requests by endpoint, method and status",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("varshare_http_request_duration_seconds", "HTTP request latency by endpoint",
                                 ["endpoint", "method"], registry=self.registry)
        self.ingest = Counter("varshare_ingest_submissions", "Submitted reports by outcome (accepted, replayed, "
                              "rejected)", ["outcome"], registry=self.registry)
        self.cards = Counter("varshare_cds_cards", "CDS cards returned by service, indicator and card kind",
                             ["service", "indicator", "kind"], registry=self.registry)
        self.registry.register(_StoreGauges(store))

    def exposition(self) -> bytes:
        """The text format of every metric (all workers' counters in multiprocess mode)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry(auto_describe=False)
            multiprocess.MultiProcessCollector(registry)
            registry.register(_StoreGauges(self.store))
            return generate_latest(registry)
        return generate_latest(self.registry)


def _metrics() -> AppMetrics:
    return current_app.extensions[_KEY]


def observe_cards(service_id: str, cards: list[dict]) -> None:
    """Count the cards one hook call returned, by indicator and kind."""
    counter = _metrics().cards
    for built in cards:
        indicator, kind = card_labels(built)
        counter.labels(service_id, indicator, kind).inc()


def observe_ingest(outcome: str, count: int = 1) -> None:
    """Count submissions: ``accepted``, ``replayed`` or ``rejected``."""
    if count:
        _metrics().ingest.labels(outcome).inc(count)


def install_metrics(app: Flask) -> None:
    """Create the app's metrics and count every request."""
    app.extensions[_KEY] = AppMetrics(app.extensions["varshare"].store)

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        metrics = app.extensions[_KEY]
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            metrics.latency.labels(endpoint, request.method).observe(time.perf_counter() - started)
        return response


@bp.get("/metrics")
@requires("admin")
def metrics() -> Response:
    """Prometheus text format (admin role: scrape with the admin tenant's bearer token)."""
    return Response(_metrics().exposition(), content_type=CONTENT_TYPE_LATEST)
