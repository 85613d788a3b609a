"""FHIR R4 structural validation of each submitted resource with ``fhir.resources.R4B``.

Resources are validated one entry at a time (never the whole Bundle) so that every pydantic error maps to an
input path such as ``Bundle.entry[3].resource.component[2].valueQuantity``. Messages are written here from the
error type and element names only: pydantic's own messages and ``input`` may echo patient data.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

import orjson

from app.domain.reports import Issue
from app.ingest.bundle_index import BundleIndex

_models: dict[str, Any] = {}
_WARM_TYPES = (
    "Bundle",
    "Observation",
    "DiagnosticReport",
    "Patient",
    "Specimen",
    "Organization",
    "Practitioner",
    "ServiceRequest",
    "MolecularSequence",
    "Condition",
    "Task",
    "PlanDefinition",
)
_EXPECTED = {
    "string_type": "a string",
    "str_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "json_invalid": "an object",
    "json_type": "an object",
}
_SAFE_VALUE_ERRORS = (
    "value string does not match spec regex",
    "must be timezone aware",
    "does not parse to datetime",
    "Any of one field value is expected",
    "Expect any of field value",
)


def model_for(resource_type: str) -> Any:
    """The R4B model class for a resource type (imported lazily, cached), or None if R4 has no such type."""
    model = _models.get(resource_type)
    if model is None and resource_type not in _models:
        try:
            module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
            model = getattr(module, resource_type)
        except (ImportError, AttributeError):
            model = None
        _models[resource_type] = model
    return model


def warm_up() -> None:
    """Import the models and build their validators once (the first validation of a class is slow)."""
    samples = {
        "Observation": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
        "DiagnosticReport": {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "x"}},
    }
    for rtype in _WARM_TYPES:
        model = model_for(rtype)
        if model is not None and rtype in samples:
            with contextlib.suppress(Exception):  # warming must never stop the app
                model.model_validate(samples[rtype])


def path_of(base: str, loc: tuple) -> str:
    """A FHIRPath-like path for a pydantic error location under ``base``."""
    path = base
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("__root__", ""):
            continue
        elif part == "resource_type":
            path += ".resourceType"
        else:
            path += f".{str(part).removesuffix('__ext')}"
    return path


def _element_name(loc: tuple) -> str:
    for part in reversed(loc):
        if isinstance(part, str) and part not in ("__root__",):
            return "resourceType" if part == "resource_type" else part
    return "resource"


def message_for(error: dict) -> str:
    """An actionable message built from the error type and element name, never from the input value."""
    etype = str(error.get("type", ""))
    loc = tuple(error.get("loc") or ())
    name = _element_name(loc)
    if etype == "extra_forbidden":
        return (
            f"Unknown element '{name}': it is not defined for this type in FHIR R4. Check its spelling and "
            "remove R5-only or vendor elements (use an extension for local data)."
        )
    if etype in ("missing", "model_field_validation.missing") or etype.endswith(".missing"):
        return f"Required element '{name}' is missing."
    if etype in _EXPECTED:
        return f"Element '{name}' has the wrong JSON type: expected {_EXPECTED[etype]}."
    if etype == "fhir-validation-wrong-resource-type":
        return "The resourceType does not match the model expected at this position."
    if etype == "value_error":
        text = str(error.get("msg", "")).removeprefix("Value error, ")
        if any(marker in text for marker in _SAFE_VALUE_ERRORS):
            return f"Invalid value for '{name}': {text}" if loc else f"Invalid resource: {text}"
        return f"Invalid value for '{name}'."
    if etype.startswith(("string_too", "too_", "less_than", "greater_than")):
        return f"Element '{name}' is out of the allowed size or range."
    return f"Element '{name}' is not valid FHIR R4 ({etype or 'invalid'})."


def _issues_from(exc: Exception, base: str, severity: str) -> list[Issue]:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [Issue(severity, "structure", base, "The resource could not be read as FHIR R4.")]
    try:
        items = errors(include_url=False, include_input=False)
    except TypeError:
        items = errors()
    return [
        Issue(severity, "structure", path_of(base, tuple(e.get("loc") or ())), message_for(e)) for e in items
    ]


# Components that validated cleanly, by canonical JSON. Lab reports repeat the same components (assembly,
# coordinate system, reference sequence, genomic source class...) across hundreds of variants, and a
# component validates the same alone as inside its Observation, so each distinct one is validated once.
_VALID_COMPONENTS: dict[bytes, None] = {}
_VALID_COMPONENTS_MAX = 50_000


def _validate_observation(resource: dict, location: str, severity: str) -> list[Issue] | None:
    """Validate an Observation as its shell plus each distinct component; None when that split does not apply."""
    components = resource.get("component")
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        return None
    issues: list[Issue] = []
    try:
        model_for("Observation").model_validate({k: v for k, v in resource.items() if k != "component"})
    except Exception as exc:
        issues.extend(_issues_from(exc, location, severity))
    component_model = _component_model()
    for i, component in enumerate(components):
        key = orjson.dumps(component, option=orjson.OPT_SORT_KEYS)
        if key in _VALID_COMPONENTS:
            continue
        try:
            component_model.model_validate(component)
        except Exception as exc:
            issues.extend(_issues_from(exc, f"{location}.component[{i}]", severity))
            continue
        if len(_VALID_COMPONENTS) >= _VALID_COMPONENTS_MAX:
            _VALID_COMPONENTS.clear()
        _VALID_COMPONENTS[key] = None
    return issues


def _component_model() -> Any:
    from fhir.resources.R4B.observation import ObservationComponent

    return ObservationComponent


def validate_resource(resource: dict, location: str, *, severity: str = "error") -> list[Issue]:
    """Validate one resource (with its contained resources) against its R4B model."""
    rtype = resource.get("resourceType")
    model = model_for(rtype) if isinstance(rtype, str) and rtype.isidentifier() else None
    if model is None:
        return [
            Issue(
                severity,
                "structure",
                f"{location}.resourceType",
                "Unknown resourceType: it is not a FHIR R4 resource type.",
            )
        ]
    for j, child in enumerate(resource.get("contained") or ()):
        ctype = child.get("resourceType") if isinstance(child, dict) else None
        if not (isinstance(ctype, str) and ctype.isidentifier() and model_for(ctype) is not None):
            return [
                Issue(
                    severity,
                    "structure",
                    f"{location}.contained[{j}].resourceType",
                    "Unknown or missing resourceType in a contained resource.",
                )
            ]
    if rtype == "Observation" and not resource.get("contained"):
        split = _validate_observation(resource, location, severity)
        if split is not None:
            return split
    try:
        model.model_validate(resource)
    except Exception as exc:
        return _issues_from(exc, location, severity)
    return []


def validate_submission(submission: dict, index: BundleIndex, *, lenient: bool = False) -> list[Issue]:
    """Validate every top-level resource of the submission, and the Bundle shell (entries minus resources)."""
    severity = "warning" if lenient else "error"
    issues: list[Issue] = []
    if submission.get("resourceType") == "Bundle":
        entries = submission.get("entry")
        shell = {k: v for k, v in submission.items() if k != "entry"}
        if isinstance(entries, list):
            # Non-object entries are already reported by the index; {} keeps the entry numbering.
            shell["entry"] = [
                {k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else {}
                for e in entries
            ]
        model = model_for("Bundle")
        try:
            model.model_validate(shell)
        except Exception as exc:
            issues.extend(_issues_from(exc, "Bundle", severity))
    for entry in index.entries:
        if entry.container is None:
            issues.extend(validate_resource(entry.resource, entry.location, severity=severity))
    return issues
