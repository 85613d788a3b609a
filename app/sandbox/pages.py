"""Server-rendered pages: the store overview at ``/``."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.api.context import services
from app.services.overview import store_overview

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def overview():
    """Headline numbers of the shared store and where to go next."""
    current = services()
    return render_template("overview.html", overview=store_overview(current.store),
                           mode=current.settings.mode, base_url=current.settings.public_base_url)
