"""Payment terms, their legal caps, late-payment penalties and the dated reference data they need.

Rules (codes of ``shared/legal/CHECKLIST.md``):

- PAY-TERM-DEFAULT: 30 days when nothing is agreed (C. com. L441-10 I);
- PAY-TERM-MAX: at most 60 days from the issue date, or 45 days end of month when expressly
  stipulated; PAY-TERM-PERIODIC: 45 days from issue for a periodic invoice (C. com. L441-10 I);
- PAY-PENALTY-DEFAULT: ECB main refinancing rate + 10 points, the rate of 1 January for the first
  half-year and of 1 July for the second (C. com. L441-10 II);
- PAY-PENALTY-FLOOR: never below 3 × the legal interest rate, "other cases" (CMF L313-2);
- PAY-INDEMNITY-40: 40 € fixed recovery indemnity, B2B only (C. com. D441-5; PAY-B2C).

>>> due_date_for(date(2026, 12, 5), 30)
datetime.date(2027, 1, 4)
>>> due_date_for(date(2026, 1, 20), 45, end_of_month=True)
datetime.date(2026, 3, 31)
>>> default_penalty_rate(date(2026, 3, 1)), penalty_floor(date(2026, 3, 1))
(Decimal('12.15'), Decimal('7.86'))
>>> late_penalty(Decimal("1000.00"), Decimal("12.15"), date(2026, 1, 31), date(2026, 3, 2))
Decimal('9.99')
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.documents import DocumentKind, Invoice
from encaisse.domain.errors import EncaisseError, Problem, Severity
from encaisse.domain.money import HUNDRED, ZERO, round_money
from encaisse.domain.parties import Address, Company, Party, SizeCategory

#: Fixed recovery indemnity per late B2B invoice (C. com. D441-5; PAY-INDEMNITY-40).
RECOVERY_INDEMNITY = Decimal("40.00")

#: Days of payment when nothing is agreed (C. com. L441-10 I; PAY-TERM-DEFAULT).
DEFAULT_TERM_DAYS = 30
#: Agreed-term caps (C. com. L441-10 I; PAY-TERM-MAX, PAY-TERM-PERIODIC).
MAX_TERM_DAYS = 60
MAX_TERM_EOM_DAYS = 45
MAX_TERM_PERIODIC_DAYS = 45

NO_ESCOMPTE = "Pas d'escompte pour paiement anticipé"

#: ECB main refinancing operations rate in force on 1 January / 1 July (PAY-PENALTY-DEFAULT).
#: Source: ECB key interest rates (decisions of 27 Oct 2022 … 5 Jun 2025; held at 2.15 % through
#: the decisions of 2025-07 … 2026-04).
ECB_MAIN_RATE: Mapping[date, Decimal] = {
    date(2022, 1, 1): Decimal("0.00"),
    date(2022, 7, 1): Decimal("0.00"),  # first hike (0.50) took effect on 27 July 2022
    date(2023, 1, 1): Decimal("2.50"),
    date(2023, 7, 1): Decimal("4.00"),
    date(2024, 1, 1): Decimal("4.50"),
    date(2024, 7, 1): Decimal("4.25"),
    date(2025, 1, 1): Decimal("3.15"),
    date(2025, 7, 1): Decimal("2.15"),
    date(2026, 1, 1): Decimal("2.15"),
    # UNKNOWN when written: rate of 1 July 2026 not confirmed here; carried forward from 2026H1.
    date(2026, 7, 1): Decimal("2.15"),
}

#: Legal interest rate, "tous les autres cas" (professional creditors), per half-year (CMF L313-2;
#: arrêtés published each June and December; PAY-PENALTY-FLOOR).
LEGAL_INTEREST_RATE_PRO: Mapping[date, Decimal] = {
    date(2022, 1, 1): Decimal("0.76"),
    date(2022, 7, 1): Decimal("0.77"),
    date(2023, 1, 1): Decimal("2.06"),
    date(2023, 7, 1): Decimal("4.22"),
    date(2024, 1, 1): Decimal("5.07"),
    date(2024, 7, 1): Decimal("4.92"),
    date(2025, 1, 1): Decimal("3.71"),
    date(2025, 7, 1): Decimal("2.76"),  # arrêté du 19 juin 2025
    date(2026, 1, 1): Decimal("2.62"),  # arrêté du 15 décembre 2025
    # UNKNOWN when written: the arrêté for 2026H2 is not confirmed here; carried forward from 2026H1.
    date(2026, 7, 1): Decimal("2.62"),
}

#: Half-years whose rates above are carried forward, not published values: replace them.
UNCONFIRMED_PERIODS: frozenset[date] = frozenset({date(2026, 7, 1)})

#: Date from which an issuer must issue e-invoices and print the reform mentions
#: (CGI 289 bis; EINV-ISSUE-LARGE, EINV-ISSUE-SME; CHECKLIST §11 ``D_ISSUE``).
ISSUANCE_OBLIGATION_DATE: Mapping[SizeCategory, date] = {
    SizeCategory.GE: date(2026, 9, 1),
    SizeCategory.ETI: date(2026, 9, 1),
    SizeCategory.PME: date(2027, 9, 1),
    SizeCategory.MICRO: date(2027, 9, 1),
}

#: EU member states by ISO 3166 code (INV-VAT-EXEMPT-ICS / -EXPORT).
EU_COUNTRIES: frozenset[str] = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"}
    | {"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
)


def vat_territory(address: Address) -> str:
    """Key of ``documents.VAT_RATES`` for a French address: DOM (Guadeloupe 971, Martinique 972,
    La Réunion 974; CGI 296), Corsica (postcodes 20xxx; CGI 297) or mainland FR (CGI 278 ff.)."""
    postcode = address.postcode.strip()
    if postcode[:3] in {"971", "972", "974"}:
        return "DOM"
    if postcode.startswith("20"):
        return "CORSICA"
    return "FR"


class ReferenceRateUnknownError(EncaisseError):
    """No reference rate is known for the requested day (before the first table entry)."""

    code = "TERMS-RATE-UNKNOWN"


def issuance_obligation_date(size: SizeCategory) -> date:
    """``D_ISSUE`` of an issuer: 2026-09-01 for GE/ETI, 2027-09-01 for PME/micro (EINV-ISSUE-*)."""
    return ISSUANCE_OBLIGATION_DATE[size]


def half_year_start(day: date) -> date:
    """1 January or 1 July: the day whose rate applies to ``day`` (C. com. L441-10 II)."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _rate_for(table: Mapping[date, Decimal], day: date, name: str) -> Decimal:
    start = half_year_start(day)
    known = [d for d in table if d <= start]
    if not known:
        raise ReferenceRateUnknownError(f"no {name} known for {day.isoformat()} (table starts {min(table)})")
    return table[max(known)]


