"""Conformance of submitted resources with the Genomics Reporting profiles kept as data in ``fhir_profiles/``.

The rules are read from the profiles' StructureDefinition snapshots (the IG's own published JSON), not written
here: each Observation profile's fixed ``code`` (which picks the profile), its component slices (the component
``code`` pattern, cardinality, the types and binding of ``value[x]``), its ``category`` slices and whether it
forbids ``value[x]``; for the genomic-report profile, the report's fixed ``code`` and ``category`` slices.
Bindings are checked where the ValueSet is in the directory too: enumerated concepts exactly, a whole code system
by its system (with the URI aliases of ``app.ingest.codings``), a hierarchy filter (``is-a``) by its system only,
since the ontologies are not on disk. LOINC answer lists are written out in ``fhir_profiles/loinc``.

Conformance is reported, never enforced: varshare reads STU1, STU2 and STU3 shapes (genomics-reporting.md §1), so
a deviation is a ``warning`` (required bindings, cardinality, value types, a value where the profile forbids one)
or ``information`` (extensible bindings, missing category or report code slices) in the receipt, and the report
is accepted or refused by the mapping's own rules alone. Messages name the rule and the element, never the value
sent. One rule broken by many resources of a submission is reported for the first few and then counted.

Loading (``load_profiles``) reads and compiles the directory once per process; the app factory does it at start
(fail fast), never at import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.domain.reports import Issue
from app.ingest.codings import code_pair, code_pairs, normalise_system

REQUIRED_PROFILES = ("variant", "diagnostic-implication", "genomic-report")  # a directory without them is broken
PER_RULE = 3  # locations reported per broken rule and submission; the rest are counted in one more issue
_CHECKED_STRENGTHS = ("required", "extensible")
_SLICE = re.compile(r"^(?P<path>[A-Za-z]+\.(?:component|category)):(?P<name>[^.:]+)(?P<rest>\.[^:]*)?$")


class ProfilesError(ValueError):
    """The profile directory is missing, unreadable or lacks a profile the checks need."""


@dataclass(frozen=True)
class ValueSet:
    """What a ValueSet admits, as far as it can be told offline."""

    url: str
    title: str
    codes: frozenset[tuple[str, str]]  # enumerated (normalised system, code)
    systems: frozenset[str]  # whole systems, or systems filtered by a hierarchy that is not on disk

    def admits(self, pair: tuple[str, str]) -> bool:
        return pair in self.codes or pair[0] in self.systems


@dataclass(frozen=True)
class Binding:
    strength: str  # required | extensible
    value_set: ValueSet


@dataclass(frozen=True)
class ComponentSlice:
    """One component slice: which components it holds (by code) and what their value must be."""

    name: str
    label: str  # the slice's code as people know it, e.g. "53034-5"
    max: int | None  # None: unbounded
    value_keys: tuple[str, ...]  # e.g. ("valueCodeableConcept",); empty: any
    value_required: bool
    binding: Binding | None


@dataclass(frozen=True)
class CodingSlice:
    """A slice of a CodeableConcept list (``category``) told apart by one fixed coding."""

    name: str
    coding: tuple[str, str]
    min: int


@dataclass(frozen=True)
class Profile:
    id: str
    url: str
    resource_type: str
    codes: frozenset[tuple[str, str]]  # the fixed ``code``
    code_label: str
    components: dict[tuple[str, str], ComponentSlice] = field(default_factory=dict)
    categories: tuple[CodingSlice, ...] = ()
    no_value: bool = False


class Profiles:
    """The compiled profiles of one directory and the checks built on them."""

    def __init__(self, profiles: list[Profile]) -> None:
        self.profiles = {p.id: p for p in profiles}
        self._by_code = {pair: p for p in profiles if p.resource_type == "Observation" for pair in p.codes}
        self._report = next((p for p in profiles if p.resource_type == "DiagnosticReport"), None)

    @property
    def urls(self) -> list[str]:
        """The canonical URLs of the profiles resources are checked against."""
        return sorted(p.url for p in self.profiles.values())

    def by_type(self) -> dict[str, list[str]]:
        """Resource type -> the canonical URLs of the profiles its resources are checked against."""
        found: dict[str, list[str]] = {}
        for profile in sorted(self.profiles.values(), key=lambda p: p.url):
            found.setdefault(profile.resource_type, []).append(profile.url)
        return found

    def profile_of(self, resource: dict) -> Profile | None:
        """The profile a resource is checked against: an Observation's by its code, the report's by its type."""
        rtype = resource.get("resourceType")
        if rtype == "DiagnosticReport":
            return self._report
        if rtype != "Observation":
            return None
        for pair in code_pairs(resource.get("code")):
            found = self._by_code.get(pair)
            if found is not None:
                return found
        return None

    def check(self, resources: Iterable[tuple[dict, str]]) -> list[Issue]:
        """The deviations of these (resource, location) pairs from their profiles, capped per rule."""
        by_rule: dict[tuple[str, str], list[Issue]] = {}
        for resource, location in resources:
            profile = self.profile_of(resource)
            if profile is None:
                continue
            for rule, issue in _deviations(profile, resource, location):
                by_rule.setdefault((profile.id, rule), []).append(issue)
        issues: list[Issue] = []
        for (profile_id, _), found in by_rule.items():
            issues += found[:PER_RULE]
            if len(found) > PER_RULE:
                more = len(found) - PER_RULE
                issues.append(Issue("information", "informational", found[PER_RULE].location,
                                    f"{more} more resource{'s' if more > 1 else ''} deviate from the '{profile_id}' "
                                    "profile the same way as reported above; the first of them is here."))
        return issues


def _deviations(profile: Profile, resource: dict, location: str) -> list[tuple[str, Issue]]:
    out: list[tuple[str, Issue]] = []
    name = f"the Genomics Reporting STU3 '{profile.id}' profile"
    if profile.resource_type == "DiagnosticReport" and not any(
            pair in profile.codes for pair in code_pairs(resource.get("code"))):
        out.append(("code", Issue("information", "code-invalid", f"{location}.code",
                                  f"{name} fixes DiagnosticReport.code to {profile.code_label}; the report "
                                  "is read anyway (earlier versions of the guide used other codes).")))
    if profile.categories:
        present = {pair for concept in _list(resource.get("category")) for pair in code_pairs(concept)}
        for category in profile.categories:
            if category.min and category.coding not in present:
                out.append((f"category:{category.name}", Issue(
                    "information", "required", f"{location}.category",
                    f"{name} requires a category coded {category.coding[1]} ({category.coding[0]}) "
                    f"(slice {category.name}).")))
    if profile.no_value and any(key.startswith("value") for key in resource):
        out.append(("value", Issue("warning", "structure", location,
                                   f"{name} allows no value[x]: the result belongs in its components.")))
    components = resource.get("component")
    if profile.components and isinstance(components, list):
        out += _component_deviations(profile, name, components, location)
    return out


def _component_deviations(profile: Profile, name: str, components: list, location: str
                          ) -> list[tuple[str, Issue]]:
    out: list[tuple[str, Issue]] = []
    counts: dict[str, int] = {}
    rules = profile.components
    for i, component in enumerate(components):
        if component.__class__ is not dict:
            continue
        rule = _rule_of(rules, component.get("code"))
        if rule is None:
            continue  # open slicing: other components are allowed
        seen = counts[rule.name] = counts.get(rule.name, 0) + 1
        if rule.max is not None and seen == rule.max + 1:
            out.append((f"{rule.name}:max", Issue("warning", "structure", f"{location}.component[{i}]",
                                                  f"{name} allows {_slice(rule)} at most {rule.max} time"
                                                  f"{'s' if rule.max != 1 else ''}; this is one more.")))
        value_key = next((key for key in rule.value_keys if key in component), None)
        if value_key is None:
            other = next((key for key in component if key.startswith("value")), None)
            if other is not None and rule.value_keys:
                out.append((f"{rule.name}:type", Issue(
                    "warning", "structure", f"{location}.component[{i}].{other}",
                    f"{name} expects {' or '.join(rule.value_keys)} in {_slice(rule)}.")))
            elif other is None and rule.value_required and "dataAbsentReason" not in component:
                out.append((f"{rule.name}:value", Issue("warning", "required", f"{location}.component[{i}]",
                                                        f"{name} requires a value in {_slice(rule)}.")))
            continue
        if rule.binding is not None and value_key == "valueCodeableConcept":
            deviation = _binding_deviation(rule.binding, component[value_key])
            if deviation is not None:
                severity, wrong = deviation
                vs = rule.binding.value_set
                out.append((f"{rule.name}:binding", Issue(
                    severity, "code-invalid", f"{location}.component[{i}].valueCodeableConcept",
                    f"{name} binds {_slice(rule)} to {vs.title} ({vs.url}, {rule.binding.strength}): {wrong}.")))
    return out


def _slice(rule: ComponentSlice) -> str:
    return f"component:{rule.name} ({rule.label})"


def _rule_of(rules: dict[tuple[str, str], ComponentSlice], code: Any) -> ComponentSlice | None:
    """The slice a component's ``code`` puts it in (the usual one-coding code first, without building a list)."""
    try:
        coding = code["coding"]
        if coding.__class__ is list and len(coding) == 1:
            pair = code_pair(coding[0]["system"], coding[0]["code"])
            return rules.get(pair) if pair is not None else None
    except (LookupError, TypeError):
        pass
    return next((rules[pair] for pair in code_pairs(code) if pair in rules), None)


