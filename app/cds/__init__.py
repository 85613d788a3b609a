"""CDS Hooks: service definitions, request checks, prefetch states, the EHR's FHIR server, cards and feedback.

Pure of the web framework and the store: ``app.services.cds`` feeds it the FHIR data and the store's answers,
``app.api.cds`` carries it over HTTP.
"""
