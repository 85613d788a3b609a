"""A synthetic, deterministic shared store of realistic size for the lookup benchmark, bulk-loaded directly.

``build_store`` migrates a fresh SQLite store (``Store.upgrade``) and fills it with SQLAlchemy Core inserts, one
transaction per batch of 25,000 variants with their aliases, submissions and aggregates (~230,000 rows); the ingest
path is not used (it has its own benchmark). The large tables go through ``_insert_many``: SQLAlchemy's INSERT
for the table, executed with the driver's executemany on rows already in stored form, which halves the load time
against ``conn.execute(insert(table), rows)``. Foreign keys stay on while loading, so every row must satisfy the
schema as the service sees it.

What it holds, for ``n`` variants (seeded: the same shape always gives the same store):

* 12 submitters: 11 laboratories and one expert panel;
* ``n`` GRCh38 allele variants keyed exactly as ``app.domain.variants.vcf_variant`` keys them (SNVs mostly, some
  deletions and insertions, already trimmed), in ~200 clinical genes; each gene owns a window of its chromosome
  and every variant there has its own position, so keys are unique by construction (positions and reference
  bases are synthetic, not the genes' real loci or sequence); each variant has its SPDI and one dbSNP rsID alias;
* a few hundred MONDO conditions (1-3 per gene) and ``not-specified``;
* 3 current submissions per variant from 3 distinct submitters (revision 1, store version 1); the terms agree
  with a per-variant "true" class mostly and drift to a neighbouring class sometimes; criteria are provided
  mostly; the condition is the gene's main one mostly;
* the aggregates: variant level (condition key "") and one per condition, computed with
  ``app.domain.aggregation.aggregate_variant`` from exactly the submissions inserted;
* store version 1 and ``ANALYZE`` statistics (sampled: ``PRAGMA analysis_limit``).

Variants (and so their submissions and aggregates) are inserted in id order, and submission ids are UUID-shaped
but sequential, so most index inserts append; only the key, locus and alias indexes take random inserts. The
builder's own connection uses a 1 GiB page cache, no rollback journal and ``synchronous=OFF`` (a failed build is
thrown away) and leaves the database in WAL mode; the benchmark then opens a fresh ``Store`` with the service's
own settings.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event, func, insert, select
from sqlalchemy.engine import Engine

from app.domain.accessions import CHROMOSOME_ACCESSIONS
from app.domain.aggregation import GERMLINE, VARIANT_LEVEL, SubmissionFacts, aggregate_variant
from app.domain.variants import variant_id_for_key, vcf_variant
from app.store import counters, tables
from app.store.database import Store

ASSEMBLY = "GRCh38"
MONDO_SYSTEM = "http://purl.obolibrary.org/obo/mondo.owl"
NOT_SPECIFIED = "not-specified"
CRITERIA = "acmg-amp-2015"
ORIGIN = "germline"
VERSION = 1
EPOCH = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)

CHROMOSOME_LENGTHS = {
    "1": 248_956_422, "2": 242_193_529, "3": 198_295_559, "4": 190_214_555, "5": 181_538_259, "6": 170_805_979,
    "7": 159_345_973, "8": 145_138_636, "9": 138_394_717, "10": 133_797_422, "11": 135_086_622, "12": 133_275_309,
    "13": 114_364_328, "14": 107_043_718, "15": 101_991_189, "16": 90_338_345, "17": 83_257_441, "18": 80_373_285,
    "19": 58_617_616, "20": 64_444_167, "21": 46_709_983, "22": 50_818_468, "X": 156_040_895,
}  # fmt: skip

# Clinical genes by chromosome (panel and ACMG secondary-finding genes); a trailing * marks a large, often
# tested gene that gets three times the share of variants.
GENES_BY_CHROMOSOME = """
1: MUTYH LMNA SDHB SDHC TNNT2 RYR2* NRAS GBA1 USH2A* ABCA4* CASQ2 DPYD ACADM MYOC
2: MSH2* MSH6* EPCAM TTN* ALK SPAST SCN1A* SCN2A COL3A1 BMPR2 APOB* ABCG5 ABCG8 TMEM127
3: MLH1* SCN5A* VHL BAP1 PIK3CA TGFBR2 CTNNB1 MITF RHO
4: FGFR3 KIT PDGFRA HTT PKD2 SNCA
5: APC* TERT SDHA NSD1 RAD50 MSH3 SMN1 NIPBL
6: HFE COL11A2 PKHD1 MMUT DSP* PLN LAMA2
7: PMS2* CFTR* BRAF EGFR KCNH2* MET ELN GCK SHH
8: NBN RECQL4 EXT1 CHD7 FGFR1
9: CDKN2A TSC1 PTCH1 NOTCH1 FANCC ABL1 GNAQ TGFBR1 ENG
10: PTEN* RET BMPR1A FGFR2 CDH23 PCDH15 LDB3
11: ATM* WT1 MEN1 KCNQ1* MYBPC3* HRAS SDHD CPT1A HBB SMPD1 DHCR7 ACAT1
12: KRAS CDK4 HNF1A PTPN11 PAH* VWF KMT2D LRRK2 SCN8A TBX5 POLE ERBB3
13: BRCA2* RB1 ATP7B FLT3 GJB2 PCCA ZIC2
14: MYH7* MYH6 DICER1 FOXG1 GCH1 SERPINA1 TSHR
15: FBN1* BLM TPM1 MAP2K1 CHD2 UBE3A FAH
16: PALB2* CDH1 TSC2* PKD1* FANCA CREBBP MC1R CYLD CTCF SALL1 GALNS
17: BRCA1* TP53* NF1* RAD51C RAD51D BRIP1 ERBB2 FLCN COL1A1 SOX9 SGCA GAA TCAP
18: SMAD4 DSC2 DSG2 NPC1 LAMA3 MC4R SETBP1
19: STK11 LDLR* APOE RYR1* SMARCA4 CACNA1A NOTCH3 INSR TNNI3 KEAP1 DNM2 MAN2B1 POLD1
20: GNAS JAG1 KCNQ2 SALL4 ADA
21: RUNX1 APP CBS SOD1 COL6A1 COL6A2 KCNE1
22: CHEK2* NF2 SMARCB1 MYH9 TBX1 LZTR1 EP300 SOX10 PDGFB
X: DMD* OTC GLA FMR1 MECP2 AR F8 F9 ATRX PHEX ABCD1 IL2RG BTK KDM5C PCDH19 CDKL5 L1CAM DCX ARX FLNA EMD TAFAZZIN
X: NDP RPGR OFD1
"""

# (name, role, relative share of submissions): fictional institutions.
SUBMITTERS = (
    ("Northgate Genomics Laboratory", "lab", 18), ("Riverside Molecular Diagnostics", "lab", 15),
    ("Harbor Clinical Sequencing", "lab", 12), ("St. Aldric University Hospital Genetics", "lab", 10),
    ("Meridian Hereditary Cancer Lab", "lab", 9), ("Lakeshore Cardiogenetics", "lab", 8),
    ("Pinecrest Children's Genomics", "lab", 7), ("Eastfield Reference Laboratory", "lab", 6),
    ("Summit Precision Medicine", "lab", 5), ("Valley Neurogenetics Service", "lab", 4),
    ("Coastal Regional Genetics", "lab", 3), ("Bench Variant Curation Expert Panel", "expert-panel", 1),
)  # fmt: skip
# The per-variant "true" class, in P..B order (neighbours drift into each other), and how often each occurs.
CLASSES = ("Pathogenic", "Likely pathogenic", "Uncertain significance", "Likely benign", "Benign")
CLASS_WEIGHTS = (10, 8, 45, 22, 15)
AGREEMENT = 0.85  # a submitter names the true class; otherwise a neighbouring one (rarely "risk factor")
CRITERIA_SHARE = 0.92  # laboratories that provide assertion criteria
BASES = "ACGT"
STEP = 4  # bases of a gene's window per variant: variant j of a gene lies at start + STEP * j + offset


@dataclass(frozen=True)
class Gene:
    """One gene: symbol, chromosome, the start of its window of the chromosome, weight and conditions."""

    symbol: str
    chromosome: str
    start: int
    weight: int
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class StoreShape:
    """How big the synthetic store is."""

    variants: int = 1_000_000
    submissions_per_variant: int = 3
    seed: int = 20240601
    batch: int = 25_000  # variants per transaction (with their aliases, submissions and aggregates)
    sample: int = 1_000  # variants whose expected answers are kept for correctness checks


@dataclass
class SyntheticStore:
    """A built store: where it is, what it holds and what a sample of its variants must answer."""

    database_url: str
    linkage_database_url: str
    database_path: Path
    keys: list[str]  # every variant key, in id order
    ids: list[str]  # the matching variant ids
    expected: dict[str, dict[str, Any]]  # variant id -> {key, aggregates {condition key: as_dict}, submissions, rsid}
    rows: dict[str, int] = field(default_factory=dict)  # counted back from the database
    seconds: dict[str, float] = field(default_factory=dict)  # build phases
    bytes: int = 0


def _genes(rng: random.Random) -> list[Gene]:
    by_chromosome: dict[str, list[str]] = {}
    for line in GENES_BY_CHROMOSOME.strip().splitlines():
        chromosome, symbols = line.split(":")
        by_chromosome.setdefault(chromosome.strip(), []).extend(symbols.split())
    genes, next_code = [], 7000
    for chromosome, symbols in by_chromosome.items():
        length = CHROMOSOME_LENGTHS[chromosome]
        for k, symbol in enumerate(symbols):
            count = rng.choice((1, 1, 2, 2, 3))
            codes = tuple(f"MONDO:{next_code + i:07d}" for i in range(count))
            next_code += count + rng.randrange(1, 40)
            genes.append(Gene(symbol.rstrip("*"), chromosome, length * (k + 1) // (len(symbols) + 1),
                              3 if symbol.endswith("*") else 1, codes))
    return genes


def _allele(rng: random.Random) -> tuple[str, str]:
    """Trimmed (ref, alt): an SNV mostly, else a 1-3 base deletion or insertion (empty allele = "")."""
    shape = rng.random()
    if shape < 0.87:
        ref = rng.choice(BASES)
        return ref, rng.choice(BASES.replace(ref, ""))
    bases = "".join(rng.choices(BASES, k=rng.choice((1, 1, 1, 2, 3))))
    return (bases, "") if shape < 0.95 else ("", bases)


def _variants(shape: StoreShape, genes: list[Gene], rng: random.Random) -> list[tuple]:
    """(id, key, gene, chromosome, position, ref, alt, spdi) of every variant, in id order."""
    assigned = rng.choices(range(len(genes)), weights=[g.weight for g in genes], k=shape.variants)
    next_in_gene = [0] * len(genes)
    rows = []
    for gene_no in assigned:
        gene = genes[gene_no]
        position = gene.start + STEP * next_in_gene[gene_no] + rng.randrange(STEP - 1)
        next_in_gene[gene_no] += 1
        ref, alt = _allele(rng)
        key = f"{ASSEMBLY}:{gene.chromosome}:{position}:{ref or '-'}:{alt or '-'}"
        spdi = f"{CHROMOSOME_ACCESSIONS[(ASSEMBLY, gene.chromosome)]}:{position - 1}:{ref}:{alt}"
        rows.append((variant_id_for_key(key), key, gene_no, gene.chromosome, position, ref, alt, spdi))
    rows.sort()
    return rows


def _check_keys(rows: list[tuple], genes: list[Gene], every: int) -> None:
    """The keys and SPDIs are what the domain model makes of the same alleles (checked on every n-th variant)."""
    for variant_id, key, gene_no, chromosome, position, ref, alt, spdi in rows[::every]:
        made = vcf_variant(ASSEMBLY, chromosome, position, ref, alt, genes[gene_no].symbol)
        assert (made.key, made.spdi, variant_id_for_key(made.key)) == (key, spdi, variant_id), key


def _neighbour(rng: random.Random, term: str) -> str:
    if rng.random() < 0.03:
        return "risk factor"
    at = CLASSES.index(term)
    options = [CLASSES[i] for i in (at - 1, at + 1) if 0 <= i < len(CLASSES)]
    return rng.choice(options)


def _build_engine(url: str) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=OFF")  # a load that fails is thrown away; WAL is restored at the end
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1048576")  # KiB: 1 GiB
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return engine


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(insert(table), rows)`` without SQLAlchemy's per-row parameter processing.

    The statement is SQLAlchemy's own INSERT compiled for SQLite; the rows already hold what its bind processors
    would send (bool, int, str, None; dates as ISO strings), so the driver's executemany gets them as they are.
    This saves about a third of the load time of a million-variant store.
    """
    columns = list(rows[0])
    statement = str(insert(table).compile(dialect=conn.dialect, column_keys=columns))
    conn.exec_driver_sql(statement, [tuple(row.values()) for row in rows])


