"""Mandatory-mention checker for invoices, deposit invoices, credit notes and quotes.

Every problem carries the rule code of ``shared/legal/CHECKLIST.md`` §11 as ``Problem.code``,
the form field it concerns (``customer.siren``, ``lines[2].vat_rate``, ``due_date``…) so a page
can show it next to the field, and its message arguments in ``Problem.args`` (messages live in
:data:`MESSAGES`, keyed by ``Problem.args["key"]``). Sources: CGI ann. II art. 242 nonies A (tax
mentions), C. com. L441-9 / L441-10 (commercial mentions and terms), C. com. R123-237, R123-238,
R526-26 (seller identity), décret 2022-1299 as amended by 2024-266 (e-invoicing reform mentions).

Reform mentions (EINV-MENTION-BUYER-SIREN, -DELIVERY-ADDR, -NATURE) are ERROR for invoices
issued on or after the issuer's ``D_ISSUE`` (2026-09-01 for GE/ETI, 2027-09-01 for PME/micro) and
WARN before. Drafts may be incomplete: the checker only reports; the caller refuses to issue
while an ERROR remains. Mentions the PDF prints from configuration (the OGA sentence, the debit
option, the exemption mentions of :class:`~encaisse.domain.documents.Exemption`) are checked
through the data that drives them.

>>> from encaisse.domain.parties import Party
>>> draft = Invoice(company_id=1, customer=Party(name="ACME"), issue_date=date(2026, 1, 5))
>>> [p.describe() for p in check_invoice(draft, Company(name="X", siren="732829320")) if p.field == "lines"]
['[INV-LINE-DESC] field lines: The document has no line: add what is sold.']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from encaisse.domain.documents import (
    VAT_RATES,
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    LineNature,
    Quote,
    compute_totals,
    group_key,
)
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.money import ZERO
from encaisse.domain.parties import (
    Company,
    Party,
    VatRegime,
    compact_digits,
    french_vat_number,
    is_valid_siren,
    is_valid_siret,
    is_valid_vat_number,
)
from encaisse.domain.terms import (
    EU_COUNTRIES,
    LEGAL_INTEREST_RATE_PRO,
    check_payment_terms,
    effective_penalty_rate,
    is_professional,
    issuance_obligation_date,
    legal_rate_for,
    penalty_floor,
    vat_territory,
)

ERROR, WARN = Severity.ERROR, Severity.WARN

#: Every code this module can raise (CHECKLIST §11), in checking order.
MANDATORY_CODES: tuple[str, ...] = (
    *("INV-SELLER-NAME", "INV-SELLER-ADDR", "INV-SELLER-SIREN", "INV-SELLER-RCS"),
    *("INV-SELLER-FORM-CAPITAL", "INV-SELLER-EI", "INV-SELLER-VAT"),
    *("INV-BUYER-NAME", "INV-BUYER-ADDR", "INV-BUYER-VAT", "EINV-MENTION-BUYER-SIREN"),
    *("EINV-MENTION-DELIVERY-ADDR", "EINV-MENTION-NATURE", "EINV-MENTION-DEBITS", "INV-VAT-DEBITS"),
    *("INV-BUYER-PO", "INV-DATE-ISSUE", "INV-DATE-SUPPLY", "INV-TIMING", "INV-DISCOUNTS"),
    *("INV-LINE-DESC", "INV-LINE-UNIT-PRICE", "INV-LINE-VAT-RATE"),
    *("VAT-RATE-FR", "VAT-RATE-DOM", "VAT-RATE-CORSICA"),
    *("INV-PAY-DUE-DATE", "PAY-TERM-MAX", "INV-PAY-PENALTY-RATE", "PAY-PENALTY-FLOOR"),
    *("INV-PAY-INDEMNITY-40", "PAY-B2C", "INV-PAY-ESCOMPTE"),
    *("INV-VAT-FRANCHISE", "INV-VAT-REVERSE", "INV-VAT-EXEMPT-ICS", "INV-VAT-EXEMPT-EXPORT"),
    *("INV-VAT-EXEMPT-261", "INV-INSURANCE", "INV-OGA", "CN-REFERENCE", "DEP-FINAL"),
    *("QUO-VALIDITY", "QUO-INSURANCE"),
)

#: English messages by key (``Problem.args["key"]``); ``{placeholders}`` come from ``Problem.args``.
MESSAGES: dict[str, str] = {
    "INV-SELLER-NAME": "The seller's name is missing.",
    "INV-SELLER-ADDR": "The seller's address is missing.",
    "INV-SELLER-SIREN": "The seller's SIREN is missing.",
    "INV-SELLER-SIREN.invalid": "The seller's SIREN is not a valid SIREN (9 digits, Luhn key).",
    "INV-SELLER-RCS": 'Give the city of the RCS registry ("RCS Lyon 123 456 789", C. com. R123-237).',
    "INV-SELLER-FORM-CAPITAL": "The legal form is missing (C. com. R123-238).",
    "INV-SELLER-FORM-CAPITAL.capital": "The share capital is missing, or tick 'capital variable' (R123-238).",
    "INV-SELLER-EI": 'A sole trader\'s name must carry "EI" or "entrepreneur individuel" (C. com. R526-26).',
    "INV-SELLER-VAT": "The seller's intra-EU VAT number is missing.",
    "INV-SELLER-VAT.mismatch": "The seller's VAT number does not match its SIREN (expected {expected}).",
    "INV-BUYER-NAME": "The customer's name is missing.",
    "INV-BUYER-ADDR": "The customer's address is missing.",
    "INV-BUYER-VAT": "The customer's VAT number is required for reverse charge or an intra-EU supply.",
    "INV-BUYER-VAT.invalid": "The customer's VAT number is not valid.",
    "EINV-MENTION-BUYER-SIREN": "The customer's SIREN is missing (e-invoicing reform mention, used for routing).",
    "EINV-MENTION-BUYER-SIREN.invalid": "The customer's SIREN is not valid.",
    "EINV-MENTION-BUYER-SIREN.siret": "The customer's SIRET is not valid for its SIREN.",
    "EINV-MENTION-DELIVERY-ADDR": "Goods go to an address other than the customer's: show the delivery address.",
    "EINV-MENTION-NATURE": "Line {n} is billed by time ({unit}) but marked as goods: mark it as a service.",
    "EINV-MENTION-NATURE.deductions": "Only deposit deductions: add what is invoiced so its nature is known.",
    "EINV-MENTION-DEBITS": 'VAT on debits: print "Option pour le paiement de la taxe d\'après les débits".',
    "INV-VAT-DEBITS": "The debit-option mention is printed without the option (fined, CGI 1737 II).",
    "INV-BUYER-PO": "The customer's order reference {reference} is known but not on the invoice (L441-9).",
    "INV-DATE-ISSUE": "The issue date is missing.",
    "INV-DATE-SUPPLY": "No date of sale or service: the issue date is assumed; set it if it differs.",
    "INV-TIMING": "Issued {days} days after the supply: invoice as soon as the supply is made (L441-9).",
    "INV-DISCOUNTS": "Give the reason of the discount.",
    "INV-LINE-DESC": "Line {n} has no designation.",
    "INV-LINE-DESC.quantity": "Line {n} has no quantity.",
    "INV-LINE-DESC.none": "The document has no line: add what is sold.",
    "INV-LINE-UNIT-PRICE": "Line {n} has no unit price excluding VAT.",
    "INV-LINE-UNIT-PRICE.negative": "Line {n}: a unit price cannot be negative (EN 16931 BR-27); "
    "use a negative quantity or a discount.",
    "INV-LINE-VAT-RATE": "Line {n} is at 0 % VAT without an exemption: choose the exemption reason.",
    "VAT-RATE": "Line {n}: {rate} % is not a VAT rate of {territory} ({allowed}).",
    "INV-PAY-DUE-DATE": "The due date is missing.",
    "INV-PAY-DUE-DATE.before": "The due date is before the issue date.",
    "INV-PAY-PENALTY-RATE": "The late-payment penalty rate is missing.",
    "PAY-PENALTY-FLOOR": "The penalty rate {rate} % is below 3 × the legal rate ({legal} %) = {floor} %.",
    "INV-PAY-INDEMNITY-40": "A B2B invoice must state the 40 € recovery indemnity (C. com. D441-5).",
    "PAY-B2C": "A consumer is never charged the 40 € recovery indemnity: untick it.",
    "INV-PAY-ESCOMPTE": 'State the escompte conditions (rate, period) or "Pas d\'escompte pour paiement anticipé".',
    "INV-VAT-FRANCHISE": 'Line {n}: under franchise en base no VAT is charged ("art. 293 B du CGI").',
    "INV-VAT-FRANCHISE.not": "Line {n}: the company is not under franchise en base; charge VAT.",
    "INV-VAT-REVERSE": "Line {n}: reverse charge (autoliquidation) needs a customer liable for VAT.",
    "INV-VAT-EXEMPT-ICS": "Line {n}: the CGI 262 ter I exemption covers goods sold to a business in another EU state.",
    "INV-VAT-EXEMPT-EXPORT": "Line {n}: the CGI 262 I export exemption needs a destination outside the EU.",
    "INV-VAT-EXEMPT-EXPORT.services": "Line {n}: services to a non-EU customer are outside French VAT (CGI 259-1).",
    "INV-VAT-EXEMPT-261": 'Line {n}: cite the paragraph of article 261 in the note ("article 261 4 4° du CGI").',
    "INV-INSURANCE": "Give the professional insurance: insurer, contact details, geographic coverage.",
    "INV-OGA": "An approved management centre member accepts cheques: the terms must not refuse them.",
    "CN-REFERENCE.number": "A credit note must give the number of the invoice it corrects.",
    "CN-REFERENCE.date": "A credit note must give the date of the invoice it corrects.",
    "CN-REFERENCE.kind": "A credit note corrects an issued invoice, not a draft or another credit note.",
    "CN-REFERENCE.wrong-number": "The corrected invoice is numbered {number}.",
    "CN-REFERENCE.wrong-date": "The corrected invoice is dated {date}.",
    "CN-REFERENCE.parties": "A credit note is between the seller and buyer of the invoice it corrects.",
    "CN-REFERENCE.currency": "The corrected invoice is in {currency}.",
    "CN-REFERENCE.rate": "Line {n}: the corrected invoice has no line at this VAT rate.",
    "CN-REFERENCE.amount": "The credit note ({total}) exceeds what remains to credit on {number} ({remaining}).",
    "DEP-FINAL.unknown": "{number} is not a deposit invoice of this order.",
    "DEP-FINAL.unreferenced": "Deposit invoice {number} is deducted but not referenced.",
    "DEP-FINAL.undeducted": "Deposit invoice {number} is referenced but not deducted.",
    "DEP-FINAL.missing": "Deposit invoice {number} is not deducted nor referenced.",
    "DEP-FINAL.amount": "Deposit invoice {number} is deducted for {deducted} instead of {expected} excl. VAT.",
    "QUO-VALIDITY": "The validity date is before the quote date.",
    "QUO-INSURANCE": "Artisans show their professional insurance on quotes too (loi 96-603 art. 22-2).",
}

#: A single supply may be invoiced some days after it (INV-TIMING: "configurable tolerance").
TIMING_TOLERANCE_DAYS = 31
#: Units that can only measure services (UN/ECE rec 20 time units; EINV-MENTION-NATURE).
SERVICE_UNITS: frozenset[str] = frozenset({"HUR", "MIN", "DAY", "WEE", "MON", "ANN"})

_EI_RE = re.compile(r"(^|[\s,(-])(E\.?I\.?|entrepreneur individuel)($|[\s,)-])", re.IGNORECASE)
_NO_ESCOMPTE_RE = re.compile(r"\b(pas d'|aucun|sans|néant)", re.IGNORECASE)
_NO_CHEQUE_RE = re.compile(r"ch[èe]ques?\s+(non|refus|pas)|(pas|aucun) de ch[èe]que", re.IGNORECASE)
_ART_261_RE = re.compile(r"\b261(\s*[A-E])?\s+\d")


class _Report:
    """Collects problems; ``add(key, field, severity, **args)`` formats ``MESSAGES[key]``."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, key: str, field: str, severity: Severity = ERROR, *, code: str = "", **args: object
    ) -> None:
        message = MESSAGES[key].format(**args)
        code = code or key.partition(".")[0]
        self.problems.append(Problem(code, message, field, severity, args={"key": key, **args}))


