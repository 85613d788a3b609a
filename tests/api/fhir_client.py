"""Test helpers for the FHIR ingest API: loading fixtures, posting them, and reading what got stored."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import requests
from sqlalchemy import func, select

from app.store.tables import case_facts, reports, submissions, variants

DATA = Path(__file__).resolve().parent.parent / "data"
FHIR = "application/fhir+json"


def fixture(name: str) -> dict:
    """A fixture by path under tests/data (e.g. 'synthetic/grch38-spdi.json')."""
    return orjson.loads((DATA / name).read_bytes())


def post(live, path: str, body, token: str | None, content_type: str = FHIR) -> requests.Response:
    """POST ``body`` (dict or raw bytes) over real HTTP."""
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(live.url + path, data=data, headers=headers, timeout=30)


def parameters(receipt: dict) -> dict:
    """Flatten a receipt Parameters resource: single values by name, repeated parts as lists of dicts."""
    flat: dict = {"variant": [], "merged": []}
    for param in receipt["parameter"]:
        name = param["name"]
        if "part" in param:
            flat[name].append({p["name"]: _value(p) for p in param["part"]})
        elif "resource" in param:
            flat[name] = param["resource"]
        else:
            flat[name] = _value(param)
    return flat


def _value(param: dict):
    return next(v for k, v in param.items() if k.startswith("value"))


def counts(store) -> dict[str, int]:
    """Row counts that tell whether anything was stored (current rows only where history exists)."""
    with store.reading() as conn:
        def count(query) -> int:
            return conn.execute(query).scalar()

        return {
            "variants": count(select(func.count()).select_from(variants)),
            "submissions": count(select(func.count()).select_from(submissions)),
            "current_submissions": count(select(func.count()).select_from(submissions)
                                         .where(submissions.c.superseded_version.is_(None))),
            "case_facts": count(select(func.count()).select_from(case_facts)),
            "current_case_facts": count(select(func.count()).select_from(case_facts)
                                        .where(case_facts.c.superseded_version.is_(None))),
            "reports": count(select(func.count()).select_from(reports)),
        }


def current_terms(store) -> list[tuple[str, str, str]]:
    """(variant key, condition key, term) of every current submission, sorted."""
    with store.reading() as conn:
        rows = conn.execute(select(variants.c.key, submissions.c.condition_key, submissions.c.term)
                            .join(variants, variants.c.id == submissions.c.variant_id)
                            .where(submissions.c.superseded_version.is_(None)))
        return sorted(tuple(r) for r in rows)


def with_changes(resource: dict, **changes) -> dict:
    """A deep copy of ``resource`` with top-level keys replaced."""
    copied = copy.deepcopy(resource)
    copied.update(changes)
    return copied
