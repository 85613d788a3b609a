"""The sandbox world's catalogue: genes, conditions and variants (pure data, deterministic).

Genes carry their HGNC id, chromosome, approximate GRCh38 extent and strand, MANE-style transcript and the
condition their classifications are for. Variants come in two kinds:

- **Real** variants (``synthetic=False``): well-known alleles whose GRCh38 (and, for a few, GRCh37) VCF-style
  coordinates, dbSNP ids and HGVS follow dbSNP/ClinVar (e.g. CFTR F508del, HFE C282Y, TP53 R175H, BRCA1
  c.5266dupC, CYP2C19*2). Their classifications in the sandbox are invented: they tell a story, not the
  current ClinVar record.
- **Synthetic** variants (``synthetic=True``): positions drawn with a fixed seed inside the gene's GRCh38
  extent, random reference and alternate bases, and a c./p. HGVS of the right shape but invented numbering.
  varshare does not check bases against a genome, so they behave like any other allele; they are not real.

Every variant has a stable ``handle`` (``"CFTR F508del"`` for real ones, ``"LDLR#2"`` for synthetic ones) that
the scenarios and synthetic patients refer to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SEED = 20250601
MONDO = "http://purl.obolibrary.org/obo/mondo.owl"
OMIM = "http://www.omim.org"
TEXT = ""  # a condition named only by text (the drug-response "conditions", as ClinVar writes them)

# NC_ accessions of the chromosomes used, per assembly.
ACCESSIONS = {
    "GRCh38": {"1": "NC_000001.11", "2": "NC_000002.12", "3": "NC_000003.12", "6": "NC_000006.12",
               "7": "NC_000007.14", "10": "NC_000010.11", "11": "NC_000011.10", "12": "NC_000012.12",
               "13": "NC_000013.11", "14": "NC_000014.9", "16": "NC_000016.10", "17": "NC_000017.11",
               "19": "NC_000019.10", "22": "NC_000022.11"},
    "GRCh37": {"1": "NC_000001.10", "6": "NC_000006.11", "7": "NC_000007.13", "10": "NC_000010.10",
               "17": "NC_000017.10"},
}


@dataclass(frozen=True)
class Gene:
    """A gene of the catalogue and the condition its variants are classified for."""

    symbol: str
    hgnc: str
    chromosome: str
    start: int  # approximate GRCh38 extent (1-based, inclusive)
    end: int
    strand: str  # "+" or "-": synthetic c.HGVS bases are written on the gene's strand
    transcript: str
    condition_system: str  # MONDO, OMIM, or TEXT for a text-only condition
    condition_code: str
    condition_label: str


GENES: tuple[Gene, ...] = (
    Gene("BRCA1", "HGNC:1100", "17", 43044295, 43125483, "-", "NM_007294.4", MONDO, "MONDO:0011450",
         "hereditary breast ovarian cancer syndrome"),
    Gene("BRCA2", "HGNC:1101", "13", 32315508, 32400268, "+", "NM_000059.4", MONDO, "MONDO:0012933",
         "hereditary breast ovarian cancer 2"),
    Gene("PALB2", "HGNC:26144", "16", 23603160, 23641310, "-", "NM_024675.4", MONDO, "MONDO:0013264",
         "PALB2-related cancer predisposition"),
    Gene("CHEK2", "HGNC:16627", "22", 28687743, 28741834, "-", "NM_007194.4", MONDO, "MONDO:0013155",
         "CHEK2-related cancer predisposition"),
    Gene("TP53", "HGNC:11998", "17", 7668402, 7687550, "-", "NM_000546.6", MONDO, "MONDO:0018875",
         "Li-Fraumeni syndrome"),
    Gene("MLH1", "HGNC:7127", "3", 36993332, 37050918, "+", "NM_000249.4", MONDO, "MONDO:0005835",
         "Lynch syndrome"),
    Gene("MSH2", "HGNC:7325", "2", 47403067, 47634501, "+", "NM_000251.3", MONDO, "MONDO:0005835",
         "Lynch syndrome"),
    Gene("CFTR", "HGNC:1884", "7", 117480025, 117668665, "+", "NM_000492.4", MONDO, "MONDO:0009061",
         "cystic fibrosis"),
    Gene("HFE", "HGNC:4886", "6", 26087281, 26098343, "+", "NM_000410.4", OMIM, "235200",
         "hemochromatosis type 1"),
    Gene("LDLR", "HGNC:6547", "19", 11089462, 11133830, "+", "NM_000527.5", MONDO, "MONDO:0005439",
         "familial hypercholesterolemia"),
    Gene("MYH7", "HGNC:7577", "14", 23412740, 23435660, "-", "NM_000257.4", MONDO, "MONDO:0005045",
         "hypertrophic cardiomyopathy"),
    Gene("MYBPC3", "HGNC:7551", "11", 47331406, 47352702, "-", "NM_000256.3", MONDO, "MONDO:0005045",
         "hypertrophic cardiomyopathy"),
    Gene("KCNQ1", "HGNC:6294", "11", 2445008, 2849105, "+", "NM_000218.3", MONDO, "MONDO:0002442",
         "long QT syndrome"),
    Gene("SCN5A", "HGNC:10593", "3", 38548062, 38649687, "-", "NM_198056.3", MONDO, "MONDO:0015263",
         "Brugada syndrome"),
    Gene("CYP2C19", "HGNC:2621", "10", 94762681, 94855547, "+", "NM_000769.4", TEXT, "",
         "clopidogrel response"),
    Gene("SLCO1B1", "HGNC:10959", "12", 21131193, 21239796, "+", "NM_006446.5", TEXT, "",
         "simvastatin response"),
    Gene("MTHFR", "HGNC:7436", "1", 11785723, 11806455, "-", "NM_005957.5", OMIM, "236250",
         "homocystinuria due to MTHFR deficiency"),
    Gene("F5", "HGNC:3542", "1", 169511951, 169586588, "-", "NM_000130.5", OMIM, "188055",
         "thrombophilia due to activated protein C resistance"),
)
GENE_BY_SYMBOL = {gene.symbol: gene for gene in GENES}


@dataclass(frozen=True)
class CatalogVariant:
    """One allele of the world, VCF style (1-based, anchored indels) on GRCh38, optionally also on GRCh37."""

    handle: str
    gene: str
    position: int
    ref: str
    alt: str
    hgvs_c: str  # without the transcript, e.g. "c.1521_1523del"
    hgvs_p: str | None
    rsid: str | None = None
    grch37_position: int | None = None  # same ref/alt on GRCh37, where the sandbox also uses that build
    synthetic: bool = False

    @property
    def chromosome(self) -> str:
        return GENE_BY_SYMBOL[self.gene].chromosome

    @property
    def key(self) -> str:
        """A VCF-style search key (varshare normalises it the same way it normalises submissions)."""
        return f"GRCh38:{self.chromosome}:{self.position}:{self.ref}:{self.alt}"

    @property
    def label(self) -> str:
        return f"{self.gene} {self.hgvs_c}" + (f" ({self.hgvs_p})" if self.hgvs_p else "")


# Real alleles: GRCh38 position/ref/alt (VCF, left-anchored indels), HGVS on the gene's transcript, dbSNP id, and
# the GRCh37 position for the few the sandbox's GRCh37 lab also reports.
REAL_VARIANTS: tuple[CatalogVariant, ...] = (
    CatalogVariant("BRCA1 c.68_69del", "BRCA1", 43124027, "ACT", "A", "c.68_69del", "p.Glu23ValfsTer17"),
    CatalogVariant("BRCA1 c.5266dupC", "BRCA1", 43057062, "T", "TG", "c.5266dup", "p.Gln1756ProfsTer74",
                   "rs80357906"),
    CatalogVariant("BRCA2 c.5946del", "BRCA2", 32340300, "GT", "G", "c.5946del", "p.Ser1982ArgfsTer22",
                   "rs80359550"),
    CatalogVariant("BRCA2 K3326*", "BRCA2", 32398489, "A", "T", "c.9976A>T", "p.Lys3326Ter", "rs11571833"),
    CatalogVariant("CHEK2 c.1100del", "CHEK2", 28695868, "AG", "A", "c.1100del", "p.Thr367MetfsTer15",
                   "rs555607708"),
    CatalogVariant("TP53 R175H", "TP53", 7675088, "C", "T", "c.524G>A", "p.Arg175His", "rs28934578", 7578406),
    CatalogVariant("TP53 R248Q", "TP53", 7674220, "C", "T", "c.743G>A", "p.Arg248Gln", "rs11540652"),
    CatalogVariant("TP53 R273H", "TP53", 7673802, "C", "T", "c.818G>A", "p.Arg273His", "rs28934576"),
    CatalogVariant("MLH1 c.-93G>A", "MLH1", 36993455, "G", "A", "c.-93G>A", None, "rs1800734"),
    CatalogVariant("CFTR F508del", "CFTR", 117559590, "ATCT", "A", "c.1521_1523del", "p.Phe508del",
                   "rs113993960", 117199644),
    CatalogVariant("CFTR G551D", "CFTR", 117587806, "G", "A", "c.1652G>A", "p.Gly551Asp", "rs75527207",
                   117227860),
    CatalogVariant("HFE C282Y", "HFE", 26092913, "G", "A", "c.845G>A", "p.Cys282Tyr", "rs1800562", 26093141),
    CatalogVariant("HFE H63D", "HFE", 26090951, "C", "G", "c.187C>G", "p.His63Asp", "rs1799945"),
    CatalogVariant("CYP2C19*2", "CYP2C19", 94781859, "G", "A", "c.681G>A", "p.Pro227=", "rs4244285", 96541616),
    CatalogVariant("CYP2C19*3", "CYP2C19", 94780653, "G", "A", "c.636G>A", "p.Trp212Ter", "rs4986893"),
    CatalogVariant("CYP2C19*17", "CYP2C19", 94761900, "C", "T", "c.-806C>T", None, "rs12248560", 96521657),
    CatalogVariant("SLCO1B1 c.521T>C", "SLCO1B1", 21178615, "T", "C", "c.521T>C", "p.Val174Ala", "rs4149056"),
    CatalogVariant("MTHFR C677T", "MTHFR", 11796321, "G", "A", "c.665C>T", "p.Ala222Val", "rs1801133", 11856378),
    CatalogVariant("F5 Leiden", "F5", 169549811, "C", "T", "c.1601G>A", "p.Arg534Gln", "rs6025"),
)

# How many synthetic variants each gene gets (genes with only real variants are absent).
SYNTHETIC_COUNTS = {"BRCA1": 4, "BRCA2": 4, "PALB2": 3, "CHEK2": 2, "TP53": 2, "MLH1": 3, "MSH2": 4, "CFTR": 2,
                    "HFE": 1, "LDLR": 5, "MYH7": 4, "MYBPC3": 3, "KCNQ1": 4, "SCN5A": 4}
_BASES = "ACGT"
_COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}
_AMINO_ACIDS = ("Ala", "Arg", "Asn", "Asp", "Cys", "Gln", "Glu", "Gly", "His", "Ile", "Leu", "Lys", "Met", "Phe",
                "Pro", "Ser", "Thr", "Trp", "Tyr", "Val")


def _synthetic(rng: random.Random, gene: Gene, number: int, taken: set[int]) -> CatalogVariant:
    position = rng.randrange(gene.start + 500, gene.end - 500)
    while position in taken or position + 1 in taken:
        position += 7
    taken.update({position, position + 1})
    coding = rng.randrange(60, 4800)
    codon = (coding + 2) // 3
    first = rng.choice(_AMINO_ACIDS)
    if number % 4 == 3:  # every fourth synthetic variant is a one-base deletion (VCF: anchor base + deleted base)
        ref = rng.choice(_BASES) + rng.choice(_BASES)
        return CatalogVariant(f"{gene.symbol}#{number}", gene.symbol, position, ref, ref[0], f"c.{coding}del",
                              f"p.{first}{codon}fs", synthetic=True)
    ref = rng.choice(_BASES)
    alt = rng.choice([b for b in _BASES if b != ref])
    c_ref, c_alt = (ref, alt) if gene.strand == "+" else (_COMPLEMENT[ref], _COMPLEMENT[alt])
    second = rng.choice([a for a in _AMINO_ACIDS if a != first])
    return CatalogVariant(f"{gene.symbol}#{number}", gene.symbol, position, ref, alt, f"c.{coding}{c_ref}>{c_alt}",
                          f"p.{first}{codon}{second}", synthetic=True)


def build_catalog() -> tuple[CatalogVariant, ...]:
    """Every variant of the world: the real ones, then the seeded synthetic ones gene by gene."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible synthetic data, not security
    taken = {v.position for v in REAL_VARIANTS}
    synthetic = [_synthetic(rng, GENE_BY_SYMBOL[symbol], number, taken)
                 for symbol, count in SYNTHETIC_COUNTS.items() for number in range(1, count + 1)]
    return (*REAL_VARIANTS, *synthetic)