def reform_severity(company: Company, issue_date: date) -> Severity:
    """ERROR from the issuer's ``D_ISSUE`` on, WARN before (CHECKLIST §2.4 and §11)."""
    return ERROR if issue_date >= issuance_obligation_date(company.size_category) else WARN


def _check_seller(r: _Report, company: Company, vat_severity: Severity = ERROR) -> None:
    """Seller identity (CGI ann. II 242 nonies A I; C. com. R123-237, R123-238, R526-26)."""
    if not company.name.strip():
        r.add("INV-SELLER-NAME", "company.name")
    if company.address.is_empty():
        r.add("INV-SELLER-ADDR", "company.address")
    if not company.siren.strip():
        r.add("INV-SELLER-SIREN", "company.siren")
    elif not is_valid_siren(company.siren):
        r.add("INV-SELLER-SIREN.invalid", "company.siren")
    if company.is_sole_trader:
        if not _EI_RE.search(company.name.strip()):
            r.add("INV-SELLER-EI", "company.name")
    else:
        if not company.legal_form.upper().startswith("ASSOCIATION") and not company.rcs_city.strip():
            r.add("INV-SELLER-RCS", "company.rcs_city")
        if not company.legal_form.strip():
            r.add("INV-SELLER-FORM-CAPITAL", "company.legal_form")
        elif company.share_capital is None and not company.capital_variable:
            r.add("INV-SELLER-FORM-CAPITAL.capital", "company.share_capital")
    if company.vat_regime is VatRegime.FRANCHISE:
        return
    if not company.vat_number.strip():
        r.add("INV-SELLER-VAT", "company.vat_number", vat_severity)
    elif is_valid_siren(company.siren):
        expected = french_vat_number(company.siren)
        if compact_digits(company.vat_number) != expected:
            r.add("INV-SELLER-VAT.mismatch", "company.vat_number", vat_severity, expected=expected)


