"""varshare: a shared genomic variant store with CDS Hooks services.

``create_app`` is the only place that wires concrete adapters (store, services, blueprints).
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.config import ConfigError, Settings, load_settings


class StartupError(RuntimeError):
    """The service cannot start as configured; the message says what to do."""


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """Build the Flask app from defaults, VARSHARE_* environment variables and ``config`` overrides."""
    from app.api import audit, cds, fhir, health, metrics, openapi, privacy, reports, tenants, variants
    from app.api.cds_cors import install_cds_cors
    from app.api.context import Services, install_request_context
    from app.api.errors import install_error_handlers
    from app.api.rate_limits import install_rate_limits
    from app.ingest.validation import warm_up
    from app.logs import configure_logging
    from app.sandbox import keys, pages
    from app.sandbox.trusted_clients import sandbox_trusted_issuers
    from app.services.aggregation import RulesError, rules_from_settings
    from app.services.audit_access import AuditAccess
    from app.services.cds import CdsHooks
    from app.services.cds_clients import CdsClients
    from app.services.cds_feedback import CdsFeedback
    from app.services.curation import Curation
    from app.services.health import unmigrated_databases
    from app.services.ingest import Ingest
    from app.services.reclassifications import Reclassifications
    from app.services.releases import Releases
    from app.services.tenants import Tenants
    from app.services.variants import VariantQueries
    from app.store.database import Store

    settings = config if isinstance(config, Settings) else load_settings(config)
    try:
        rules_from_settings(settings)
    except RulesError as exc:
        raise StartupError(str(exc)) from exc
    configure_logging(settings.log_level)
    store = Store(settings.database_url, settings.linkage_database_url, pool_size=settings.db_pool_size,
                  pool_timeout_s=settings.db_pool_timeout_s, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    if settings.check_schema_on_start:
        behind = unmigrated_databases(store)
        if behind:
            store.dispose()
            raise StartupError(
                f"the {' and '.join(behind)} database schema is not current: run `varshare db upgrade` "
                "(with the same VARSHARE_* settings) before starting the service"
            )

    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False)
    tenant_service = Tenants(store, settings)
    app.extensions["varshare"] = Services(
        settings=settings, store=store, tenants=tenant_service, ingest=Ingest(store, tenant_service, settings),
        variants=VariantQueries(store, settings.public_base_url),
        curation=Curation(store, rules_from_settings(settings)),
        reclassifications=Reclassifications(store, settings.public_base_url),
        releases=Releases(store, settings.release_dir),
        cds_clients=CdsClients(store, settings, trusted=sandbox_trusted_issuers(settings)),
        cds=CdsHooks(store, tenant_service, settings), cds_feedback=CdsFeedback(store, settings),
        audit_access=AuditAccess(store, settings.public_base_url, settings.audit_search_window),
    )
    warm_up()  # build the FHIR model validators once, not on the first lab's request
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    install_request_context(app)
    install_rate_limits(app, settings)
    metrics.install_metrics(app)
    install_error_handlers(app)
    install_cds_cors(app)
    for blueprint in (health.bp, tenants.bp, fhir.bp, audit.bp, reports.bp, privacy.bp, variants.bp, openapi.bp,
                      pages.bp, keys.bp, cds.bp, metrics.bp):
        app.register_blueprint(blueprint)
    if settings.mode in ("sandbox", "test"):  # the synthetic EHR and the sandbox pages exist only there
        from app.sandbox import ehr_fhir, workbench

        app.register_blueprint(ehr_fhir.bp)
        app.register_blueprint(workbench.bp)
    # Startup objects (FHIR models, validators) live for the whole process: keep them out of the cyclic
    # collector's full passes, which otherwise stall requests that allocate large JSON documents.
    gc.collect()
    gc.freeze()
    return app


__all__ = ["ConfigError", "Settings", "StartupError", "create_app"]
