"""Use cases: each orchestrates domain, ingest, security and the store inside one unit of work."""