def _check_lines(r: _Report, lines: Sequence[Line], company: Company) -> None:
    """Per line: designation and quantity, unit price excl. VAT, VAT rate or exemption, rate of the
    territory (CGI ann. II 242 nonies A I; EN 16931 BR-27; VAT-RATE-FR / -DOM / -CORSICA)."""
    if not lines:
        r.add("INV-LINE-DESC.none", "lines")
    territory = vat_territory(company.address)
    allowed = VAT_RATES[territory]
    for i, line in enumerate(lines):
        at, n = f"lines[{i}]", i + 1
        if not line.description.strip():
            r.add("INV-LINE-DESC", f"{at}.description", n=n)
        if line.quantity == 0:
            r.add("INV-LINE-DESC.quantity", f"{at}.quantity", n=n)
        if not line.unit_price.is_finite():
            r.add("INV-LINE-UNIT-PRICE", f"{at}.unit_price", n=n)
        elif line.unit_price < 0 and not line.deposit_invoice_number:
            r.add("INV-LINE-UNIT-PRICE.negative", f"{at}.unit_price", n=n)
        if line.exemption is not None:
            continue
        if line.vat_rate == 0:
            r.add("INV-LINE-VAT-RATE", f"{at}.vat_rate", n=n)
        elif line.vat_rate not in allowed:
            rates = ", ".join(f"{x:f}" for x in sorted(allowed, reverse=True))
            code = f"VAT-RATE-{territory}"
            rate = f"{line.vat_rate:f}"
            r.add("VAT-RATE", f"{at}.vat_rate", code=code, n=n, rate=rate, territory=territory, allowed=rates)


