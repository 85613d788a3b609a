"""Demo institutions of the sandbox, with fixed and clearly marked demo tokens.

These tokens are public (they are printed and documented); they only work while the service runs in
sandbox or test mode, and only ``varshare sandbox`` creates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.tenants import Tenants


@dataclass(frozen=True)
class DemoTenant:
    """A sandbox institution and its public demo token."""

    name: str
    role: str
    token: str


DEMO_TENANTS = (
    DemoTenant("Demo Lab Alpha", "lab", "vs_demo_lab_alpha_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Lab Beta", "lab", "vs_demo_lab_beta_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Lab Gamma", "lab", "vs_demo_lab_gamma_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Lab Delta", "lab", "vs_demo_lab_delta_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Expert Panel", "expert-panel", "vs_demo_expert_panel_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Guideline Body", "practice-guideline", "vs_demo_guideline_body_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo EHR Hospital", "ehr", "vs_demo_ehr_hospital_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo EHR Clinic", "ehr", "vs_demo_ehr_clinic_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Curator", "curator", "vs_demo_curator_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Reader", "reader", "vs_demo_reader_PUBLIC_DEMO_TOKEN"),
    DemoTenant("Demo Admin", "admin", "vs_demo_admin_PUBLIC_DEMO_TOKEN"),
)


def seed_demo_tenants(tenants: Tenants) -> list[DemoTenant]:
    """Register every demo institution that is not registered yet; returns the full demo list."""
    existing = {row.name for row, _count in tenants.list()}
    for demo in DEMO_TENANTS:
        if demo.name not in existing:
            tenants.add(demo.name, demo.role, demo_token=demo.token)
    return list(DEMO_TENANTS)
