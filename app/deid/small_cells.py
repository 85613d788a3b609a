"""Small-cell protection: case-level counts below k are shown as "<k", never as the number.

Used by every API and export that shows a count of cases (carriers of a variant, phenotype or zygosity counts).
Case facts themselves are never listed individually, so the only way case data leaves the store is as counts
passed through :func:`display_count`.
"""

from __future__ import annotations

from collections.abc import Mapping


def display_count(n: int, k: int) -> int | str:
    """``n`` when it is at least ``k``, else ``"<k"`` (zero included: the issue's rule is "any count below k")."""
    if n < 0:
        raise ValueError("a count cannot be negative")
    return n if n >= k else f"<{k}"


def display_counts(counts: Mapping[str, int], k: int) -> dict[str, int | str]:
    """Counts by category with small cells suppressed; when exactly one cell is suppressed beside a shown
    total, the smallest shown cell is suppressed too, so the hidden value cannot be derived by subtraction."""
    shown: dict[str, int | str] = {name: display_count(n, k) for name, n in counts.items()}
    hidden = [name for name, value in shown.items() if isinstance(value, str)]
    if len(hidden) == 1:
        others = sorted((n, name) for name, n in counts.items() if name not in hidden)
        if others:
            shown[others[0][1]] = "suppressed"
    return shown