def _check_buyer(r: _Report, invoice: Invoice, reform: Severity) -> None:
    """Buyer identity (INV-BUYER-*; EINV-MENTION-BUYER-SIREN for French professional buyers only)."""
    customer = invoice.customer
    if not customer.name.strip():
        r.add("INV-BUYER-NAME", "customer.name")
    if customer.address.is_empty():
        r.add("INV-BUYER-ADDR", "customer.address")
    if is_professional(customer) and customer.is_french:
        siren, siret = compact_digits(customer.siren), compact_digits(customer.siret)
        if not siren:
            r.add("EINV-MENTION-BUYER-SIREN", "customer.siren", reform)
        elif not is_valid_siren(siren):
            r.add("EINV-MENTION-BUYER-SIREN.invalid", "customer.siren")
        elif siret and not (is_valid_siret(siret) and siret[:9] == siren):
            r.add("EINV-MENTION-BUYER-SIREN.siret", "customer.siret")
    if any(ln.exemption in (Exemption.REVERSE_CHARGE, Exemption.INTRA_EU) for ln in invoice.lines):
        if not customer.vat_number.strip():
            r.add("INV-BUYER-VAT", "customer.vat_number")
        elif not is_valid_vat_number(customer.vat_number):
            r.add("INV-BUYER-VAT.invalid", "customer.vat_number")


