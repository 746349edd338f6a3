"""Gap-free numbering (CHECKLIST INV-NUMBER, CN-NUMBER).

One sequence per company, per series and per fiscal year; a number is assigned at issue time
and never reused. This module is the pure rule; the store provides the lock that makes
``next value`` safe under concurrency (row lock on PostgreSQL, serialized write on SQLite).

>>> format_number("F{YYYY}-{seq:05d}", 2026, 42)
'F2026-00042'
>>> format_number("{YY}{MM}-{seq}", 2026, 7, month=3)
'2603-7'
"""

from __future__ import annotations

import re
from datetime import date

from encaisse.domain.errors import ValidationError

_ALLOWED = re.compile(r"\{(YYYY|YY|MM|seq(?::0?\d+d)?)\}")


def validate_pattern(pattern: str) -> None:
    """A pattern must contain ``{seq}`` once and a year part, so yearly restarts stay unique."""
    if pattern.count("{seq") != 1:
        raise ValidationError("numbering pattern must contain {seq} exactly once", code="NUM-PATTERN")
    leftovers = _ALLOWED.sub("", pattern)
    if "{" in leftovers or "}" in leftovers:
        raise ValidationError(f"unknown placeholder in numbering pattern {pattern!r}", code="NUM-PATTERN")
    if "{YYYY}" not in pattern and "{YY}" not in pattern:
        raise ValidationError(
            "numbering pattern must contain the year ({YYYY} or {YY}) since sequences restart yearly",
            code="NUM-PATTERN",
        )


def format_number(pattern: str, year: int, seq: int, *, month: int = 1) -> str:
    return pattern.format(YYYY=f"{year:04d}", YY=f"{year % 100:02d}", MM=f"{month:02d}", seq=seq)


def fiscal_year_of(day: date, year_end_month: int = 12) -> int:
    """Fiscal year label: the calendar year in which the fiscal year ends."""
    return day.year if day.month <= year_end_month else day.year + 1


def series_key(kind: str, pattern: str) -> str:
    """The series a document belongs to: deposits share the invoice series (one sequence)."""
    return ("credit_note" if kind == "credit_note" else "invoice") + ":" + pattern
