"""Ages and dates about patients under Safe Harbor: whole years, a top code of "90+", and year-only dates."""

from __future__ import annotations

import datetime as dt

from app.deid.policy import AGE_TOP_CODE


def age_in_years(born: dt.date, on: dt.date) -> int | None:
    """Completed years between ``born`` and ``on``; None when ``on`` is before ``born``."""
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years if years >= 0 else None


def age_category(years: int | None, top_code: int = AGE_TOP_CODE) -> str | None:
    """The storable age: whole years as text below ``top_code``, else ``"<top_code>+"``."""
    if years is None or years < 0:
        return None
    return f"{top_code}+" if years >= top_code else str(years)


def is_top_coded(age: str | None) -> bool:
    """Whether a stored age is the top category, whose years (report year included) must not be kept."""
    return bool(age) and age.endswith("+")


def year_precision(value: dt.date | None) -> dt.date | None:
    """A date reduced to its year (stored as 1 January, with the precision recorded beside it)."""
    return None if value is None else dt.date(value.year, 1, 1)