def _check_reform_mentions(
    r: _Report, invoice: Invoice, company: Company, reform: Severity, order_refs: Sequence[str]
) -> None:
    """Delivery address, nature, debit option, order reference (EINV-MENTION-*, INV-BUYER-PO)."""
    customer = invoice.customer
    goods = any(ln.nature is LineNature.GOODS for ln in invoice.lines)
    other = customer.delivery_address
    if goods and invoice.delivery_address is None and other is not None and other != customer.address:
        r.add("EINV-MENTION-DELIVERY-ADDR", "delivery_address", reform)
    for i, line in enumerate(invoice.lines):
        if line.nature is LineNature.GOODS and line.unit in SERVICE_UNITS:
            r.add("EINV-MENTION-NATURE", f"lines[{i}].nature", reform, n=i + 1, unit=line.unit)
    if invoice.lines and all(ln.deposit_invoice_number for ln in invoice.lines):
        r.add("EINV-MENTION-NATURE.deductions", "lines", reform)
    if company.vat_regime is VatRegime.DEBITS and not invoice.vat_on_debits:
        r.add("EINV-MENTION-DEBITS", "vat_on_debits")
    if invoice.vat_on_debits and company.vat_regime is not VatRegime.DEBITS:
        r.add("INV-VAT-DEBITS", "vat_on_debits")
    refs = [ref for ref in order_refs if ref]
    if not invoice.purchase_order.strip() and (refs or customer.is_public_body):
        r.add("INV-BUYER-PO", "purchase_order", WARN, reference=refs[0] if refs else "(engagement number)")


def _check_dates(r: _Report, invoice: Invoice, tolerance_days: int) -> None:
    """Issue and supply dates, timing, discount reason (INV-DATE-*, INV-TIMING, INV-DISCOUNTS)."""
    issue = invoice.issue_date
    if not isinstance(issue, date):
        r.add("INV-DATE-ISSUE", "issue_date")
    if invoice.kind is DocumentKind.INVOICE:
        if invoice.supply_date is None:
            r.add("INV-DATE-SUPPLY", "supply_date", WARN)
        elif isinstance(issue, date) and (issue - invoice.supply_date).days > tolerance_days:
            r.add("INV-TIMING", "issue_date", WARN, days=(issue - invoice.supply_date).days)
    if invoice.document_discount_percent and not invoice.discount_reason.strip():
        r.add("INV-DISCOUNTS", "discount_reason", WARN)


def _check_payment(r: _Report, invoice: Invoice, company: Company) -> None:
    """Due date, term cap, penalty rate and floor, 40 € indemnity, escompte (C. com. L441-9, L441-10)."""
    pro = is_professional(invoice.customer)
    due, issue = invoice.due_date, invoice.issue_date
    dated = isinstance(issue, date)
    if due is None:
        r.add("INV-PAY-DUE-DATE", "due_date", ERROR if pro else WARN)
    elif dated and due < issue:
        r.add("INV-PAY-DUE-DATE.before", "due_date")
    elif dated:
        r.problems += check_payment_terms(
            issue, due, b2b=pro, end_of_month_stipulated=invoice.end_of_month_terms, periodic=invoice.periodic
        )
    if not pro:
        if invoice.recovery_indemnity:
            r.add("PAY-B2C", "recovery_indemnity")
        return
    rate = effective_penalty_rate(invoice, company)
    if rate <= 0:
        r.add("INV-PAY-PENALTY-RATE", "penalty_rate")
    elif dated and issue >= min(LEGAL_INTEREST_RATE_PRO) and rate < penalty_floor(issue):
        legal, floor = legal_rate_for(issue), penalty_floor(issue)
        r.add("PAY-PENALTY-FLOOR", "penalty_rate", rate=f"{rate:f}", legal=f"{legal:f}", floor=f"{floor:f}")
    if not invoice.recovery_indemnity:
        r.add("INV-PAY-INDEMNITY-40", "recovery_indemnity")
    escompte = (invoice.early_payment_discount or company.early_payment_discount).strip()
    if escompte and not _NO_ESCOMPTE_RE.search(escompte) and not any(c.isdigit() for c in escompte):
        r.add("INV-PAY-ESCOMPTE", "early_payment_discount")


