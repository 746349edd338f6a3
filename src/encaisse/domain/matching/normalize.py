"""Normalization of what banks write: names, libellés and document references.

Names lose accents, punctuation, legal forms (SARL, SAS, STE, ETS…) and civil titles
("M. ET MME") so that the customer file and the bank's upper-case, truncated rendering meet:

>>> normalize_name("Sté Boulangerie Dupont & Fils, S.A.R.L.")
'BOULANGERIE DUPONT FILS'
>>> normalize_name("M. ET MME LEFÈVRE JEAN")
'LEFEVRE JEAN'

References are folded to keys robust to spaces, dashes, a missing prefix and OCR-like confusions
(O/0, I/1, S/5…), see :func:`reference_keys` and :func:`text_windows`:

>>> reference_keys("F2026-00123")
('F202600123', '202600123', '2026.123')
>>> sorted({w.key for w in text_windows("FACT F2O26 00123")} & {"F202600123"})
['F202600123']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from string import ascii_uppercase
from typing import NamedTuple

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_DIGIT_RUN = re.compile(r"[0-9]+")

LEGAL_FORMS = frozenset(
    {
        "SARL", "SAS", "SA", "EURL", "SASU", "SCI", "SNC", "SCOP", "SCA", "SCP", "SCM", "SELARL",
        "SELAS", "GIE", "EI", "EIRL", "STE", "SOCIETE", "STES", "ETS", "ETABLISSEMENTS", "ETABLISSEMENT",
        "ETAB", "ETABL", "CIE", "ASSOCIATION", "ASSO",
    }
)  # fmt: skip
TITLES = frozenset({"M", "MR", "MM", "MME", "MMES", "MLLE", "MONSIEUR", "MADAME", "MADEMOISELLE", "DR"})
STOPWORDS = frozenset({"ET", "DE", "DES", "DU", "LA", "LE", "LES", "L", "D", "AU", "AUX", "EN", "A"})
# Fold OCR-like confusions onto digits (applied identically to both sides of a comparison).
_OCR_FOLD = str.maketrans({"O": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "Z": "2", "B": "8", "G": "6"})


def strip_accents(text: str) -> str:
    """``"Société Générale"`` → ``"Societe Generale"`` (NFKD, combining marks dropped)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_text(text: str) -> str:
    """Upper case, no accents, every run of non-alphanumerics collapsed to one space."""
    folded = strip_accents(text).upper().replace("Œ", "OE").replace("Æ", "AE")
    return _NON_ALNUM.sub(" ", folded).strip()


def _join_dotted_initials(text: str) -> str:
    # "S.A.R.L." / "S A R L" → "SARL"; "E.T.S" → "ETS"
    return re.sub(r"\b(?:[A-Z] ){1,4}[A-Z]\b", lambda m: m.group(0).replace(" ", ""), text)


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """A party name without accents, punctuation, legal forms, titles or stop words.

    Cached: the same payer and party names come back on thousands of lines.
    """
    text = _join_dotted_initials(normalize_text(name))
    kept = [t for t in text.split() if t not in LEGAL_FORMS and t not in TITLES and t not in STOPWORDS]
    return " ".join(kept)


def name_tokens(normalized: str) -> list[str]:
    """Tokens of a normalized name worth indexing (two characters or more)."""
    return [t for t in normalized.split() if len(t) >= 2]


def ocr_fold(compact: str) -> str:
    return compact.translate(_OCR_FOLD)


def reference_keys(number: str) -> tuple[str, str, str]:
    """Three lookup keys of a document number: full, without letter prefix, digit groups.

    * full: alphanumerics only, OCR-folded (``F2026-00123`` → ``F202600123``);
    * digits: the full key without its leading letters (``202600123``), "" when shorter than 6;
    * groups: the digit groups without leading zeros (``2026.123``), "" unless two groups or more
      with 6 digits or more in all (so a lone year or a small counter never matches).
    """
    text = normalize_text(number)  # only A-Z, 0-9 and single spaces
    full = ocr_fold(text.replace(" ", ""))
    digits = full.lstrip(ascii_uppercase)
    groups = _DIGIT_RUN.findall(text)
    return full, (digits if len(digits) >= 6 else ""), _groups_key(groups)


def _groups_key(groups: list[str]) -> str:
    if len(groups) < 2 or len("".join(groups)) < 6:
        return ""
    return ".".join([g.lstrip("0") or "0" for g in groups])


