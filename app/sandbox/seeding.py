"""Seeding the sandbox's synthetic world into a running app, through the same public paths a lab uses.

Every report is POSTed in-process to ``/fhir/Bundle`` with its institution's demo token (so it is validated,
de-identified, stored and aggregated exactly like a real submission); curator flags go through the Curation
service as the Demo Curator; releases through the Releases service. Seeding is idempotent: re-sent reports
are replays (200, nothing changes), flags already set and releases that exist are skipped. The demo tenants
must exist first (``seed_demo_tenants``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson
from flask import Flask

from app.api.context import services
from app.sandbox.demo_tenants import DEMO_TENANTS
from app.sandbox.world import Flag, Release, Submission, World, build_world
from app.sandbox.world_scenarios import CURATOR
from app.services.curation import CurationError

_TOKENS = {demo.name: demo.token for demo in DEMO_TENANTS}


class SeedingError(RuntimeError):
    """A step of the world could not be replayed; the message names the step and the service's answer."""


@dataclass
class SeedSummary:
    """What one seeding run did."""

    reports_stored: int = 0
    reports_replayed: int = 0
    flags_set: int = 0
    flags_skipped: int = 0
    releases_created: list[str] = field(default_factory=list)
    releases_skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.reports_stored or self.flags_set or self.releases_created)

    def line(self, world: World) -> str:
        """A one-line summary for the console."""
        labs = sum(1 for _, role in world.institutions if role == "lab")
        return (f"synthetic world: {len(world.institutions)} institutions ({labs} labs), {len(world.variants)} "
                f"variants in {len({v.gene for v in world.variants})} genes, {len(world.patients)} patients; "
                f"{self.reports_stored} reports stored, {self.reports_replayed} already present, "
                f"{self.flags_set} flags set, releases created: {', '.join(self.releases_created) or 'none'} "
                f"({self.seconds:.1f} s)")


def _submit(client, step: Submission, summary: SeedSummary) -> None:
    response = client.post(step.endpoint, data=orjson.dumps(step.bundle),
                           headers={"Authorization": f"Bearer {_TOKENS[step.tenant]}",
                                    "Content-Type": "application/fhir+json"})
    if response.status_code == 201:
        summary.reports_stored += 1
    elif response.status_code == 200:
        summary.reports_replayed += 1
    else:
        raise SeedingError(f"{step.label}: HTTP {response.status_code}: {response.get_data(as_text=True)[:2000]}")


def _flag(step: Flag, summary: SeedSummary) -> None:
    current = services()
    found = current.variants.search(step.variant.key).items
    if not found:
        raise SeedingError(f"flag: variant {step.variant.handle} ({step.variant.key}) is not in the store")
    detail = current.variants.detail(found[0]["id"]) or {}
    targets = [s for s in detail.get("submissions", []) if s["submitter"] == step.submitter]
    if not targets:
        raise SeedingError(f"flag: {step.submitter} has no current submission on {step.variant.handle}")
    curator = current.tenants.caller_named(CURATOR)
    for submission in targets:
        if submission["flagged"]:
            summary.flags_skipped += 1
            continue
        try:
            current.curation.set_flag(curator, submission["id"], flagged=True, reason=step.reason)
        except CurationError as exc:
            raise SeedingError(f"flag on {step.variant.handle}: {exc.message}") from exc
        summary.flags_set += 1


def _release(step: Release, summary: SeedSummary) -> None:
    releases = services().releases
    if releases.get(step.name) is not None:
        summary.releases_skipped.append(step.name)
        return
    releases.create(step.name)
    summary.releases_created.append(step.name)


def seed_world(app: Flask, world: World | None = None) -> SeedSummary:
    """Replay every step of the world into ``app`` (idempotent); raises SeedingError when a step is refused."""
    world = world or build_world()
    summary = SeedSummary()
    started = time.perf_counter()
    client = app.test_client()
    with app.app_context():
        for step in world.steps:
            if isinstance(step, Submission):
                _submit(client, step, summary)
            elif isinstance(step, Flag):
                _flag(step, summary)
            else:
                _release(step, summary)
    summary.seconds = time.perf_counter() - started
    return summary