def _check_vat_regime(r: _Report, invoice: Invoice, company: Company) -> None:
    """Franchise, reverse charge and exemption mentions (CGI 293 B, 283, 262 ter I, 262 I, 261)."""
    customer = invoice.customer
    franchise = company.vat_regime is VatRegime.FRANCHISE
    destination = (invoice.delivery_address or customer.address).country or "FR"
    eu_business = customer.country in EU_COUNTRIES and customer.country != "FR" and customer.is_business
    for i, line in enumerate(invoice.lines):
        at, n, ex = f"lines[{i}].exemption", i + 1, line.exemption
        goods = line.nature is LineNature.GOODS
        if franchise and ex is not Exemption.FRANCHISE:
            r.add("INV-VAT-FRANCHISE", at, n=n)
        elif not franchise and ex is Exemption.FRANCHISE:
            r.add("INV-VAT-FRANCHISE.not", at, n=n)
        elif ex is Exemption.REVERSE_CHARGE and not is_professional(customer):
            r.add("INV-VAT-REVERSE", at, n=n)
        elif ex is Exemption.INTRA_EU and not (eu_business and goods):
            r.add("INV-VAT-EXEMPT-ICS", at, n=n)
        elif ex is Exemption.EXPORT and destination in EU_COUNTRIES:
            r.add("INV-VAT-EXEMPT-EXPORT", at, n=n)
        elif ex is Exemption.EXPORT and not goods:
            r.add("INV-VAT-EXEMPT-EXPORT.services", at, WARN, n=n)
        elif ex is Exemption.EXEMPT_261 and not _ART_261_RE.search(invoice.note):
            r.add("INV-VAT-EXEMPT-261", "note", WARN, n=n)


def _check_profession(r: _Report, invoice: Invoice, company: Company) -> None:
    """Insurance block, OGA cheque acceptance (loi 96-603 art. 22-2; CGI ann. II 371 E, 371 Q)."""
    if company.requires_insurance_mention and not company.insurance_mention.strip():
        r.add("INV-INSURANCE", "company.insurance_mention", WARN)
    if company.oga_member and _NO_CHEQUE_RE.search(f"{invoice.payment_terms_text} {invoice.note}"):
        r.add("INV-OGA", "payment_terms_text", WARN)


def _party_key(party: Party) -> str:
    return compact_digits(party.siren) or party.name.strip().casefold()


def _check_credit_note(
    r: _Report, note: Invoice, corrected: Invoice | None, already_credited: Decimal
) -> None:
    """CN-REFERENCE: number and date of the invoice corrected, same parties, amount ≤ what remains
    (CGI 289 I; CGI ann. II 242 nonies A; BOI-TVA-DECLA-30-20-20)."""
    if not note.corrects_number.strip():
        r.add("CN-REFERENCE.number", "corrects_number")
    if note.corrects_date is None:
        r.add("CN-REFERENCE.date", "corrects_date")
    if corrected is None:
        return
    if corrected.kind is DocumentKind.CREDIT_NOTE or corrected.status is InvoiceStatus.DRAFT:
        r.add("CN-REFERENCE.kind", "corrects_number")
    if note.corrects_number and corrected.number != note.corrects_number:
        r.add("CN-REFERENCE.wrong-number", "corrects_number", number=corrected.number)
    if note.corrects_date is not None and corrected.issue_date != note.corrects_date:
        r.add("CN-REFERENCE.wrong-date", "corrects_date", date=f"{corrected.issue_date:%d/%m/%Y}")
    if corrected.company_id != note.company_id or _party_key(corrected.customer) != _party_key(note.customer):
        r.add("CN-REFERENCE.parties", "customer")
    if corrected.currency != note.currency:
        r.add("CN-REFERENCE.currency", "currency", currency=corrected.currency)
    invoiced = {group_key(ln) for ln in corrected.lines}
    for i, line in enumerate(note.lines):
        if corrected.lines and group_key(line) not in invoiced:
            r.add("CN-REFERENCE.rate", f"lines[{i}].vat_rate", n=i + 1)
    remaining = corrected.total_incl_tax - (already_credited or corrected.amount_credited)
    total = note.total_incl_tax
    if total > remaining:
        r.add(
            "CN-REFERENCE.amount",
            "lines",
            total=f"{total:f}",
            number=corrected.number,
            remaining=f"{remaining:f}",
        )


