"""How Observations point at each other: derivedFrom/hasMember edges, reachability, implication targets.

``DiagnosticReport.result`` is not complete (genomics-reporting.md §7), so every Observation is processed and
a
reverse ``derivedFrom`` index links findings to their implications. Walks keep a visited set, so cycles end.
"""

from __future__ import annotations

from collections import deque

from app.domain.reports import Issue
from app.ingest.bundle_index import BundleIndex, Entry
from app.ingest.routing import COMBINATION_KINDS, GROUPER, MAPPED_KINDS, VARIANT
from app.ingest.values import list_of


class ObservationGraph:
    """Resolved ``derivedFrom`` and ``hasMember`` edges between the resources of one submission."""

    def __init__(
        self, index: BundleIndex, observations: list[Entry], kinds: dict[Entry, str], issues: list[Issue]
    ) -> None:
        self.kinds = kinds
        self.derived_from: dict[Entry, list[Entry]] = {}
        self.members: dict[Entry, list[Entry]] = {}
        self.derived_by: dict[Entry, list[Entry]] = {}
        for entry in observations:
            resource = entry.resource  # most Observations have neither element: nothing to resolve then
            derived = self._resolve_all(index, entry, "derivedFrom", issues) if resource.get("derivedFrom") else []
            members = self._resolve_all(index, entry, "hasMember", issues) if resource.get("hasMember") else []
            self.derived_from[entry] = derived
            self.members[entry] = members
            for target in derived:
                self.derived_by.setdefault(target, []).append(entry)

    def _resolve_all(
        self, index: BundleIndex, entry: Entry, element: str, issues: list[Issue]
    ) -> list[Entry]:
        found = []
        for i, reference in enumerate(list_of(entry.resource.get(element))):
            target = index.resolve(reference, entry)
            if target is not None:
                found.append(target)
            elif isinstance(reference, dict) and isinstance(reference.get("reference"), str):
                severity = "warning" if self.kinds.get(entry) in MAPPED_KINDS else "information"
                issues.append(
                    Issue(
                        severity,
                        "not-found",
                        f"{entry.location}.{element}[{i}]",
                        "The referenced resource is not in this submission.",
                    )
                )
        return found

    def is_parent(self, entry: Entry) -> bool:
        """A Variant with ``hasMember`` (complex or compound variant): it stands for its members together."""
        return bool(self.members.get(entry))

    def reachable(self, roots: list[Entry]) -> set[Entry]:
        """Everything reachable from the roots through hasMember, derivedFrom and reverse derivedFrom."""
        seen: set[Entry] = set()
        queue = deque(roots)
        while queue:
            node = queue.popleft()
            if node in seen:
                continue
            seen.add(node)
            queue.extend(self.members.get(node, ()))
            queue.extend(self.derived_from.get(node, ()))
            queue.extend(self.derived_by.get(node, ()))
        return seen

    def variant_targets(self, implication: Entry) -> tuple[list[Entry], bool]:
        """The Variant Observations an implication classifies, and whether it names a combination.

        ``derivedFrom`` is followed recursively through non-finding Observations and ``hasMember`` iteratively
        through groupers. A parent Variant (with members), a Genotype or a Haplotype is a combination, and so
        are several Variants at once: such an implication classifies the combination, not each member.
        """
        derived = self.derived_from.get(implication, ())
        if len(derived) == 1:  # the usual implication: derivedFrom one simple Variant
            (target,) = derived
            if target is not implication and self.kinds.get(target) == VARIANT and not self.members.get(target):
                return [target], False
        variants: list[Entry] = []
        combination = False
        seen = {implication}
        queue = deque(derived)
        while queue:
            node = queue.popleft()
            if node in seen:
                continue
            seen.add(node)
            kind = self.kinds.get(node)
            if kind == VARIANT:
                if self.is_parent(node):
                    combination = True
                else:
                    variants.append(node)
            elif kind in COMBINATION_KINDS:
                combination = True
            elif kind == GROUPER:
                queue.extend(self.members.get(node, ()))
            elif kind is not None:
                queue.extend(self.derived_from.get(node, ()))
        if len(variants) > 1:
            combination = True
        return variants, combination
