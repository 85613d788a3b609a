"""Canary bundles: synthetic Genomics Reporting reports with a unique canary string in every PHI-bearing field.

Each canary is ``Qzx`` + a three-letter field code + 6 hex digits from a fixed seed, so a hit names the field
that leaked (see README.md). ``canary_bundle()`` is a full lab report about one patient (born 1961);
``elderly_bundle()`` is the same report about a patient born in 1930 (the "90+" case); ``negative_bundles()``
hide the patient's name in one allowlisted field each and must be refused.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import random
import zlib

SEED = 4242
_rng = random.Random(SEED)
CODES = ("FAM", "GIV", "MDN", "NIC", "UNI", "MRN", "PPN", "DLN", "STR", "CTY", "DST", "PID", "CON", "PHO", "BPL",
         "MMN", "EXT", "MEX", "CEX", "NAR", "SRC", "TAG", "PRA", "NPI", "PRT", "ORG", "OID", "REL", "RTL", "FMH",
         "FMT", "FMN", "SPC", "ACC", "OBS", "NOT", "CPA", "CRP", "DSP", "CTX", "MET", "COT", "DRI", "PLC", "CNC",
         "PDF", "FLT", "TXT", "TTL", "RDS", "SER", "BID", "LNK", "VNM", "EML", "URL", "ATT", "RID", "DIV")
CANARY = {code: f"Qzx{code}{_rng.randrange(16 ** 6):06x}" for code in CODES}
SSN = "999-41-7309"
PHONE = "+1-202-555-0143"
FAX = "+1-202-555-0178"
EMAIL = f"qzx.mail.{CANARY['EML'][-6:]}@example.invalid"
WEB = f"https://qzx-{CANARY['URL'][-6:]}.example.invalid/p"
BIRTH, ELDERLY_BIRTH, COLLECTED = "1961-07-23", "1930-02-14", "2024-04-30"
IP4, IP6 = "192.0.2.77", "2001:db8::77"
ZIPS = ("03601", "12345")
LOINC = "http://loinc.org"
PATIENT = "urn:uuid:0c0c0c0c-0000-4000-8000-000000000001"
MRN_SYSTEM = "http://hospital.example/mrn"


def _cc(code, system=LOINC, display=None, text=None):
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    return {"coding": [coding], **({"text": text} if text else {})}


def _comp(code, **value):
    return {"code": _cc(code), **value}


def _sentence(*codes: str) -> str:
    return " ".join(["Patient", *(CANARY[c] for c in codes), "born", BIRTH, "MRN", CANARY["MRN"], "SSN", SSN])


def _narrative(code: str) -> dict:
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{_sentence(code)}</div>'}


def _pdf(text: str, compress: bool) -> bytes:
    content = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    stream = zlib.compress(content) if compress else content
    head = b"/Filter /FlateDecode " if compress else b""
    return (b"%PDF-1.4\n1 0 obj << /Length " + str(len(stream)).encode() + b" " + head + b">>\nstream\n" + stream
            + b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def attachments() -> list[dict]:
    """presentedForm: an uncompressed PDF, a FlateDecode PDF and text/plain, each carrying canaries."""
    plain = _pdf(_sentence("PDF"), compress=False)
    flate = _pdf(_sentence("FLT"), compress=True)
    text = _sentence("TXT").encode()
    return [{"contentType": kind, "data": base64.b64encode(data).decode(), "title": CANARY["TTL"],
             "url": f"https://qzx-att.example.invalid/{CANARY['ATT']}.pdf",
             "hash": base64.b64encode(hashlib.sha1(data).digest()).decode()}
            for kind, data in (("application/pdf", plain), ("application/pdf", flate), ("text/plain", text))]


def _address(code: str, postal: str) -> dict:
    return {"line": [f"7 {CANARY['STR']} Lane"], "city": CANARY["CTY"], "district": CANARY["DST"],
            "postalCode": postal, "state": "NH", "country": "US", "text": f"7 {CANARY['STR']} Lane {CANARY[code]}"}


def _telecom() -> list[dict]:
    return [{"system": "phone", "value": PHONE}, {"system": "fax", "value": FAX},
            {"system": "email", "value": EMAIL}, {"system": "url", "value": WEB}]


def patient(birth: str = BIRTH) -> dict:
    """The patient, with canaries in names, identifiers, address, telecom, photo, extensions and narrative."""
    return {
        "resourceType": "Patient", "id": CANARY["PID"],
        "meta": {"source": f"https://qzx-src.example.invalid/{IP4}/#{CANARY['SRC']}",
                 "tag": [{"system": "http://example.invalid/tags", "code": "t", "display": CANARY["TAG"]}]},
        "text": _narrative("NAR"),
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
             "valueAddress": {"city": CANARY["BPL"], "country": "US"}},
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": CANARY["MMN"]},
            {"url": "http://example.invalid/fhir/unknown-extension", "valueString": CANARY["EXT"]},
        ],
        "modifierExtension": [{"url": "http://example.invalid/fhir/modifier", "valueString": CANARY["MEX"]}],
        "identifier": [
            {"type": _cc("MR", "http://terminology.hl7.org/CodeSystem/v2-0203"), "system": MRN_SYSTEM,
             "value": CANARY["MRN"]},
            {"type": _cc("SS", "http://terminology.hl7.org/CodeSystem/v2-0203"),
             "system": "http://hl7.org/fhir/sid/us-ssn", "value": SSN},
            {"type": _cc("PPN", "http://terminology.hl7.org/CodeSystem/v2-0203"),
             "system": "http://example.invalid/passport", "value": CANARY["PPN"]},
            {"type": _cc("DL", "http://terminology.hl7.org/CodeSystem/v2-0203"),
             "system": "http://example.invalid/dl", "value": CANARY["DLN"]},
        ],
        "name": [{"use": "official", "family": CANARY["FAM"], "given": [CANARY["GIV"]]},
                 {"use": "maiden", "family": CANARY["MDN"]},
                 {"use": "nickname", "given": [CANARY["NIC"]]},
                 {"use": "usual", "text": f"Zoë {CANARY['UNI']}"}],
        "telecom": _telecom(),
        "gender": "female",
        "birthDate": birth,
        "address": [_address("CTY", ZIPS[0]), _address("DST", ZIPS[1])],
        "photo": [{"contentType": "image/png", "data": base64.b64encode(CANARY["PHO"].encode()).decode()}],
        "contact": [{"name": {"family": CANARY["CON"]}, "telecom": [{"system": "phone", "value": PHONE}]}],
    }


def _practitioner() -> dict:
    return {"resourceType": "Practitioner", "id": "pr1", "text": _narrative("DIV"),
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": CANARY["NPI"]}],
            "name": [{"family": CANARY["PRA"], "given": [CANARY["PRT"]]}], "telecom": _telecom(),
            "address": [_address("CTY", ZIPS[1])]}


def _organization() -> dict:
    return {"resourceType": "Organization", "id": "lab", "name": CANARY["ORG"],
            "identifier": [{"system": "http://lab.example/id", "value": CANARY["OID"]}],
            "telecom": _telecom(), "address": [_address("CTY", ZIPS[1])]}


def _related_person() -> dict:
    return {"resourceType": "RelatedPerson", "id": "rp1", "patient": {"reference": PATIENT},
            "relationship": [_cc("MTH", "http://terminology.hl7.org/CodeSystem/v3-RoleCode")],
            "name": [{"family": CANARY["REL"]}], "telecom": [{"system": "phone", "value": CANARY["RTL"]}],
            "birthDate": "1935-03-03", "address": [_address("CTY", ZIPS[0])]}


def _family_history() -> dict:
    return {"resourceType": "FamilyMemberHistory", "id": "fmh1", "status": "completed",
            "patient": {"reference": PATIENT, "display": CANARY["RDS"]}, "name": CANARY["FMH"],
            "relationship": _cc("MTH", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "mother"),
            "sex": _cc("female", "http://hl7.org/fhir/administrative-gender"), "bornDate": "1935-03-03",
            "note": [{"text": _sentence("FMN")}],
            "condition": [{"code": _cc("254837009", "http://snomed.info/sct", CANARY["FMT"], CANARY["FMT"]),
                           "note": [{"text": _sentence("FMN")}]}]}


def _specimen() -> dict:
    return {"resourceType": "Specimen", "id": "sp1", "subject": {"reference": PATIENT},
            "identifier": [{"value": CANARY["SPC"]}], "accessionIdentifier": {"value": CANARY["ACC"]},
            "collection": {"collectedDateTime": f"{COLLECTED}T09:15:00Z"}}


def _device() -> dict:
    return {"resourceType": "Device", "id": "dev1", "serialNumber": CANARY["SER"]}


def _variant() -> dict:
    return {
        "resourceType": "Observation", "id": "v1", "status": "final", "text": _narrative("DIV"),
        "identifier": [{"value": CANARY["OBS"]}],
        "contained": [
            {"resourceType": "Patient", "id": "cp", "name": [{"family": CANARY["CPA"]}], "birthDate": BIRTH},
            {"resourceType": "RelatedPerson", "id": "crp", "patient": {"reference": PATIENT},
             "name": [{"family": CANARY["CRP"]}]},
        ],
        "code": _cc("69548-6", display=CANARY["DSP"]),
        "subject": {"reference": PATIENT, "display": CANARY["RDS"]},
        "effectiveDateTime": COLLECTED, "issued": "2024-05-03T10:00:00+02:00",
        "specimen": {"reference": "urn:uuid:0c0c0c0c-0000-4000-8000-0000000000a1"},
        "note": [{"text": _sentence("NOT")}],
        "valueCodeableConcept": _cc("LA9633-4", display="Present"),
        "component": [
            _comp("48018-6", valueCodeableConcept=_cc("HGNC:1100", "http://www.genenames.org", "BRCA1")),
            _comp("62374-4", valueCodeableConcept=_cc("LA26806-2", display="GRCh38")),
            _comp("81252-9", valueCodeableConcept=_cc("NC_000017.11:43045711:G:A",
                                                      "https://api.ncbi.nlm.nih.gov/variation/v0/")),
            _comp("81252-9", valueCodeableConcept=_cc("55601", "http://www.ncbi.nlm.nih.gov/clinvar")),
            _comp("48002-0", valueCodeableConcept=_cc("LA6683-2")),
            {**_comp("53034-5", valueCodeableConcept=_cc("LA6706-1", text=CANARY["CTX"])),
             "extension": [{"url": "http://example.invalid/fhir/component-ext", "valueString": CANARY["CEX"]}]},
        ],
    }


def _implication() -> dict:
    return {
        "resourceType": "Observation", "id": "i1", "status": "final",
        "code": _cc("diagnostic-implication", "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"),
        "subject": {"reference": PATIENT}, "derivedFrom": [{"reference": _u(1), "display": CANARY["VNM"]}],
        "effectiveDateTime": "2024-05-01", "method": {"text": CANARY["MET"]},
        "component": [
            _comp("53037-8", valueCodeableConcept=_cc("LA6668-3", display="Pathogenic")),
            _comp("81259-4", valueCodeableConcept=_cc("MONDO:0011450", "http://purl.obolibrary.org/obo/mondo.owl",
                                                      CANARY["DSP"], CANARY["CTX"])),
        ],
    }


def _phenotypes() -> list[dict]:
    observation = {"resourceType": "Observation", "id": "ph1", "status": "final",
                   "code": _cc("HP:0003002", "http://human-phenotype-ontology.org", CANARY["DSP"]),
                   "valueBoolean": True, "subject": {"reference": PATIENT}}
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": PATIENT},
                 "code": {"coding": [{"system": "http://snomed.info/sct", "code": "254837009"}],
                          "text": CANARY["COT"]},
                 "note": [{"text": _sentence("NOT")}], "onsetDateTime": "2020-02-02"}
    return [observation, condition]


def _report() -> dict:
    return {
        "resourceType": "DiagnosticReport", "id": "dr", "text": _narrative("DIV"),
        "identifier": [{"system": "http://lab.example/reports", "value": CANARY["DRI"]}],
        "basedOn": [{"identifier": {"value": CANARY["PLC"]}, "display": CANARY["RDS"]}],
        "status": "final", "code": _cc("51969-4"), "subject": {"reference": PATIENT, "display": CANARY["RDS"]},
        "effectiveDateTime": COLLECTED, "issued": "2024-05-03T10:00:00+02:00",
        "performer": [{"reference": "urn:uuid:0c0c0c0c-0000-4000-8000-00000000000f", "display": CANARY["ORG"]}],
        "resultsInterpreter": [{"reference": "urn:uuid:0c0c0c0c-0000-4000-8000-0000000000b1",
                                "display": CANARY["RID"]}],
        "specimen": [{"reference": "urn:uuid:0c0c0c0c-0000-4000-8000-0000000000a1"}],
        "result": [{"reference": _u(1)}, {"reference": _u(2)}],
        "conclusion": _sentence("CNC"), "presentedForm": attachments(),
    }


def _u(n: int) -> str:
    return f"urn:uuid:0c0c0c0c-1111-4000-8000-{n:012d}"


def canary_bundle(birth: str = BIRTH) -> dict:
    """The full canary report (a collection Bundle) about one patient."""
    entries = [(PATIENT, patient(birth)), ("urn:uuid:0c0c0c0c-0000-4000-8000-00000000000f", _organization()),
               ("urn:uuid:0c0c0c0c-0000-4000-8000-0000000000b1", _practitioner()),
               ("urn:uuid:0c0c0c0c-0000-4000-8000-0000000000a1", _specimen()),
               ("urn:uuid:0c0c0c0c-0000-4000-8000-0000000000c1", _related_person()),
               ("urn:uuid:0c0c0c0c-0000-4000-8000-0000000000c2", _family_history()),
               ("urn:uuid:0c0c0c0c-0000-4000-8000-0000000000d1", _device()),
               (_u(1), _variant()), (_u(2), _implication()),
               *((_u(3 + i), r) for i, r in enumerate(_phenotypes())), (_u(9), _report())]
    return {"resourceType": "Bundle", "type": "collection",
            "meta": {"source": f"http://{IP4}/{CANARY['SRC']}", "tag": [{"code": "x", "display": CANARY["TAG"]}]},
            "identifier": {"system": "http://lab.example/bundles", "value": CANARY["BID"]},
            "link": [{"relation": "self", "url": f"https://qzx-link.example.invalid/Patient?identifier="
                                                 f"{CANARY['MRN']}&ip={IP6}#{CANARY['LNK']}"}],
            "timestamp": "2024-05-03T10:00:00+02:00",
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries]}


def elderly_bundle() -> dict:
    """The same report about a patient born in 1930 (94 at the report: stored as "90+", no report year)."""
    bundle = canary_bundle(ELDERLY_BIRTH)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["identifier"][0]["value"] += "E"  # another patient
        if resource["resourceType"] == "DiagnosticReport":
            resource["identifier"][0]["value"] += "E"
    return bundle


def _with(bundle: dict, edit, suffix: str) -> dict:
    copied = copy.deepcopy(bundle)
    for entry in copied["entry"]:
        edit(entry["resource"])
        if entry["resource"]["resourceType"] == "DiagnosticReport":  # a new report, not a duplicate
            entry["resource"]["identifier"][0]["value"] += suffix
    return copied


def negative_bundles() -> dict[str, dict]:
    """Bundles hiding the patient's family name in one allowlisted field each: each must be refused (422)."""
    name = CANARY["FAM"]

    def in_hgvs(resource: dict) -> None:
        if resource.get("id") == "v1":
            resource["component"].append(_comp("48004-6", valueCodeableConcept=_cc(
                f"NM_007294.4:c.68_69del[{name}]", "http://varnomen.hgvs.org")))

    def in_text_alias(resource: dict) -> None:
        if resource.get("id") == "v1":
            resource["component"].append(_comp("81252-9", valueCodeableConcept={"text": f"{name.upper()} L858R"}))

    def in_condition_text(resource: dict) -> None:
        if resource.get("id") == "i1":
            resource["component"][1] = _comp("81259-4", valueCodeableConcept={"text": f"syndrome of {name}"})

    def in_condition_code(resource: dict) -> None:
        if resource.get("id") == "i1":
            resource["component"][1] = _comp("81259-4", valueCodeableConcept=_cc(name, "http://example.invalid/cs"))

    def in_hgvs_string(resource: dict) -> None:
        if resource.get("id") == "v1":
            resource["component"].append(_comp("48004-6", valueString=f"NM_007294.4:c.68_69del{name}"))

    base = canary_bundle()
    edits = {"hgvs-code": in_hgvs, "text-alias": in_text_alias, "condition-text": in_condition_text,
             "condition-code": in_condition_code, "hgvs-value-string": in_hgvs_string}
    return {name: _with(base, edit, f"N{i}") for i, (name, edit) in enumerate(edits.items())}


def canaries() -> dict[str, list[str]]:
    """label -> the forms to search for (case-insensitive), including digits-only and other date formats."""
    out = {code: [value] for code, value in CANARY.items()}
    out["SSN"] = [SSN, "999417309"]
    out["PHONE"] = [PHONE, "2025550143"]
    out["FAX"] = [FAX, "2025550178"]
    out["EMAIL"], out["WEB"], out["IP"] = [EMAIL], [WEB, WEB.split("//")[1]], [IP4, IP6]
    out["ZIP"] = [f'"{z}"' for z in ZIPS]
    for label, day in (("BIRTH", BIRTH), ("ELDERLY_BIRTH", ELDERLY_BIRTH), ("COLLECTED", COLLECTED)):
        y, m, d = day.split("-")
        out[label] = [day, f"{y}{m}{d}", f"{m}/{d}/{y}", f"{d}.{m}.{y}"] + ([f"{y}-{m}"] if label != "COLLECTED"
                                                                           else [])
    out["ATTACHMENT"] = [a["data"][:32] for a in attachments()]
    return out
