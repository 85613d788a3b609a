"""``varshare serve`` and ``varshare sandbox``: run the service (gunicorn, or Flask's server with --dev)."""

from __future__ import annotations

import os
import shutil
from typing import Any

import click

from app.cli import main, settings_from, store_for
from app.config import ConfigError, Settings

# Threads per gthread worker. Measured with the CDS benchmark (2 workers, 2 cores, 80 hook calls/s): 4 threads cost
# 16.8-18.4 ms of CPU per call (GIL hand-offs at every database call) against 13.4-14.0 with 2 and 14.7-15.1 with 1,
# and p50 28-58 ms against 16-17. Two keep one call going while another waits on an EHR's FHIR server; raise
# --threads when fallback queries to slow FHIR servers are common.
DEFAULT_THREADS = 2


def _forget_worker_metrics(_server, worker) -> None:
    """gunicorn child_exit hook: drop an exited worker's live gauges from the shared metrics directory."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _run_server(settings_overrides: dict[str, Any], host: str, port: int, workers: int, threads: int,
                dev: bool) -> None:
    from app import StartupError, create_app

    try:
        app = create_app(settings_overrides) if dev else None
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from exc
    if dev:
        assert app is not None
        app.run(host=host, port=port, debug=False, threaded=True)
        return
    from gunicorn.app.base import BaseApplication

    # Fail fast in the parent, with a readable message, before gunicorn forks workers.
    try:
        create_app(settings_overrides).extensions["varshare"].store.dispose()
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from exc

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 30)
            # SIGTERM: stop accepting, let in-flight requests finish for up to 20 s, then stop the workers.
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", None)
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # metrics summed over workers (README)
                self.cfg.set("child_exit", _forget_worker_metrics)

        def load(self):
            return create_app(settings_overrides)

    _Server().run()


@main.command(help="Serve the API with gunicorn (or Flask's development server with --dev).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Flask development server, single process.")
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    settings_from()
    _run_server({}, host, port, workers, threads, dev)


def _seed_world(overrides: dict[str, Any]) -> str:
    """Seed the synthetic world through the app's public ingest path; the one-line summary."""
    from app import StartupError, create_app
    from app.sandbox.seeding import SeedingError, seed_world
    from app.sandbox.world import build_world

    try:
        # Seeding replays hundreds of reports through the public ingest path at once: not a client to throttle.
        app = create_app({**overrides, "rate_limit_enabled": False})
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        return seed_world(app).line(build_world())
    except SeedingError as exc:
        raise click.ClickException(f"seeding the synthetic world failed: {exc}\n(if the store holds an older "
                                   "sandbox world, start again with `varshare sandbox --reset`)") from exc
    finally:
        app.extensions["varshare"].store.dispose()


@main.command(help="Set up and serve the integrator sandbox: migrate, seed demo tenants and data, print "
                   "URLs and demo credentials, then serve.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Drop all sandbox data first and start from a clean store.")
@click.option("--no-serve", is_flag=True, help="Only prepare the sandbox store; do not start the server.")
def sandbox(host: str, port: int, workers: int, reset: bool, no_serve: bool) -> None:
    from app.sandbox.demo_tenants import seed_demo_tenants
    from app.services.tenants import Tenants

    base_url = f"http://{host}:{port}"
    overrides: dict[str, Any] = {"mode": "sandbox"}
    settings = settings_from(overrides)
    if settings.public_base_url == Settings().public_base_url:
        overrides["public_base_url"] = base_url
        settings = settings_from(overrides)
    store = store_for(settings)
    if reset:
        click.echo("resetting the sandbox store")
        store.downgrade("base")
        shutil.rmtree(settings.release_dir, ignore_errors=True)  # the releases of the dropped store
    store.upgrade()
    demos = seed_demo_tenants(Tenants(store, settings))
    store.dispose()
    click.echo(_seed_world(overrides))
    click.echo(f"\nvarshare sandbox (synthetic data, demo credentials) at {settings.public_base_url}/")
    click.echo(f"  store overview   {settings.public_base_url}/")
    click.echo(f"  try CDS Hooks    {settings.public_base_url}/sandbox")
    click.echo(f"  submit a report  {settings.public_base_url}/sandbox/submit")
    click.echo(f"  guide            {settings.public_base_url}/sandbox/help  (endpoints, credentials, curl)")
    click.echo(f"  liveness         {settings.public_base_url}/healthz")
    click.echo(f"  readiness        {settings.public_base_url}/readyz")
    click.echo(f"  who am I         {settings.public_base_url}/api/whoami")
    click.echo(f"  EHR FHIR server  {settings.public_base_url}/sandbox/fhir  (synthetic patients: /Patient)")
    click.echo("\ndemo tenants (public demo tokens; they work only in sandbox mode):")
    for demo in demos:
        click.echo(f"  {demo.name:<20} {demo.role:<19} {demo.token}")
    click.echo(f"\ntry: curl -H 'Authorization: Bearer {demos[0].token}' {settings.public_base_url}/api/whoami\n")
    if not no_serve:
        _run_server(overrides, host, port, workers, DEFAULT_THREADS, dev=False)
