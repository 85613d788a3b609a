"""Benchmark fixtures: fresh, migrated databases per engine and the folder results are written to.

SQLite is a new file pair in a temporary folder. PostgreSQL gets two new databases (store and linkage vault) on
the server at VARSHARE_TEST_DATABASE_URL (default: the CI server, postgresql+psycopg://postgres@127.0.0.1:5432/test),
dropped again at the end of the session; when that server cannot be reached the PostgreSQL run is skipped with a
printed reason, not failed (tests/conftest.py still exits early when the variable is set but unreachable).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.store.database import Store
from tests.bench.measurements import BenchTarget, EngineUnavailable

BENCH_PG_URL = (os.environ.get("VARSHARE_TEST_DATABASE_URL", "").strip()
                or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench-results"


def _admin(sql: str) -> None:
    engine = create_engine(BENCH_PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    try:
        _admin("SELECT 1")
    except Exception as exc:  # any driver error means "not available here"
        return f"{make_url(BENCH_PG_URL).render_as_string()} unreachable ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def results_dir() -> Path:
    """bench-results/ at the project root (gitignored)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR


@pytest.fixture(scope="session")
def bench_target(tmp_path_factory) -> Iterator[Callable[[str], BenchTarget]]:
    """Factory: fresh, migrated databases on ``sqlite`` or ``postgresql``; raises EngineUnavailable."""
    created: list[str] = []
    problem: list[str | None] = []

    def make(engine: str) -> BenchTarget:
        if engine == "sqlite":
            folder = tmp_path_factory.mktemp("bench-sqlite")
            target = BenchTarget("sqlite", f"sqlite:///{folder / 'store.db'}", f"sqlite:///{folder / 'vault.db'}",
                                 folder)
        else:
            if not problem:
                problem.append(_postgres_problem())
            if problem[0]:
                raise EngineUnavailable(problem[0])
            suffix = uuid.uuid4().hex[:10]
            names = (f"varshare_bench_{suffix}", f"varshare_bench_vault_{suffix}")
            urls = []
            for name in names:
                _admin(f'CREATE DATABASE "{name}"')
                created.append(name)
                urls.append(make_url(BENCH_PG_URL).set(database=name).render_as_string(hide_password=False))
            target = BenchTarget("postgresql", urls[0], urls[1], tmp_path_factory.mktemp("bench-pg"))
        store = Store(target.database_url, target.linkage_database_url)
        store.upgrade()
        store.dispose()
        return target

    yield make
    for name in created:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
