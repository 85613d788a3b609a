"""Markdown for card ``detail``: escaping of text that came from labs or EHRs, and small tables.

Some CDS clients (the CDS Hooks Sandbox among them) render ``detail`` with raw HTML allowed, so ``<``, ``>``
and ``&`` become entities and Markdown punctuation is backslash-escaped: no lab-supplied text can become a
tag, a link or table structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

_ESCAPED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "|": "\\|", "*": "\\*", "_": "\\_", "`": "\\`",
            "[": "\\[", "]": "\\]", "#": "\\#", "~": "\\~", "\n": " ", "\r": " "}
_TABLE = str.maketrans(_ESCAPED)


@lru_cache(maxsize=8192)  # cells repeat (submitter names, terms, review statuses); translate is per character
def escape(text: str) -> str:
    """Text safe to place anywhere in GitHub Flavored Markdown, on one line."""
    return text.translate(_TABLE)


def plain(text: str) -> str:
    """Plain text (summaries, labels) that no HTML renderer can turn into a tag: ``<`` becomes U+2039."""
    return " ".join(text.replace("<", "\u2039").split())


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, limit: int = 10) -> str:
    """A GFM table of already-escaped cells, at most ``limit`` rows plus a line saying how many were left out."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n…and {len(rows) - limit} more.")
    return "\n".join(lines)


_STARS = tuple("★" * count + "☆" * (4 - count) for count in range(5))


def stars(count: int) -> str:
    """Review stars as text (0-4)."""
    return _STARS[max(0, min(4, count))]
