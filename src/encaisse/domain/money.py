"""Money: ``Decimal`` amounts and the ONE place where rounding happens.

Amounts are rounded half-up to the cent (CHECKLIST VAT-ROUND, EN 16931 BR-DEC rules).

>>> round_money(Decimal("2.345"))
Decimal('2.35')
>>> parse_amount("1 234,56")
Decimal('1234.56')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_money(value: Decimal) -> Decimal:
    """Round an amount half-up to 2 decimals (the only rounding of money in Encaisse)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to(value: Decimal, places: int) -> Decimal:
    """Round a non-money quantity (quantity, unit price, rate) half-up to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent_of(base: Decimal, rate: Decimal) -> Decimal:
    """``rate`` percent of ``base``, rounded to the cent."""
    return round_money(base * rate / HUNDRED)


def parse_amount(text: str) -> Decimal:
    """Parse ``1234.56``, ``1 234,56``, ``-12,5`` or ``1.234,56`` into a Decimal.

    Raises ``ValueError`` with a readable message when the text is not an amount.
    """
    cleaned = text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    cleaned = cleaned.replace("€", "").replace("EUR", "")
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value


def format_amount(value: Decimal) -> str:
    """Machine-readable amount: dot decimal, two places (``"1234.56"``)."""
    return f"{round_money(value):.2f}"
