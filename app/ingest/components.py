"""Observation components looked up by code (never by position), with their locations.

Slicing is open: unknown component codes are kept in the raw JSON and ignored here
(genomics-reporting.md §4.2).
"""

from __future__ import annotations

from typing import Any

from app.ingest.codings import ROUTING_MEMO, routing_codes

# Finding-level and Variant component codes (LOINC unless noted).
GENE = "48018-6"
HGVS_C = "48004-6"
HGVS_P = "48005-3"
HGVS_G = "81290-9"
ISCN = "81291-7"
GENOMIC_REF_SEQ = "48013-7"
TRANSCRIPT_REF_SEQ = "51958-7"
REF_ALLELE = "69547-8"
ALT_ALLELE = "69551-0"
EXACT_START_END = "81254-5"
INNER_START_END = "81302-2"
OUTER_START_END = "81301-4"
COORDINATE_SYSTEM = "92822-6"
ASSEMBLY = "62374-4"
CHROMOSOME = "48000-4"
VARIATION_CODES = ("81252-9", "81255-2")
ALLELIC_STATE = "53034-5"
GENOMIC_SOURCE_CLASS = "48002-0"
CHANGE_TYPE = "48019-4"
COPY_NUMBER = "82155-3"
REPEAT_MOTIF = "repeat-motif"  # TBD
REPEAT_NUMBER = "repeat-number"  # TBD
SIGNIFICANCE = "53037-8"
CONDITIONS = ("81259-4", "51967-8")  # predicted/associated phenotype; STU1 genetic disease assessed
INHERITANCE = ("condition-inheritance", "79742-3")  # TBD (STU2+); LOINC inheritance pattern (STU1)
EXACT_START_END_STU1 = "exact-start-end"  # TBD


class Components:
    """The components of one Observation, grouped by their LOINC/TBD code.

    ``codes`` maps each code to its ``(index, component)`` items in input order; readers test ``code in
    components.codes`` before looking further, since most codes are absent from most Observations.
    """

    __slots__ = ("base", "codes")

    def __init__(self, observation: dict, base: str) -> None:
        self.base = base
        codes: dict[str, list[tuple[int, dict]]] = {}
        self.codes = codes
        raw = observation.get("component")
        if not isinstance(raw, list):
            return
        for i, component in enumerate(raw):
            try:
                # The usual shape, one coding already seen: routing_codes(component["code"]) from its memo.
                coding = component["code"]["coding"]
                if coding.__class__ is not list or len(coding) != 1:
                    raise LookupError
                code = ROUTING_MEMO[coding[0]["system"], coding[0]["code"]]
            except (LookupError, TypeError):  # another shape, or a (system, code) not seen yet
                if isinstance(component, dict):
                    for code in routing_codes(component.get("code")):
                        self._add(code, i, component)
                continue
            if code is not None:
                found = codes.get(code)
                if found is None:
                    codes[code] = [(i, component)]
                else:
                    found.append((i, component))

    def _add(self, code: str, index: int, component: dict) -> None:
        found = self.codes.get(code)
        if found is None:
            self.codes[code] = [(index, component)]
        else:
            found.append((index, component))

    def __contains__(self, code: str) -> bool:
        return code in self.codes

    def all(self, *codes: str) -> list[tuple[int, dict]]:
        """Every component with any of the codes, in input order."""
        by_code = self.codes
        if len(codes) == 1:
            return by_code.get(codes[0], [])
        found = [item for code in codes if code in by_code for item in by_code[code]]
        if len(found) > 1:
            found.sort(key=_index_of)
        return found

    def first(self, *codes: str) -> tuple[int, dict] | None:
        """The first component with any of the codes, or None."""
        if len(codes) == 1:
            items = self.codes.get(codes[0])
            return items[0] if items else None
        items = self.all(*codes)
        return items[0] if items else None

    def value(self, code: str, key: str) -> Any:
        """``component.<key>`` (e.g. ``valueString``) of the first component with the code."""
        items = self.codes.get(code)
        return items[0][1].get(key) if items else None

    def location(self, code_or_index: str | int) -> str:
        """The input path of a component (by index, or the first with a code), or of the Observation."""
        if isinstance(code_or_index, int):
            return f"{self.base}.component[{code_or_index}]"
        item = self.first(code_or_index)
        return f"{self.base}.component[{item[0]}]" if item else self.base


def _index_of(item: tuple[int, dict]) -> int:
    return item[0]
