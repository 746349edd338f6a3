"""French display formatting of amounts, dates, rates and quantities (babel ``fr_FR``).

Shared by the PDF templates and the web pages: every amount the end user reads goes through
here, with French typography (U+202F narrow no-break space between thousands, U+00A0 before
the currency sign and the percent sign, decimal comma). Amounts are rounded half-up by
:func:`encaisse.domain.money.round_money` first (babel would round half-even).

>>> fr_amount(Decimal("1234.56"))
'1\\u202f234,56\\xa0€'
>>> fr_amount(Decimal("-12.5"), "USD")
'-12,50\\xa0$US'
>>> fr_amount(Decimal("10000"), cents=False)
'10\\u202f000\\xa0€'
>>> fr_date(date(2026, 12, 4))
'04/12/2026'
>>> fr_percent(Decimal("5.50"))
'5,5\\xa0%'
>>> fr_quantity(Decimal("1500.000"))
'1\\u202f500'
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal

from encaisse.domain.money import round_money, round_to

LOCALE = "fr_FR"
#: The parsed locale: babel parses a locale string again on every call.
_FR = Locale.parse(LOCALE)

#: French labels of the UN/ECE Recommendation 20 unit codes used on lines.
UNIT_LABELS: dict[str, str] = {
    "C62": "u.",
    "H87": "pièce",
    "XPP": "pièce",
    "HUR": "h",
    "MIN": "min",
    "DAY": "jour",
    "WEE": "semaine",
    "MON": "mois",
    "ANN": "an",
    "KGM": "kg",
    "GRM": "g",
    "TNE": "t",
    "MTR": "m",
    "KMT": "km",
    "MTK": "m²",
    "MTQ": "m³",
    "LTR": "l",
    "KWH": "kWh",
    "LS": "forfait",
    "SET": "lot",
}


def fr_amount(value: Decimal, currency: str = "EUR", *, cents: bool = True) -> str:
    """An amount in ``currency``, to the cent: ``1 234,56 €`` (``10 000 €`` with ``cents=False``).

    ``cents=False`` drops the decimals of a whole amount only (a share capital, the 40 € indemnity).
    """
    rounded = round_money(value)
    if not cents and rounded == rounded.to_integral_value():
        return str(
            format_currency(rounded, currency, format="#,##0\u00a0¤", locale=_FR, currency_digits=False)
        )
    return str(format_currency(rounded, currency, locale=_FR))


def fr_unit_price(value: Decimal, currency: str = "EUR") -> str:
    """A unit price: at least 2 and at most 4 decimals (``12,3456 €``), rounded half-up."""
    return str(
        format_currency(
            round_to(value, 4),
            currency,
            format="#,##0.00##\u00a0¤",
            locale=_FR,
            currency_digits=False,
        )
    )


def fr_number(value: Decimal, max_decimals: int = 4) -> str:
    """A plain decimal number without trailing zeros: ``1 234,5``."""
    pattern = "#,##0" + ("." + "#" * max_decimals if max_decimals else "")
    return str(format_decimal(round_to(value, max_decimals), format=pattern, locale=_FR))


def fr_quantity(value: Decimal) -> str:
    """A line quantity: ``2``, ``2,5``, ``1 500``."""
    return fr_number(value, 4)


def fr_percent(value: Decimal) -> str:
    """A rate expressed in percent (20 means 20 %): ``20 %``, ``5,5 %``, ``12,15 %``."""
    return f"{fr_number(value, 4)}\u00a0%"


def fr_date(value: date) -> str:
    """A date in the French numeric form ``04/12/2026``."""
    return value.strftime("%d/%m/%Y")


def fr_unit(code: str) -> str:
    """French label of a UN/ECE rec. 20 unit code; unknown codes are shown as they are."""
    return UNIT_LABELS.get(code.upper(), code)


def fr_siren(value: str) -> str:
    """SIREN grouped by three digits (``732 829 320``), as printed on business papers."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 9:
        return f"{digits[0:3]} {digits[3:6]} {digits[6:9]}"
    return value


def fr_iban(value: str) -> str:
    """IBAN in groups of four characters (paper format, ISO 13616)."""
    compact = "".join(ch for ch in value if ch.isalnum()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
