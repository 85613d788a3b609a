"""FHIR Genomics Reporting JSON -> domain records: bundle walking, routing, component mapping, checks."""
