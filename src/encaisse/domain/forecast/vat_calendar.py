"""VAT payable by regime and filing calendar (collected minus deductible, paid after each period).

- Regime on debits (VAT-OPTION-DEBITS): output VAT is due for the period of the invoice date.
- Regime on collection (VAT-CHARGEABLE-SERVICES, "encaissements"): output VAT is due for the
  period in which the price is collected, pro rata of each payment.
- Monthly filing (CA3): paid around the 15th-24th of the next month (the day depends on the
  company; 20 by default). Quarterly filing: after each calendar quarter. Annual (simplified
  regime, CA12): the balance in May of the next year (instalments are not modelled here).
- Returns are filed in whole euros (VAT-RETURN-EUROS); a VAT credit is carried to the next period.

>>> from decimal import Decimal
>>> bases = [VatBase(date(2026, 3, 10), Decimal("2000"), Decimal("300.40"))]
>>> vat_payments(bases, filing=VatFiling.MONTHLY, after=date(2026, 3, 31), until=date(2026, 6, 30))
[(datetime.date(2026, 4, 20), Decimal('1700.00'))]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.money import ZERO, round_money, round_to
from encaisse.domain.parties import VatFiling, VatRegime


@dataclass(frozen=True)
class VatBase:
    """VAT that becomes chargeable (output) or deductible (input) on ``day``, in EUR."""

    day: date
    output_vat: Decimal = ZERO
    input_vat: Decimal = ZERO


def period_end(day: date, filing: VatFiling) -> date:
    """Last day of the VAT period containing ``day``."""
    if filing is VatFiling.MONTHLY:
        month = day.month
    elif filing is VatFiling.QUARTERLY:
        month = ((day.month - 1) // 3 + 1) * 3
    else:
        month = 12
    nxt = date(day.year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def due_date(end: date, filing: VatFiling, due_day: int = 20) -> date:
    """Payment date of the return of the period ending on ``end`` (next business day)."""
    nxt = end + timedelta(days=1)
    pay = date(nxt.year, 5, 3) if filing is VatFiling.ANNUAL else nxt.replace(day=due_day)
    while pay.weekday() >= 5:
        pay += timedelta(days=1)
    return pay


def bases_from_documents(
    sales: Iterable[tuple[date, Decimal]],
    purchases: Iterable[tuple[date, Decimal]] = (),
) -> list[VatBase]:
    """Output VAT from ``(day, vat)`` of sales (negative for credit notes), input VAT from purchases.

    On debits pass invoice dates; on collection pass each payment date with its share of VAT
    (``payment × invoice VAT / invoice total``, see :func:`collected_vat`).
    """
    return [VatBase(d, v) for d, v in sales] + [VatBase(d, ZERO, v) for d, v in purchases]


def collected_vat(amount_paid: Decimal, invoice_vat: Decimal, invoice_total: Decimal) -> Decimal:
    """VAT contained in a payment under the collection regime (pro rata of the invoice)."""
    if invoice_total == 0:
        return ZERO
    return round_money(amount_paid * invoice_vat / invoice_total)


def vat_payments(
    bases: Iterable[VatBase],
    *,
    filing: VatFiling,
    after: date,
    until: date,
    due_day: int = 20,
    carried_credit: Decimal = ZERO,
) -> list[tuple[date, Decimal]]:
    """VAT to pay, as ``(date, amount)`` for payments falling in ``(after, until]``.

    Periods are summed from the bases; a negative period becomes a credit carried forward.
    """
    per_period: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for b in bases:
        per_period[period_end(b.day, filing)] += b.output_vat - b.input_vat
    out: list[tuple[date, Decimal]] = []
    credit = carried_credit
    for end in sorted(per_period):
        net = round_money(round_to(per_period[end] - credit, 0))
        pay = due_date(end, filing, due_day)
        if net <= 0:
            credit = -net
            continue
        credit = ZERO
        if after < pay <= until:
            out.append((pay, net))
    return out


def vat_for_regime(regime: VatRegime) -> str:
    """When output VAT becomes due: ``"invoice"`` (debits) or ``"collection"``; franchise: never."""
    return {VatRegime.DEBITS: "invoice", VatRegime.COLLECTION: "collection"}.get(regime, "none")