def _binding_deviation(binding: Binding, concept: Any) -> tuple[str, str] | None:
    """(severity, what is wrong) when a CodeableConcept does not meet its binding, else None."""
    try:
        coding = concept["coding"]
        if coding.__class__ is list and len(coding) == 1:  # the usual shape, without building a list
            pair = code_pair(coding[0]["system"], coding[0]["code"])
            if pair is not None and binding.value_set.admits(pair):
                return None
    except (LookupError, TypeError):
        pass
    pairs = code_pairs(concept)
    if any(binding.value_set.admits(pair) for pair in pairs):
        return None
    if binding.strength == "required":
        return "warning", "no coding is from that value set" if pairs else "it has text but no coding"
    if not pairs:
        return None  # extensible: text alone is allowed when no code fits
    return "information", "no coding is from that value set (allowed only when none of its codes fits)"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


@functools.lru_cache(maxsize=8)
def load_profiles(directory: Path) -> Profiles:
    """Read and compile every StructureDefinition, ValueSet and CodeSystem under ``directory`` (once per path)."""
    if not directory.is_dir():
        raise ProfilesError(f"{directory} is not a directory of FHIR profiles")
    resources: dict[str, list[dict]] = {"StructureDefinition": [], "ValueSet": [], "CodeSystem": []}
    for path in sorted(directory.rglob("*.json")):
        try:
            resource = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ProfilesError(f"{path} cannot be read as JSON: {exc}") from None
        if isinstance(resource, dict) and resource.get("resourceType") in resources:
            resources[resource["resourceType"]].append(resource)
    code_systems = {cs.get("url"): cs for cs in resources["CodeSystem"]}
    value_sets = {vs["url"]: _value_set(vs, code_systems) for vs in resources["ValueSet"] if vs.get("url")}
    profiles = [p for sd in resources["StructureDefinition"] if (p := _profile(sd, value_sets)) is not None]
    missing = [name for name in REQUIRED_PROFILES if name not in {p.id for p in profiles}]
    if missing:
        raise ProfilesError(f"{directory} lacks the profiles {', '.join(missing)}")
    return Profiles(profiles)


