"""The deny-list: the identifying values one submission carries, in the normalised forms the PHI guard matches.

``app.ingest.phi_sources`` fills it from a bundle (it knows FHIR field names); this module only normalises.
Text is folded (Unicode NFKD without accents, case-folded) and cut into tokens (runs of letters and digits),
so "Zoë", "ZOE" and "zoe" match, and "999-41-7309", "999 41 7309" and "999417309" match one another.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

MIN_CHARS = 3  # deny values shorter than this (initials, "Li") would match everywhere: skipped
SUBSTRING_CHARS = 6  # values this long that contain a letter are also matched inside longer tokens
_TOKEN = re.compile(r"[^\W_]+")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def fold(text: str) -> str:
    """Accents removed, case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens_of(text: str) -> tuple[str, ...]:
    """The folded letter-and-digit runs of ``text``."""
    return tuple(_TOKEN.findall(fold(text)))


@dataclass
class DenyList:
    """Identifying values of one submission: ``forms`` maps a token sequence to the category it came from."""

    forms: dict[tuple[str, ...], str] = field(default_factory=dict)
    substrings: dict[str, str] = field(default_factory=dict)  # long letter-bearing values, joined

    def __len__(self) -> int:
        return len(self.forms)

    def add(self, category: str, value: object) -> None:
        """Add a value (a name part, identifier, address part, phone, email, ...) and its joined forms."""
        if not isinstance(value, str):
            return
        tokens = tokens_of(value)
        joined = "".join(tokens)
        if len(joined) < MIN_CHARS:
            return
        self.forms.setdefault(tokens, category)
        self.forms.setdefault((joined,), category)
        digits = "".join(c for c in joined if c.isdigit())
        if len(digits) >= 7 and len(digits) >= len(joined) - 1:  # phone, SSN, numeric MRN: punctuation-free
            self.forms.setdefault((digits,), category)
            if len(digits) > 10:
                self.forms.setdefault((digits[-10:],), category)  # a phone number without its country code
        if len(joined) >= SUBSTRING_CHARS and any(c.isalpha() for c in joined):
            self.substrings.setdefault(joined, category)

    def add_date(self, category: str, value: object) -> None:
        """Add a date (a FHIR date or dateTime string) in the formats people write it in."""
        if not isinstance(value, str):
            return
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            if len(value) >= 7 and value[:4].isdigit() and value[5:7].isdigit():
                self.forms.setdefault((value[:4], value[5:7]), category)
            return
        y, m, d = f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"
        month = _MONTHS[day.month - 1]
        for form in ((y, m, d), (y + m + d,), (m, d, y), (str(day.month), str(day.day), y), (d, m, y),
                     (str(day.day), str(day.month), y), (month, str(day.day), y), (str(day.day), month, y),
                     (month[:3], str(day.day), y), (str(day.day), month[:3], y), (d + m + y,), (m + d + y,),
                     (y, m)):
            self.forms.setdefault(form, category)

    def extend(self, other: DenyList) -> None:
        """Merge another deny-list into this one."""
        for form, category in other.forms.items():
            self.forms.setdefault(form, category)
        for text, category in other.substrings.items():
            self.substrings.setdefault(text, category)