class _Loader:
    """Generates and inserts one batch of variants at a time."""

    def __init__(self, shape: StoreShape, genes: list[Gene], submitter_rows: list[dict], rng: random.Random) -> None:
        self.shape, self.genes, self.rng = shape, genes, rng
        self.submitters = [(row["id"], row["role"]) for row in submitter_rows]
        self.weights = [share for _, _, share in SUBMITTERS]
        self.submission_no = 0
        self.aggregate_seconds = 0.0
        self.counts: Counter[str] = Counter()

    def _pick_submitters(self) -> list[tuple[str, str]]:
        chosen: dict[int, None] = {}
        while len(chosen) < self.shape.submissions_per_variant:
            chosen[self.rng.choices(range(len(self.submitters)), weights=self.weights)[0]] = None
        return [self.submitters[i] for i in chosen]

    def _condition(self, gene: Gene) -> str:
        roll = self.rng.random()
        if roll < 0.12:
            return NOT_SPECIFIED
        if roll < 0.22 and len(gene.conditions) > 1:
            return self.rng.choice(gene.conditions[1:])
        return gene.conditions[0]

    def batch(self, rows: list[tuple], rsids: Iterable[int], expect: set[str]) -> tuple[dict, dict[str, Any]]:
        """(rows per table, expected answers of the sampled variants) for one batch of variants."""
        rng = self.rng
        out: dict[str, list[dict]] = {"variants": [], "variant_aliases": [], "submissions": [], "aggregates": []}
        expected: dict[str, Any] = {}
        for (variant_id, key, gene_no, chromosome, position, ref, alt, spdi), rsid in zip(rows, rsids, strict=True):
            gene = self.genes[gene_no]
            out["variants"].append({
                "id": variant_id, "key": key, "kind": "allele", "normalised": True, "assembly": ASSEMBLY,
                "chromosome": chromosome, "position": position, "ref": ref, "alt": alt, "spdi": spdi,
                "gene": gene.symbol, "merged_into": None, "created_version": VERSION})
            out["variant_aliases"].append({"variant_id": variant_id, "kind": "dbsnp", "value": f"rs{rsid}",
                                           "created_version": VERSION})
            true_class = rng.choices(CLASSES, weights=CLASS_WEIGHTS)[0]
            facts = []
            for submitter_id, role in self._pick_submitters():
                term = true_class if rng.random() < AGREEMENT else _neighbour(rng, true_class)
                criteria = role != "lab" or rng.random() < CRITERIA_SHARE
                condition = self._condition(gene)
                evaluated = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(4000))
                self.submission_no += 1
                out["submissions"].append({
                    "id": f"5e1ec7ed-0000-4000-8000-{self.submission_no:012x}", "submitter_id": submitter_id,
                    "variant_id": variant_id, "condition_key": condition, "classification_type": GERMLINE,
                    "term": term, "term_recognised": True, "criteria_provided": criteria,
                    "criteria_code": CRITERIA if criteria else None, "date_last_evaluated": evaluated.isoformat(),
                    "date_last_evaluated_precision": "day", "mode_of_inheritance": None, "origin": ORIGIN,
                    "revision": 1, "report_id": None, "created_version": VERSION, "superseded_version": None,
                    "retracted": False, "flagged": False})
                facts.append(SubmissionFacts(submitter_id, role, term, criteria, condition, evaluated))
            started = time.perf_counter()
            overall, per_condition = aggregate_variant(facts)
            self.aggregate_seconds += time.perf_counter() - started
            answers = {VARIANT_LEVEL: overall, **per_condition}
            for condition_key, aggregate in answers.items():
                out["aggregates"].append({
                    "variant_id": variant_id, "condition_key": condition_key, "classification_type": GERMLINE,
                    "classification": aggregate.classification, "review_status": aggregate.review_status,
                    "stars": aggregate.stars, "conflict": aggregate.conflict, "explanation": aggregate.explanation,
                    "submitter_count": aggregate.submitter_count,
                    "last_evaluated": aggregate.last_evaluated.isoformat() if aggregate.last_evaluated else None,
                    "computed_version": VERSION})
            if variant_id in expect:
                expected[variant_id] = {"key": key, "rsid": f"rs{rsid}", "submissions": len(facts),
                                        "aggregates": {c: a.as_dict() for c, a in answers.items()}}
        return out, expected


