"""The deny-list's normalised forms and the PHI guard's matching: tokens, punctuation, dates, base64, PDFs."""

from __future__ import annotations

import base64
import zlib

import pytest

from app.deid.deny_list import DenyList
from app.deid.phi_guard import find_phi
from app.ingest.phi_sources import collect_phi
from tests.data.canary.bundles import BIRTH, CANARY, PHONE, SSN, attachments, canary_bundle


def _deny() -> DenyList:
    deny = DenyList()
    deny.add("name", "Zoë")
    deny.add("name", "Smith")
    deny.add("identifier", SSN)
    deny.add("identifier", "MRN-0001")
    deny.add("telecom", PHONE)
    deny.add("name", "Li")  # too short to match safely: skipped
    deny.add_date("birthDate", BIRTH)
    return deny


@pytest.mark.parametrize("text", [
    "text:smith-lemli syndrome", "ZOE L858R", "zoë", "999417309", "999 41 7309", "id mrn0001", "MRN-0001",
    "(202) 555-0143", "12025550143", "1961-07-23", "07/23/1961", "23.07.1961", "19610723", "July 23, 1961",
    "NM_000059.3:c.1del[Smith]", base64.b64encode(b"patient Smith").decode(),
    base64.b64encode(zlib.compress(b"born 1961-07-23")).decode(),
])
def test_identifying_values_are_found_however_written(text):
    [hit] = find_phi(_deny(), [("Bundle.entry[1].resource", "variant alias", text)])
    assert hit.location == "Bundle.entry[1].resource" and hit.field == "variant alias"


@pytest.mark.parametrize("text", [
    "GRCh38:17:43045712:G:A", "NM_007294.4:c.68_69del", "p.Val600Glu", "text:li-fraumeni syndrome", "Blacksmith",
    "MONDO:0011450", "2024", "Pathogenic", "vs0123456789abcdef0123456789abcdef",
])
def test_clean_coded_values_pass(text):
    assert find_phi(_deny(), [("x", "field", text)]) == []


def test_hits_name_the_field_and_kind_never_the_value():
    hits = find_phi(_deny(), [("a", "condition key", "text:smith syndrome"), ("a", "condition key", "again Smith"),
                              ("b", "variant gene", None), ("c", "term", f"born {BIRTH}")])
    assert [(h.location, h.field, h.category) for h in hits] == [("a", "condition key", "name"),
                                                                ("c", "term", "birthDate")]
    assert all("mith" not in str(h) for h in hits)


def test_an_empty_deny_list_finds_nothing():
    assert find_phi(DenyList(), [("x", "y", "anything")]) == []


def test_pdf_attachments_are_decoded_and_inflated():
    deny = collect_phi(canary_bundle())
    for attachment in attachments():
        assert find_phi(deny, [("DiagnosticReport.presentedForm", "attachment", attachment["data"])])


def test_the_bundle_deny_list_covers_every_phi_bearing_field():
    deny = collect_phi(canary_bundle())
    carried = [CANARY[c] for c in ("FAM", "GIV", "MDN", "NIC", "UNI", "MRN", "PPN", "DLN", "CTY", "DST", "CON",
                                   "BPL", "MMN", "PRA", "PRT", "NPI", "ORG", "OID", "REL", "RTL", "FMH", "SPC",
                                   "ACC", "OBS", "CPA", "CRP", "DRI", "PLC", "RDS", "RID", "SER", "BID", "PID")]
    carried += [SSN, PHONE, f"7 {CANARY['STR']} Lane", BIRTH, "1935-03-03", "03601"]
    missed = [value for value in carried if not find_phi(deny, [("x", "y", f"... {value} ...")])]
    assert missed == []