def _value_set(resource: dict, code_systems: dict[str, dict]) -> ValueSet:
    codes: set[tuple[str, str]] = set()
    systems: set[str] = set()
    for include in _list((resource.get("compose") or {}).get("include")):
        system = include.get("system")
        if not isinstance(system, str):
            continue
        canonical = normalise_system(system)
        concepts = _list(include.get("concept"))
        if concepts:
            codes |= {(canonical, c["code"]) for c in concepts
                      if isinstance(c, dict) and isinstance(c.get("code"), str)}
        elif not include.get("filter") and (code_systems.get(system) or {}).get("content") == "complete":
            codes |= {(canonical, code) for code in _all_codes(code_systems[system].get("concept"))}
        else:
            systems.add(canonical)
    title = resource.get("title") or resource.get("name") or resource["url"]
    return ValueSet(resource["url"], str(title), frozenset(codes), frozenset(systems))


def _all_codes(concepts: Any) -> list[str]:
    found = []
    for concept in _list(concepts):
        if isinstance(concept, dict) and isinstance(concept.get("code"), str):
            found.append(concept["code"])
            found += _all_codes(concept.get("concept"))
    return found


def _pattern_codes(element: dict) -> frozenset[tuple[str, str]]:
    pattern = element.get("patternCodeableConcept") or {}
    pairs = (code_pair(c.get("system"), c.get("code")) for c in _list(pattern.get("coding")) if isinstance(c, dict))
    return frozenset(pair for pair in pairs if pair is not None)


