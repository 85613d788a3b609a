"""Server-rendered pages of every mode: the store overview at ``/`` and the variant pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from app.api.context import services
from app.services.overview import store_overview

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def overview():
    """Headline numbers of the shared store and where to go next."""
    current = services()
    return render_template("overview.html", overview=store_overview(current.store), releases=current.releases.list(),
                           mode=current.settings.mode, base_url=current.settings.public_base_url.rstrip("/"))


@bp.get("/variants/<variant_id>")
def variant_page(variant_id: str):
    """A variant as a geneticist reads it: aggregate and stars, conflicts, submitters, conditions, timeline."""
    current = services()
    detail = current.variants.detail(variant_id, k=current.settings.privacy_k)
    if detail is None:
        abort(404)
    if detail.get("merged_into"):
        return render_template("merged.html", detail=detail, mode=current.settings.mode), 200
    history = current.variants.history(variant_id, limit=200).items
    timeline = [event for event in reversed(history) if "condition_key" not in event]
    return render_template("variant.html", v=detail, timeline=timeline, mode=current.settings.mode)
