"""FHIR Genomics Reporting JSON -> domain records (:class:`app.domain.reports.MappedReport`).

Public API: :func:`map_submission` (read one submission), :func:`warm_up` (build the R4B validators at app
start) and :func:`build_operation_outcome` (issues -> FHIR OperationOutcome JSON).
"""

from app.ingest.mapper import map_submission
from app.ingest.outcome import build_operation_outcome
from app.ingest.validation import warm_up

__all__ = ["build_operation_outcome", "map_submission", "warm_up"]