def _max(element: dict) -> int | None:
    value = element.get("max", "*")
    return None if value == "*" else int(value)


def _profile(sd: dict, value_sets: dict[str, ValueSet]) -> Profile | None:
    """A profile with a fixed code (the ones a resource can be matched to), compiled from its snapshot."""
    rtype = sd.get("type")
    if sd.get("derivation") != "constraint" or rtype not in ("Observation", "DiagnosticReport"):
        return None
    elements = {e["id"]: e for e in _list((sd.get("snapshot") or {}).get("element")) if isinstance(e, dict)}
    codes = _pattern_codes(elements.get(f"{rtype}.code", {}))
    if not codes:
        return None  # an abstract base (genomic-base, finding, implication)
    slices: dict[tuple[str, str], dict[str, dict]] = {}
    for element_id, element in elements.items():
        match = _SLICE.match(element_id)
        if match:
            slices.setdefault((match["path"], match["name"]), {})[match["rest"] or ""] = element
    components: dict[tuple[str, str], ComponentSlice] = {}
    categories: list[CodingSlice] = []
    for (path, name), parts in slices.items():
        head = parts.get("")
        if head is None:
            continue
        if path.endswith(".category"):
            coding = (parts.get(".coding") or {}).get("patternCoding") or {}
            pair = code_pair(coding.get("system"), coding.get("code"))
            if pair is not None:
                categories.append(CodingSlice(name, pair, int(head.get("min", 0))))
            continue
        slice_codes = _pattern_codes(parts.get(".code", {}))
        value = parts.get(".value[x]", {})
        keys = tuple(f"value{t['code'][0].upper()}{t['code'][1:]}" for t in _list(value.get("type"))
                     if isinstance(t, dict) and isinstance(t.get("code"), str))
        binding = value.get("binding") or {}
        vs = value_sets.get(str(binding.get("valueSet", "")).split("|", 1)[0])
        vs = vs if vs is not None and (vs.codes or vs.systems) else None  # admits nothing we can tell: unchecked
        checked = vs is not None and binding.get("strength") in _CHECKED_STRENGTHS
        rule = ComponentSlice(name, min((c for _, c in slice_codes), default=name), _max(head), keys,
                              int(value.get("min", 0)) > 0, Binding(binding["strength"], vs) if checked else None)
        for pair in slice_codes:
            components[pair] = rule
    system, code = min(codes)
    return Profile(sd["id"], sd["url"], rtype, codes, f"{code} ({system})", components, tuple(categories),
                   _max(elements.get(f"{rtype}.value[x]", {})) == 0)
