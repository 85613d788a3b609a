"""CDS Hooks use case: a hook call -> the patient's variants -> one batched store lookup -> cards.

Data: each prefetch key in its four states (``app.cds.prefetch``); an absent key, or a prefetched Bundle with
a ``next`` page, is fetched from the request's ``fhirServer`` with its token (anonymously only for configured
open servers). A required key that cannot be obtained is a 412. Variants come from the EHR's data (lenient
mapping) plus the calling institution's own earlier case facts, found through the linkage vault with the
patient's identifiers (HMAC under that institution's key; other institutions' links never match). The store
is read in one batch per kind of fact. The hook call changes no shared data; it appends one audit event after
the cards are built (BALP Query shape: the client, a digest of the request, the variants whose aggregates the
cards could show and the institutions whose submissions they show, counts; never the patient's identifiers or
case ids), failing closed with 503 when that event cannot be written.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson
import requests

from app.audit.events import SEARCH, AuditEvent, entity, submitter
from app.cds.cards import CardSettings, card, patient_view_cards
from app.cds.evidence import PatientGenomics, ReportedVariant, read_patient_genomics
from app.cds.fhir_client import FhirClient, FhirLimits, FhirUnavailable
from app.cds.invocation import Invocation, InvocationError, read_invocation
from app.cds.orders import genetic_orders, prior_results_card, recognised_test_codes
from app.cds.prefetch import Prefetched, State, classify, render
from app.cds.services import IMPLICATIONS, ORDER_SELECT, PATIENT, REPORTS, VARIANTS, discovery_document, service_named
from app.cds.views import SubmitterLine, VariantView
from app.config import Settings
from app.domain.aggregation import Aggregate, is_classified
from app.domain.review import stars_of, status_text, submission_status
from app.security.linkage_keys import derive_linkage_key, link_hash
from app.services.audit import record_disclosure
from app.services.failures import store_failures_as_unavailable
from app.services.tenants import Tenants
from app.store import hook_reads, links
from app.store import variant_queries as queries
from app.store.aggregates import SubmissionRow
from app.store.database import Store

log = logging.getLogger("varshare.cds")
GERMLINE = "germline"
CARD_KEY_LABEL = "cds-card-ids"  # HKDF info of the card-uuid tagging key (never a submitter id)


class CdsClient(Protocol):
    """The verified CDS client (an EHR tenant) behind a call."""

    submitter_id: str
    name: str


class CdsError(Exception):
    """The call cannot be answered with cards: ``status`` 400, 404, 412 or 413, and what is wrong where."""

    def __init__(self, status: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


def card_key(settings: Settings) -> bytes:
    """The key that tags card uuids with their kind (derived from the deployment's master key)."""
    return derive_linkage_key(settings.effective_linkage_key, CARD_KEY_LABEL)


class CdsHooks:
    """The CDS Services: discovery and hook calls."""

    def __init__(self, store: Store, tenants: Tenants, settings: Settings,
                 session_factory: Callable[[], requests.Session] = requests.Session) -> None:
        self._store = store
        self._tenants = tenants
        self._settings = settings
        self._session_factory = session_factory
        self._cards = CardSettings(card_key(settings), settings.public_base_url, settings.cds_smart_app_url)
        self._codes = recognised_test_codes(settings.cds_genetic_test_codes)
        self._limits = FhirLimits(settings.cds_fhir_connect_timeout_s, settings.cds_fhir_read_timeout_s,
                                  settings.cds_fhir_budget_s, settings.cds_fhir_max_pages, settings.cds_fhir_max_bytes)
        self._open_servers = tuple(s.strip().rstrip("/") for s in settings.cds_open_fhir_servers.split(",")
                                   if s.strip())

    def discovery(self) -> dict:
        """The discovery document."""
        return discovery_document()

    def invoke(self, service_id: str, body: Any, client: CdsClient, *, request_digest: str | None = None
               ) -> list[dict]:
        """The cards answering one hook call (possibly none); CdsError for 400/404/412. Audited after the read:
        ``request_digest`` is the SHA-256 of the raw request body (of its canonical JSON when not given)."""
        digest = request_digest or hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
        cards, looked_up, views, contributors = self._answer(service_id, body, client)
        hook_instance = body.get("hookInstance") if isinstance(body, dict) else None
        disclosed = sorted({v.variant_id for v in views if v.variant_id is not None})
        record_disclosure(self._store, AuditEvent.of(SEARCH, "E", submitter_id=client.submitter_id, client=client.name,
                                                     entities=_hook_entities(service_id, client, hook_instance, digest,
                                                                             disclosed, contributors, looked_up,
                                                                             len(cards))))
        return cards

    def _answer(self, service_id: str, body: Any, client: CdsClient
                ) -> tuple[list[dict], int, list[VariantView], set[str]]:
        """(cards, variants looked up, variant views shown, institutions whose submissions the views carry)."""
        service = service_named(service_id)
        if service is None:
            raise CdsError(404, "no CDS service with this id")
        try:
            invocation = read_invocation(body, service, allow_http=not self._settings.is_production)
        except InvocationError as exc:
            raise CdsError(exc.status, exc.message, exc.location) from None
        if service.is_order_hook:
            selections = invocation.context.get("selections") if service.id == ORDER_SELECT else None
            orders = genetic_orders(invocation.context["draftOrders"], selections, self._codes)
            if not orders:
                return [], 0, [], set()  # nothing genetic to advise on: no need for the patient's data
        data = self._gather(invocation)
        observations = data[VARIANTS].resources + data[IMPLICATIONS].resources
        genomics = read_patient_genomics(invocation.patient_id, _first(data[PATIENT]), observations,
                                         data[REPORTS].resources)
        if len(genomics.variants) > self._settings.cds_max_variants:
            raise CdsError(400, f"more than {self._settings.cds_max_variants} variants in one hook call",
                           "prefetch")
        views, contributors = self._views(genomics, client)
        if service.is_order_hook:
            cards = [c for order in orders
                     if (c := prior_results_card(order, views, invocation.fhir_server, self._cards))]
        else:
            cards = patient_view_cards(views, self._cards)
        if any(fetched.partial for fetched in data.values()):
            cards.append(card("incomplete-data", "info", "Only part of the patient's genomic results could be read",
                              "The EHR's FHIR server returned more pages of results than varshare reads within "
                              "its time and page limits; the cards above may be incomplete.", self._cards))
        return cards, len(genomics.variants), views, contributors

    def _fhir_client(self, invocation: Invocation) -> FhirClient | None:
        server = invocation.fhir_server
        if server is None:
            return None
        if invocation.access_token is None and not any(
                server == open_ or server.startswith(open_ + "/") for open_ in self._open_servers):
            return None
        return FhirClient(self._session_factory(), server, invocation.access_token, self._limits)

    def _gather(self, invocation: Invocation) -> dict[str, Prefetched]:
        """Every prefetch key's data, fetched where absent; 412 when a required key cannot be obtained."""
        service = invocation.service
        fhir: FhirClient | None = None
        data: dict[str, Prefetched] = {}
        for key, template in sorted(service.prefetch, key=lambda item: item[0] not in service.required):
            got = classify(invocation.prefetch, key)
            if got.state == State.ABSENT or got.next_url:
                fhir = fhir or self._fhir_client(invocation)
                got = _complete(got, template, invocation, fhir)
            if key in service.required and got.state in (State.ABSENT, State.UNAVAILABLE):
                raise CdsError(412, f"the {key} prefetch is missing or failed and the EHR's FHIR server could not "
                               "provide it", f"prefetch.{key}")
            data[key] = got
        return data

    def _views(self, genomics: PatientGenomics, client: CdsClient) -> tuple[list[VariantView], set[str]]:
        """One view per distinct stored or reported variant, from one batch of store reads, and the institutions
        whose current submissions the views show."""
        key = self._tenants.linkage_key(client.submitter_id)
        hashes = [link_hash(key, f"patient|{system.strip()}|{value.strip()}") for system, value in genomics.identifiers]
        with store_failures_as_unavailable():
            case_ids: set[str] = set()
            if hashes:
                with self._store.reading_vault() as vault:
                    case_ids = links.find_own_case_ids(vault, client.submitter_id, hashes)
            with self._store.reading() as conn:
                own = hook_reads.own_case_findings(conn, client.submitter_id, case_ids)
                ids, aggregates, submissions, names = hook_reads.variants_with_facts(
                    conn, [r.variant.key for r in genomics.variants])
                pairs = [(a.kind, a.value) for r in genomics.variants if r.variant.key not in ids
                         for a in r.variant.aliases]
                by_alias = queries.ids_for_aliases(conn, pairs) if pairs else {}
                variant_ids = set(ids.values()) | set(by_alias.values()) | {f["variant_id"] for f in own}
                others = variant_ids - set(ids.values())  # found through an alias or a case fact only
                if others:
                    aggregates.update(hook_reads.aggregates_of(conn, others))
                    more, more_names = hook_reads.current_submissions_named(conn, others)
                    submissions += more
                    names.update(more_names)
        lines = _submitter_lines(submissions, names)
        views: dict[str, VariantView] = {}
        unshared: list[VariantView] = []
        for reported in genomics.variants:
            variant_id = ids.get(reported.variant.key) or next(
                (by_alias[(a.kind, a.value)] for a in reported.variant.aliases if (a.kind, a.value) in by_alias), None)
            view = _view(reported, variant_id, aggregates, lines)
            if variant_id is None:
                unshared.append(view)
            else:
                views.setdefault(variant_id, view)
        for fact in own:  # the institution's own earlier reports of this patient
            variant_id = fact["variant_id"]
            known = views.get(variant_id)
            if known is None:
                label = f"{fact['gene']} {fact['key']}" if fact["gene"] else fact["key"]
                views[variant_id] = VariantView(label, fact["gene"], variant_id, fact["stated_term"],
                                                fact["report_year"], _aggregate(aggregates, variant_id),
                                                lines.get(variant_id, ()))
            elif known.stated_term is None and fact["stated_term"]:
                views[variant_id] = VariantView(known.label, known.gene, variant_id, fact["stated_term"],
                                                fact["report_year"], known.aggregate, known.submitters,
                                                known.ehr_report)
        contributors = {row.submitter_id for row in submissions if row.classification_type == GERMLINE}
        return [*views.values(), *unshared], contributors


def _hook_entities(service_id: str, client: CdsClient, hook_instance: Any, digest: str, variant_ids: list[str],
                   contributors: Iterable[str], looked_up: int, cards: int) -> list[dict]:
    """A hook call's audit entities: never the patient's identifiers, the prefetch or case ids."""
    instance = hook_instance if isinstance(hook_instance, str) and len(hook_instance) <= 100 else None
    return [entity("hook", service_id, hookInstance=instance, digest=digest, variantsLookedUp=looked_up,
                   cardsReturned=cards),
            entity("client", getattr(client, "issuer", None), tenant=getattr(client, "tenant", None)),
            *(entity("variant", v) for v in variant_ids), *(submitter(s) for s in sorted(contributors))]


def _first(fetched: Prefetched) -> dict | None:
    return fetched.resources[0] if fetched.state == State.DATA and fetched.resources else None


def _complete(got: Prefetched, template: str, invocation: Invocation, fhir: FhirClient | None) -> Prefetched:
    """Fetch an absent key, or the further pages of a prefetched one (kept partial when that fails)."""
    if fhir is None:
        return got
    try:
        if got.state == State.DATA and got.next_url:
            more = fhir.pages(got.next_url, already=1)
            return Prefetched(got.key, State.DATA, got.resources + more.resources, partial=more.partial)
        rendered = render(template, invocation.context)
        if rendered is None:
            return got
        if "?" not in rendered:
            resource = fhir.read(rendered)
            return Prefetched(got.key, State.DATA if resource else State.NO_DATA, [resource] if resource else [])
        result = fhir.search(rendered)
        return Prefetched(got.key, State.DATA, result.resources, partial=result.partial)
    except FhirUnavailable as exc:
        log.warning("fhir fallback failed", extra={"fields": {"key": got.key, "reason": str(exc)}})
        return got if got.state == State.DATA else Prefetched(got.key, State.UNAVAILABLE)


def _aggregate(aggregates: dict, variant_id: str) -> Aggregate | None:
    row = aggregates.get(variant_id)
    return Aggregate.from_dict(row) if row else None


def _view(reported: ReportedVariant, variant_id: str | None, aggregates: dict,
          lines: dict[str, tuple[SubmitterLine, ...]]) -> VariantView:
    aggregate = _aggregate(aggregates, variant_id) if variant_id else None
    return VariantView(reported.label, reported.variant.gene, variant_id, reported.stated_term, reported.stated_year,
                       aggregate, lines.get(variant_id, ()) if variant_id else (), reported.report_id)


def _submitter_lines(rows: list[SubmissionRow], names: dict[str, str]) -> dict[str, tuple[SubmitterLine, ...]]:
    """Per variant, one line per submitter and term of the current germline submissions, by name."""
    found: dict[str, dict[tuple[str, str], SubmitterLine]] = {}
    statuses: dict[tuple[str, bool, str], tuple[str, int]] = {}  # few distinct (role, criteria, term) per call
    for row in rows:
        if row.classification_type != GERMLINE:
            continue
        facts = (row.role, bool(row.criteria_provided), row.term)
        shown = statuses.get(facts)
        if shown is None:
            status = submission_status(facts[0], facts[1], is_classified(row.term))
            shown = statuses[facts] = (status_text(status), stars_of(status))
        name = names.get(row.submitter_id, "unknown submitter")
        by_line = found.setdefault(row.variant_id, {})
        current = by_line.get((name, row.term))
        evaluated = row.date_last_evaluated
        if current is None or (evaluated is not None and (current.evaluated is None or evaluated > current.evaluated)):
            by_line[(name, row.term)] = SubmitterLine(name, row.role, row.term, shown[0], shown[1], evaluated,
                                                      bool(row.flagged))
    return {variant_id: tuple(sorted(by.values(), key=lambda line: (line.submitter, line.term)))
            for variant_id, by in found.items()}