def _check_deposits(r: _Report, invoice: Invoice, deposits: Sequence[Invoice]) -> None:
    """DEP-FINAL: a final invoice deducts every deposit invoice of the order and references it
    (CGI ann. II 242 nonies A; CHECKLIST §3.3)."""
    deducted: dict[str, Decimal] = {}
    for line in invoice.lines:
        if line.deposit_invoice_number:
            number = line.deposit_invoice_number
            deducted[number] = deducted.get(number, ZERO) + line.net_amount
    listed = set(invoice.deposit_numbers)
    known = {d.number for d in deposits}
    for number in sorted((set(deducted) | listed) - known if deposits else ()):
        r.add("DEP-FINAL.unknown", "deposit_numbers", number=number)
    for number in sorted(set(deducted) - listed):
        r.add("DEP-FINAL.unreferenced", "deposit_numbers", number=number)
    for number in sorted(listed - set(deducted)):
        r.add("DEP-FINAL.undeducted", "lines", number=number)
    for deposit in deposits:
        expected = compute_totals(deposit).total_excl_tax
        if deposit.number not in listed and deposit.number not in deducted:
            r.add("DEP-FINAL.missing", "deposit_numbers", number=deposit.number)
        elif deposit.number in deducted and -deducted[deposit.number] != expected:
            got = -deducted[deposit.number]
            r.add(
                "DEP-FINAL.amount",
                "lines",
                number=deposit.number,
                deducted=f"{got:f}",
                expected=f"{expected:f}",
            )


def check_invoice(
    invoice: Invoice,
    company: Company,
    *,
    deposits: Sequence[Invoice] = (),
    corrected: Invoice | None = None,
    already_credited: Decimal = ZERO,
    timing_tolerance_days: int = TIMING_TOLERANCE_DAYS,
) -> list[Problem]:
    """Every mandatory mention of an invoice, deposit invoice or credit note (CHECKLIST §11).

    ``deposits``: the deposit invoices of the order, for a final invoice (DEP-FINAL).
    ``corrected`` / ``already_credited``: for a credit note, the invoice it corrects and the total
    of credit notes already issued against it (when zero, ``corrected.amount_credited``).
    """
    issue = invoice.issue_date
    reform = reform_severity(company, issue) if isinstance(issue, date) else ERROR
    r = _Report()
    _check_seller(r, company)
    _check_buyer(r, invoice, reform)
    order_refs = [d.purchase_order for d in deposits] + ([corrected.purchase_order] if corrected else [])
    _check_reform_mentions(r, invoice, company, reform, order_refs)
    _check_dates(r, invoice, timing_tolerance_days)
    _check_lines(r, invoice.lines, company)
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        _check_credit_note(r, invoice, corrected, already_credited)
    else:
        _check_payment(r, invoice, company)
    _check_vat_regime(r, invoice, company)
    _check_profession(r, invoice, company)
    if invoice.kind is DocumentKind.INVOICE:
        _check_deposits(r, invoice, deposits)
    return r.problems


def check_quote(quote: Quote, company: Company) -> list[Problem]:
    """Mentions of a quote (QUO-B2B, QUO-VALIDITY, QUO-INSURANCE; business papers, C. com. R123-237).

    The seller's identity is mandatory on every business paper; its VAT number (an invoice mention)
    and the buyer's address are only recommended on a quote (WARN).
    """
    r = _Report()
    _check_seller(r, company, vat_severity=WARN)
    if not quote.customer.name.strip():
        r.add("INV-BUYER-NAME", "customer.name")
    if quote.customer.address.is_empty():
        r.add("INV-BUYER-ADDR", "customer.address", WARN)
    _check_lines(r, quote.lines, company)
    if quote.validity_date < quote.issue_date:
        r.add("QUO-VALIDITY", "validity_date")
    if company.requires_insurance_mention and not company.insurance_mention.strip():
        r.add("QUO-INSURANCE", "company.insurance_mention", WARN)
    return r.problems