def sequence_key(number: str) -> str:
    """The last digit group without leading zeros (``F2026-00123`` → ``123``)."""
    groups = _DIGIT_RUN.findall(number)
    return (groups[-1].lstrip("0") or "0") if groups else ""


class Window(NamedTuple):
    """A run of one to three consecutive tokens of a text, and its lookup keys.

    An immutable named tuple rather than a frozen dataclass: built for every bank line, it is
    several times cheaper to create.
    """

    raw: str  # the tokens as written, joined by spaces
    key: str  # OCR-folded compact form
    digits: str  # key without letter prefix ("" if too short)
    groups: str  # digit groups key ("" if not meaningful)


def text_windows(text: str, max_tokens: int = 3) -> list[Window]:
    """Candidate references in a free text: joined runs of 1..3 tokens holding a digit."""
    return token_windows(normalize_text(text).split(), max_tokens)


def token_windows(tokens: list[str], max_tokens: int = 3) -> list[Window]:
    """:func:`text_windows` of a text already normalized and split (its alphanumeric runs)."""
    folded = [t.translate(_OCR_FOLD) for t in tokens]
    groups_of = [[] if t.isalpha() else _DIGIT_RUN.findall(t) for t in tokens]
    windows: list[Window] = []
    seen: set[str] = set()
    count = len(tokens)
    # a window holds a digit: only starts within max_tokens before a token with one can give one
    starts = sorted(
        {s for d, g in enumerate(groups_of) if g for s in range(max(0, d - max_tokens + 1), d + 1)}
    )
    for start in starts:
        key = ""
        digit_groups: list[str] = []
        for end in range(start, min(start + max_tokens, count)):
            key += folded[end]
            if len(key) > 24:
                break
            digit_groups += groups_of[end]
            if len(key) < 4 or not digit_groups or key in seen:
                continue
            seen.add(key)
            digits = key.lstrip(ascii_uppercase)  # the key holds A-Z and 0-9 only
            # a zero-padded counter was written in full: only the exact keys may match it
            if len(digit_groups) < 2 or digit_groups[-1][0] == "0" or len("".join(digit_groups)) < 6:
                groups = ""
            else:
                groups = ".".join([g.lstrip("0") or "0" for g in digit_groups])
            raw = tokens[start] if start == end else " ".join(tokens[start : end + 1])
            windows.append(Window(raw, key, digits if len(digits) >= 6 else "", groups))
    return windows


def short_numbers(text: str) -> list[str]:
    """All-digit tokens without leading zeros, for a party-scoped sequence lookup (``00123`` → ``123``)."""
    return token_numbers(normalize_text(text).split())


def token_numbers(tokens: list[str]) -> list[str]:
    """:func:`short_numbers` of a text already normalized and split."""
    return [t.lstrip("0") for t in tokens if t.isdigit() and len(t) <= 6]


@dataclass(frozen=True)
class Libelle:
    """What a French bank's one-line description holds once parsed."""

    name: str = ""
    motif: str = ""
    reference: str = ""


_LIBELLE_FIELD = re.compile(
    r"/(DE|BEN|MOTIF|REF|REFDO|REFBEN|LIB|NPY|NBE|IBE|RCN|EMETTEUR|DATE)\b\s*|\b(DE|MOTIF|REF)\s*:\s*"
)


def parse_libelle(text: str) -> Libelle:
    """Parse ``VIR SEPA RECU /DE X /MOTIF Y /REF Z`` and ``VIREMENT DE: X MOTIF: Y`` libellés.

    ``name`` is the other party: the payer of a credit (``/DE``, ``/NPY``) or the beneficiary of a
    debit (``/BEN``, ``/NBE``).

    >>> parse_libelle("VIR SEPA RECU /DE DUPONT SARL /MOTIF FACT F2026-00123 /REF 88123")
    Libelle(name='DUPONT SARL', motif='FACT F2026-00123', reference='88123')
    """
    upper = strip_accents(text).upper()
    parts: dict[str, str] = {}
    matches = list(_LIBELLE_FIELD.finditer(upper))
    for i, m in enumerate(matches):
        label = m.group(1) or m.group(2)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(upper)
        value = upper[m.end() : end].strip(" /:")
        if label in {"REFDO", "REFBEN", "NPY", "NBE", "BEN", "EMETTEUR"}:
            # the other party: payer of a credit (DE, NPY) or beneficiary of a debit (BEN, NBE)
            label = "REF" if label.startswith("REF") else "DE"
        if value and label not in parts:
            parts[label] = value
    return Libelle(parts.get("DE", ""), parts.get("MOTIF", parts.get("LIB", "")), parts.get("REF", ""))
