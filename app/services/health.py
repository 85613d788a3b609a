"""Readiness: can the service reach both databases, and are their schemas current?"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.store.database import Store


def check_readiness(store: Store) -> tuple[bool, dict[str, Any]]:
    """(ready, details) without leaking connection strings or driver messages."""
    try:
        store.ping()
        states = store.schema_states()
    except SQLAlchemyError:
        return False, {"database": "unreachable"}
    details = {s.database: {"current": s.current, "head": s.head, "ok": s.is_current} for s in states}
    return all(s.is_current for s in states), {"database": "reachable", "schema": details}


def unmigrated_databases(store: Store) -> list[str]:
    """Names of the databases whose schema is behind the code (empty when all are current)."""
    return [s.database for s in store.schema_states() if not s.is_current]
