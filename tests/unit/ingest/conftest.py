"""Fixture loading and a compact summary of MappedReport for the ingest tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest

from app.domain.reports import MappedReport

DATA = Path(__file__).resolve().parents[2] / "data"
OFFICIAL = DATA / "genomics-reporting"
SYNTHETIC = DATA / "synthetic"


def load(path: Path) -> dict:
    return orjson.loads(path.read_bytes())


def findings(report: MappedReport) -> list[tuple]:
    """(key, kind, zygosity, origin, stated_term) of every finding of every case."""
    return [
        (f.variant.key, f.variant.kind.value, f.zygosity, f.origin, f.stated_term)
        for case in report.cases
        for f in case.findings
    ]


def classifications(report: MappedReport) -> list[tuple]:
    return [(c.variant.key, c.term, c.condition.key) for c in report.classifications]


def issues(report: MappedReport, *, with_information: bool = False) -> list[tuple]:
    return [
        (i.severity, i.code, i.location)
        for i in report.issues
        if with_information or i.severity != "information"
    ]


@pytest.fixture(scope="session")
def summary():
    """Helpers that reduce a MappedReport to comparable tuples."""
    return SimpleNamespace(findings=findings, classifications=classifications, issues=issues)


@pytest.fixture(scope="session")
def official():
    return lambda name: load(OFFICIAL / name)


@pytest.fixture(scope="session")
def synthetic():
    return lambda name: load(SYNTHETIC / f"{name}.json")
