"""Flask blueprints: HTTP in, service call, HTTP out. No business logic lives here."""
