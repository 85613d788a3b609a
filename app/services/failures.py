"""Failures of the infrastructure under a use case, in terms the API can answer (503, retry later)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, OperationalError


class StoreUnavailable(RuntimeError):
    """The database could not be reached or was locked; nothing was written."""


@contextmanager
def store_failures_as_unavailable() -> Iterator[None]:
    """Turn connection-level database errors into StoreUnavailable (the unit of work has rolled back)."""
    try:
        yield
    except OperationalError as exc:
        raise StoreUnavailable("the store is temporarily unavailable") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable("the store connection was lost") from exc
        raise
