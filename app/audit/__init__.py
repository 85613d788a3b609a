"""The audit log: AuditEvent records (IHE BALP shapes) and their append-only hash chain. No store, no web."""
