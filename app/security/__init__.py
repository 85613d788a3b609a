"""Credentials, roles, key derivation and request limits. No web framework and no store in here."""