def is_confirmed_rate(day: date) -> bool:
    """False when the rates used for ``day`` are carried forward rather than published values."""
    start = half_year_start(day)
    return start not in UNCONFIRMED_PERIODS and start <= max(LEGAL_INTEREST_RATE_PRO)


def ecb_rate_for(day: date) -> Decimal:
    """ECB main refinancing rate of 1 January (H1) or 1 July (H2) of ``day``'s half-year."""
    return _rate_for(ECB_MAIN_RATE, day, "ECB main refinancing rate")


def legal_rate_for(day: date) -> Decimal:
    """Legal interest rate for professional creditors ("autres cas") in force on ``day``."""
    return _rate_for(LEGAL_INTEREST_RATE_PRO, day, "legal interest rate")


def default_penalty_rate(day: date) -> Decimal:
    """Penalty rate when the terms state none: ECB rate + 10 points (PAY-PENALTY-DEFAULT)."""
    return ecb_rate_for(day) + Decimal(10)


def penalty_floor(day: date) -> Decimal:
    """Lowest lawful contractual penalty rate: 3 × legal rate (C. com. L441-10 II; PAY-PENALTY-FLOOR)."""
    return 3 * legal_rate_for(day)


def last_day_of_month(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def due_date_for(issue_date: date, days: int = DEFAULT_TERM_DAYS, *, end_of_month: bool = False) -> date:
    """Due date ``days`` after issue; with ``end_of_month``, "N jours fin de mois" (issue + N, then
    end of that month), the reading most invoicing tools print (PAY-TERM-DEFAULT, PAY-TERM-MAX)."""
    due = issue_date + timedelta(days=days)
    return last_day_of_month(due) if end_of_month else due


def latest_due_date(
    issue_date: date, *, end_of_month_stipulated: bool = False, periodic: bool = False
) -> date:
    """Latest lawful B2B due date (C. com. L441-10 I; PAY-TERM-MAX, PAY-TERM-PERIODIC).

    Periodic invoice: issue + 45 days. Otherwise issue + 60 days, or, when "45 jours fin de mois"
    is stipulated, the later of the two accepted computations: (issue + 45 days, then end of that
    month) and (end of the issue month, then + 45 days).
    """
    if periodic:
        return issue_date + timedelta(days=MAX_TERM_PERIODIC_DAYS)
    cap = issue_date + timedelta(days=MAX_TERM_DAYS)
    if end_of_month_stipulated:
        eom_a = last_day_of_month(issue_date + timedelta(days=MAX_TERM_EOM_DAYS))
        eom_b = last_day_of_month(issue_date) + timedelta(days=MAX_TERM_EOM_DAYS)
        cap = max(eom_a, eom_b)
    return cap


def check_payment_terms(
    issue_date: date,
    due_date: date,
    *,
    b2b: bool,
    end_of_month_stipulated: bool = False,
    periodic: bool = False,
) -> list[Problem]:
    """PAY-TERM-MAX / PAY-TERM-PERIODIC: the due date must not exceed the legal cap (B2B only).

    Consumers are outside C. com. L441-10: no cap is checked for them.
    """
    if not b2b:
        return []
    cap = latest_due_date(issue_date, end_of_month_stipulated=end_of_month_stipulated, periodic=periodic)
    if due_date <= cap:
        return []
    if periodic:
        rule = "45 days from issue for a periodic invoice"
    elif end_of_month_stipulated:
        rule = "45 days end of month"
    else:
        rule = "60 days from the issue date"
    return [
        Problem(
            code="PAY-TERM-MAX",
            field="due_date",
            severity=Severity.ERROR,
            message=(
                f"Due date {due_date.isoformat()} exceeds the legal maximum payment term ({rule}, "
                f"C. com. L441-10): set it on or before {cap.isoformat()}."
            ),
            args={"key": "PAY-TERM-MAX", "due_date": due_date.isoformat(), "latest": cap.isoformat()},
        )
    ]


def late_penalty(amount: Decimal, rate: Decimal, due_date: date, paid_or_today: date) -> Decimal:
    """Late-payment penalty: simple interest at ``rate`` % a year, days/365, from the day after the
    due date (C. com. L441-10 II; PAY-PENALTY-AUTO), rounded once to the cent."""
    days = (paid_or_today - due_date).days
    if days <= 0 or amount <= 0:
        return ZERO
    return round_money(amount * rate / HUNDRED * Decimal(days) / Decimal(365))


def is_professional(customer: Party) -> bool:
    """B2B (or public body) buyer: L441-9/L441-10 mentions apply; consumers get none (PAY-B2C)."""
    return customer.is_business or customer.is_public_body


def effective_penalty_rate(invoice: Invoice, company: Company) -> Decimal:
    """The penalty rate printed on ``invoice``: its own, else the company's default."""
    return invoice.penalty_rate if invoice.penalty_rate is not None else company.penalty_rate


def fr_rate(rate: Decimal) -> str:
    """French percent: ``12,15 %`` (decimal comma, no-break space, trailing zeros dropped)."""
    text = f"{round_money(rate):f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}\u00a0%"


def payment_terms_text(invoice: Invoice, company: Company) -> str:
    """The French payment-terms block printed on an invoice (C. com. L441-9 I; CHECKLIST §1.5).

    Due date (INV-PAY-DUE-DATE), penalty rate (INV-PAY-PENALTY-RATE), 40 € indemnity
    (INV-PAY-INDEMNITY-40, B2B only per PAY-B2C), escompte conditions (INV-PAY-ESCOMPTE).
    A credit note carries no payment terms.
    """
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        return ""
    lines: list[str] = []
    if invoice.payment_terms_text.strip():
        lines.append(invoice.payment_terms_text.strip())
    if invoice.due_date is not None:
        lines.append(f"Date d'échéance : {invoice.due_date:%d/%m/%Y}")
    if is_professional(invoice.customer):
        rate = fr_rate(effective_penalty_rate(invoice, company))
        lines.append(
            f"En cas de retard de paiement, pénalités au taux annuel de {rate}, exigibles dès le "
            "lendemain de la date d'échéance sans rappel préalable (art. L441-10 du Code de commerce)"
        )
        if invoice.recovery_indemnity:
            lines.append("Indemnité forfaitaire pour frais de recouvrement : 40\u00a0€")
    lines.append(invoice.early_payment_discount or company.early_payment_discount or NO_ESCOMPTE)
    return "\n".join(lines)