def build_store(folder: Path, shape: StoreShape) -> SyntheticStore:
    """Create, migrate and fill the store in ``folder`` (store.db and vault.db); see the module docstring."""
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    path = folder / "store.db"
    url, vault_url = f"sqlite:///{path}", f"sqlite:///{folder / 'vault.db'}"
    store = Store(url, vault_url)
    store.upgrade()
    store.dispose()
    seconds["migrate"] = time.perf_counter() - began

    started = time.perf_counter()
    rng = random.Random(shape.seed)
    genes = _genes(rng)
    rows = _variants(shape, genes, rng)
    _check_keys(rows, genes, max(1, len(rows) // 2000))
    rsids = rng.sample(range(1_000_000, 2_000_000_000), len(rows))
    expect = {rows[i][0] for i in range(0, len(rows), max(1, len(rows) // shape.sample))}
    seconds["generate variants"] = time.perf_counter() - started

    engine = _build_engine(url)
    now = EPOCH
    submitter_rows = [{"id": f"5ab00000-0000-4000-8000-{i + 1:012x}", "name": name, "role": role,
                       "is_demo": False, "disabled": False, "created_at": now, "updated_at": now}
                      for i, (name, role, _) in enumerate(SUBMITTERS)]
    condition_rows = [{"key": NOT_SPECIFIED, "system": None, "code": None, "label": None}]
    condition_rows += [{"key": code, "system": MONDO_SYSTEM, "code": code, "label": "MONDO"}
                       for code in sorted({c for g in genes for c in g.conditions})]
    loader = _Loader(shape, genes, submitter_rows, rng)
    expected: dict[str, Any] = {}
    insert_seconds = 0.0
    try:
        with engine.begin() as conn:
            conn.execute(insert(tables.store_versions), [{
                "version": VERSION, "committed_at": now, "submitter_id": None, "kind": "bench",
                "summary": {"synthetic": True, "variants": shape.variants}}])
            conn.execute(insert(tables.submitters), submitter_rows)
            conn.execute(insert(tables.conditions), condition_rows)
        generate_seconds = 0.0
        for start in range(0, len(rows), shape.batch):
            started = time.perf_counter()
            batch, sampled = loader.batch(rows[start:start + shape.batch], rsids[start:start + shape.batch], expect)
            expected.update(sampled)
            generate_seconds += time.perf_counter() - started
            started = time.perf_counter()
            with engine.begin() as conn:
                for name in ("variants", "variant_aliases", "submissions", "aggregates"):
                    _insert_many(conn, tables.metadata.tables[name], batch[name])
            insert_seconds += time.perf_counter() - started
        seconds["generate rows"] = generate_seconds - loader.aggregate_seconds
        seconds["aggregate (aggregate_variant)"] = loader.aggregate_seconds
        seconds["insert"] = insert_seconds
        with engine.begin() as conn:  # bulk inserts bypass the writes that keep the headline counts
            counters.store_recount(conn)

        started = time.perf_counter()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # as the service runs it
        seconds["analyze"] = time.perf_counter() - started
        with engine.connect() as conn:
            counted = {name: conn.execute(select(func.count()).select_from(tables.metadata.tables[name])).scalar_one()
                       for name in ("submitters", "conditions", "variants", "variant_aliases", "submissions",
                                    "aggregates", "store_versions")}
    finally:
        engine.dispose()
    seconds["total"] = time.perf_counter() - began
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return SyntheticStore(url, vault_url, path, [r[1] for r in rows], [r[0] for r in rows], expected, counted,
                          seconds, size)
