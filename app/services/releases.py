"""Releases: named, immutable snapshots of the store with checksummed exports.

Each release freezes the store version it was made at and writes two files under the release directory:
``variant_summary.tsv`` (one row per variant and per variant-condition, in the spirit of ClinVar's
variant_summary.txt) and ``variants.jsonl`` (one JSON object per variant). Their SHA-256 checksums are
recorded in the store; files are written once, made read-only, and verified on demand.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import orjson

from app.audit.events import ALL_SUBMITTERS, EXPORT, AuditEvent, entity, submitter
from app.domain.aggregation import VARIANT_LEVEL
from app.services.audit import record_disclosure, record_event
from app.services.failures import store_failures_as_unavailable
from app.services.tenants import Caller
from app.store import releases as repo
from app.store.database import Store

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")
FILES = ("variant_summary.tsv", "variants.jsonl")
TSV_COLUMNS = ("VariantID", "Key", "Kind", "Normalised", "GeneSymbol", "Assembly", "Chromosome", "Position",
               "ReferenceAllele", "AlternateAllele", "SPDI", "ClassificationType", "Condition",
               "ClinicalSignificance", "ReviewStatus", "Stars", "Conflict", "ConflictExplanation",
               "NumberSubmitters", "LastEvaluated", "StoreVersion")


class ReleaseError(Exception):
    """A release request that cannot be carried out; ``status`` is the HTTP-style status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class Releases:
    """Create, list, read and verify releases."""

    def __init__(self, store: Store, release_dir: str) -> None:
        self._store = store
        self._dir = Path(release_dir)

    def create(self, name: str) -> dict[str, Any]:
        """Freeze the current store version under ``name`` and write its export files."""
        if not NAME.match(name or ""):
            raise ReleaseError(400, "a release name is 1-100 letters, digits, dots, underscores or hyphens")
        target = self._dir / name
        with store_failures_as_unavailable():
            with self._store.reading() as conn:
                if repo.find_release(conn, name) is not None:
                    raise ReleaseError(409, f"release {name!r} exists; releases are immutable")
            if target.exists():
                raise ReleaseError(409, f"{target} exists; remove it or choose another name")
            staging = self._dir / f".{name}.partial"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            try:
                with self._store.snapshot() as conn:
                    version = repo.current_version(conn)
                    files = self._write_exports(conn, staging, version)
                for path in staging.iterdir():
                    path.chmod(0o444)
                staging.rename(target)
                with self._store.unit_of_work() as uow:
                    repo.insert_release(uow.conn, name, version, files)
                    record_event(uow, AuditEvent.of(EXPORT, "R", client="varshare release", entities=[
                        entity("release", name, storeVersion=version),
                        *(entity("file", f["name"], sha256=f["sha256"]) for f in files)]))
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                if target.exists() and not self._recorded(name):
                    _remove_readonly_tree(target)
                raise
        return {"name": name, "version": version, "files": files}

    def _recorded(self, name: str) -> bool:
        with self._store.reading() as conn:
            return repo.find_release(conn, name) is not None

    def _write_exports(self, conn, folder: Path, version: int) -> list[dict[str, Any]]:
        tsv_path, jsonl_path = folder / FILES[0], folder / FILES[1]
        with tsv_path.open("w", newline="", encoding="utf-8") as tsv, jsonl_path.open("wb") as jsonl:
            writer = csv.writer(tsv, delimiter="\t", lineterminator="\n")
            tsv.write("#" + "\t".join(TSV_COLUMNS) + "\n")
            for variant, aggregates, aliases in repo.export_rows(conn):
                for row in aggregates:
                    writer.writerow([_text(v) for v in (
                        variant["id"], variant["key"], variant["kind"], variant["normalised"], variant["gene"],
                        variant["assembly"], variant["chromosome"], variant["position"], variant["ref"],
                        variant["alt"], variant["spdi"], row["classification_type"],
                        row["condition_key"] or "all conditions", row["classification"], row["review_status"],
                        row["stars"], row["conflict"], row["explanation"], row["submitter_count"],
                        row["last_evaluated"], version)])
                jsonl.write(orjson.dumps(_variant_document(variant, aggregates, aliases, version)) + b"\n")
        return [_describe(path) for path in (tsv_path, jsonl_path)]

    def list(self) -> list[dict[str, Any]]:
        """Every release, newest first."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            return [_release_json(r) for r in repo.list_releases(conn)]

    def get(self, name: str) -> dict[str, Any] | None:
        """One release with its files and checksums."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            row = repo.find_release(conn, name)
        return _release_json(row) if row else None

    def file_path(self, name: str, file_name: str) -> tuple[Path, str] | None:
        """The path and recorded SHA-256 of one release file (None when unknown)."""
        release = self.get(name)
        if release is None:
            return None
        entry = next((f for f in release["files"] if f["name"] == file_name), None)
        if entry is None:
            return None
        return self._dir / name / file_name, entry["sha256"]

    def record_download(self, reader: Caller, name: str, file_name: str, sha256: str) -> None:
        """Audit a release file leaving the service (DICOM Export; it holds every institution's aggregates).

        Fails closed (StoreUnavailable) so no file is sent without its event."""
        record_disclosure(self._store, AuditEvent.of(EXPORT, "R", submitter_id=reader.submitter_id,
                                                     client=reader.name, entities=[
            entity("release", name), entity("file", file_name, sha256=sha256), submitter(ALL_SUBMITTERS)]))

    def verify(self, name: str) -> list[str]:
        """Problems found re-checking a release's files against their recorded checksums (empty = intact)."""
        release = self.get(name)
        if release is None:
            raise ReleaseError(404, f"no release named {name!r}")
        problems = []
        for entry in release["files"]:
            path = self._dir / name / entry["name"]
            if not path.exists():
                problems.append(f"{entry['name']}: missing")
            elif _describe(path)["sha256"] != entry["sha256"]:
                problems.append(f"{entry['name']}: checksum differs from the one recorded at release")
        return problems


def _variant_document(variant: dict, aggregates: list[dict], aliases: list[tuple[str, str]], version: int) -> dict:
    def aggregate(row: dict) -> dict:
        last = row["last_evaluated"]
        return {"classification": row["classification"], "review_status": row["review_status"],
                "stars": row["stars"], "conflict": bool(row["conflict"]), "explanation": row["explanation"],
                "submitter_count": row["submitter_count"], "last_evaluated": last.isoformat() if last else None}

    fields = ("id", "key", "kind", "assembly", "chromosome", "position", "ref", "alt", "spdi", "gene")
    document = {f: variant[f] for f in fields if variant[f] is not None}
    document["normalised"] = bool(variant["normalised"])
    document["aliases"] = [{"kind": k, "value": v} for k, v in aliases]
    document["aggregates"] = [{"classification_type": r["classification_type"],
                               "condition": r["condition_key"] if r["condition_key"] != VARIANT_LEVEL else None,
                               **aggregate(r)} for r in aggregates]
    document["store_version"] = version
    return document


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def _release_json(row: dict[str, Any]) -> dict[str, Any]:
    created = row["created_at"]
    return {"name": row["name"], "version": row["version"],
            "created_at": created.isoformat() if hasattr(created, "isoformat") else created, "files": row["files"]}


def _remove_readonly_tree(path: Path) -> None:
    for child in path.iterdir():
        os.chmod(child, 0o644)
    shutil.rmtree(path, ignore_errors=True)


