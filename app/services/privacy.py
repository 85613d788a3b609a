"""The published privacy policy: what the shared store keeps, k, and the date, age and linkage rules."""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.deid.policy import build_policy, describe_policy


def privacy_policy(settings: Settings) -> dict[str, Any]:
    """The de-identification policy in force, as a JSON-ready document."""
    return describe_policy(build_policy(settings.privacy_k))
