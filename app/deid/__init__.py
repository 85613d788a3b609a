"""De-identification: the privacy policy (as data), date and age rules, small-cell suppression and the PHI guard.

Pure Python: keys, settings and the strings to scan are passed in; nothing here reads FHIR JSON, touches a
database or knows about HTTP. FHIR-specific collection of identifying values lives in ``app.ingest.phi_sources``.
"""
