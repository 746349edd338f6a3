"""French wording of the evidence behind a proposal (shown to the user as is).

Typography: amounts ``1 234,56 €`` with U+202F as thousands separator and U+00A0 before the
euro sign; French quotes « … » and a narrow no-break space before « ; ».

>>> format_eur(Decimal("1234.5"))
'1\u202f234,50\u00a0€'
>>> explanation([Reason("REF-FULL", "référence F2026-00123 trouvée dans le libellé"),
...              Reason("AMOUNT-EXACT", "montant identique")])
'Référence F2026-00123 trouvée dans le libellé\u202f; montant identique.'
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from encaisse.domain.matching.model import Reason
from encaisse.domain.matching.signals import AmountRelation
from encaisse.domain.money import round_money

NNBSP = "\u202f"
NBSP = "\u00a0"


def format_eur(amount: Decimal) -> str:
    """``1 234,56 €`` (French formatting, see module docstring)."""
    value = round_money(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"


def quote(text: str) -> str:
    return f"«{NNBSP}{text}{NNBSP}»"


def cents_to_eur(cents: int) -> Decimal:
    """Integer cents → euros with exactly two decimals (``150`` → ``Decimal("1.50")``)."""
    return Decimal(cents).scaleb(-2)


def reference_reason(kind: str, number: str, text: str) -> Reason:
    if kind == "rf":
        return Reason("REF-RF", f"référence de paiement {text} de la facture {number} trouvée")
    if kind == "full":
        return Reason("REF-FULL", f"référence {number} trouvée dans le libellé")
    if kind in ("digits", "groups"):
        return Reason("REF-PARTIAL", f"numéro {number} reconnu sous une forme abrégée ({quote(text)})")
    if kind == "fuzzy":
        return Reason("REF-FUZZY", f"numéro {number} reconnu malgré une erreur de saisie ({quote(text)})")
    return Reason("REF-SEQUENCE", f"numéro court {quote(text)} propre à la facture {number} de ce tiers")


def amount_reason(relation: AmountRelation, *, paid: int, due: int, count: int, rate: Decimal) -> Reason:
    gap = cents_to_eur(abs(due - paid))
    if relation is AmountRelation.EXACT:
        if count > 1:
            return Reason("AMOUNT-GROUP", f"montant égal au total de {count} factures du même tiers")
        return Reason("AMOUNT-EXACT", "montant identique")
    if relation is AmountRelation.ROUNDING:
        return Reason("AMOUNT-ROUNDING", f"écart d'arrondi de {format_eur(gap)}")
    if relation is AmountRelation.DISCOUNT:
        pct = f"{rate.normalize():f}".replace(".", ",")
        return Reason(
            "AMOUNT-DISCOUNT",
            f"écart de {format_eur(gap)} expliqué par un escompte de {pct}{NBSP}% pour paiement anticipé",
        )
    if relation is AmountRelation.FEES:
        return Reason("AMOUNT-FEES", f"écart de {format_eur(gap)} expliqué par des frais bancaires")
    if relation is AmountRelation.PARTIAL:
        return Reason(
            "AMOUNT-PARTIAL",
            f"paiement partiel{NNBSP}: {format_eur(cents_to_eur(paid))} sur {format_eur(cents_to_eur(due))} restant dus",
        )
    return Reason("AMOUNT-OVER", f"trop-perçu de {format_eur(gap)} non affecté")


def party_reason(kind: str, *, supplier: bool, name: str = "", similarity: float = 0.0) -> Reason:
    who = "fournisseur" if supplier else "client"
    if kind == "iban":
        return Reason("PARTY-IBAN", f"{who} reconnu par son IBAN")
    if kind == "alias":
        return Reason("PARTY-ALIAS", f"{who} reconnu par un libellé déjà confirmé")
    if kind == "name":
        return Reason("PARTY-NAME", f"nom du payeur proche du {who} ({quote(name)}, {similarity:.0f}{NBSP}%)")
    return Reason("PARTY-OTHER", f"payeur différent du {who} ({quote(name)})")


def uniqueness_reason(count: int) -> Reason:
    if count <= 1:
        return Reason("AMOUNT-UNIQUE", "seule pièce ouverte de ce montant")
    return Reason("AMOUNT-COMMON", f"{count} pièces ouvertes ont ce montant")


def ambiguity_reason(numbers: Sequence[str]) -> Reason:
    return Reason("AMBIGUOUS", f"autre rapprochement possible{NNBSP}: {', '.join(numbers)}")


def timing_reason(late: bool) -> Reason:
    if late:
        return Reason("TIMING-LATE", "paiement reçu plus d'un an après l'échéance")
    return Reason("TIMING-EARLY", "paiement antérieur à la date de la facture")


def explanation(reasons: Sequence[Reason]) -> str:
    """Join the reasons into one French sentence (capitalised, « ; » separated, final period)."""
    if not reasons:
        return ""
    text = f"{NNBSP}; ".join(r.text_fr for r in reasons)
    return text[0].upper() + text[1:] + "."
