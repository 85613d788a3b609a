"""Typed reads of FHIR element values (strings, numbers, ranges, dates) from parsed JSON, never raising."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def text_of(value: Any) -> str | None:
    """A non-blank string, stripped; anything else is None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def number_of(value: Any) -> float | int | None:
    """A JSON number (not a bool); anything else is None."""
    if value.__class__ is int:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def integer_of(value: Any) -> int | None:
    """A JSON number with an integral value, as int."""
    if value.__class__ is int:
        return value
    number = number_of(value)
    if number is None or number != int(number):
        return None
    return int(number)


def quantity_value(quantity: Any) -> float | int | None:
    """``Quantity.value``."""
    return number_of(quantity.get("value")) if isinstance(quantity, dict) else None


def range_bounds(value_range: Any) -> tuple[int | None, int | None]:
    """``(low.value, high.value)`` of a Range, as integers when integral."""
    if not isinstance(value_range, dict):
        return None, None
    low, high = value_range.get("low"), value_range.get("high")
    return (
        integer_of(low.get("value")) if isinstance(low, dict) else None,
        integer_of(high.get("value")) if isinstance(high, dict) else None,
    )


def date_of(value: Any) -> dt.date | None:
    """The calendar date of a FHIR date, dateTime or instant; partial dates take the first day of the period.

    The local date as written is kept (no time-zone shift): evaluation dates are calendar facts. Not memoised:
    dates (birth dates among them) are identifying, so none is kept beyond the call.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        # The usual YYYY-MM-DD[...] shape, parsed in C; anything it refuses is read by the pattern below.
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    match = _DATE.match(text)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        return dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None


def effective_date(resource: dict) -> dt.date | None:
    """``effectiveDateTime``, else ``effectivePeriod.start``, else ``effectiveInstant``, as a date."""
    found = date_of(resource.get("effectiveDateTime"))
    if found is None:
        period = resource.get("effectivePeriod")
        if isinstance(period, dict):
            found = date_of(period.get("start"))
    if found is None:
        found = date_of(resource.get("effectiveInstant"))
    return found


def identifiers_of(resource: dict) -> list[tuple[str, str]]:
    """``identifier`` as ``(system, value)`` pairs; identifiers without a value are skipped."""
    raw = resource.get("identifier")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    out = []
    for ident in raw:
        if isinstance(ident, dict):
            value = text_of(ident.get("value"))
            if value is not None:
                out.append((text_of(ident.get("system")) or "", value))
    return out


def list_of(value: Any) -> list:
    """A JSON array as a list; anything else is empty."""
    return value if isinstance(value, list) else []
