"""Receivables financing: the Dailly assignment slip (bordereau), its notifications, and factoring.

Dailly (cession de créances professionnelles, CMF L313-23 to L313-34, CHECKLIST §9.1):

- the bordereau carries four mentions, without which it is not a Dailly act (DAILLY-VALIDITY):
  its title (DAILLY-BORDEREAU-TITLE), the mention that it is subject to articles L313-23 to L313-34
  (DAILLY-BORDEREAU-LAW), the name of the beneficiary credit institution (DAILLY-BORDEREAU-BANK) and the
  designation of each receivable: debtor, place of payment, amount, due date (DAILLY-BORDEREAU-LIST);
- only professional receivables may be assigned: the debtor is a legal person or a professional,
  never a consumer (DAILLY-PARTIES);
- the notification asks the debtor to stop paying the assignor and to pay the bank, naming the
  assignor, the receivables, the payment method and the payee (DAILLY-NOTIFY, CMF L313-28, R313-15).

Factoring (CHECKLIST §9.2): each factored invoice carries the subrogation mention naming the factor, its
address and IBAN (FACT-INVOICE-MENTION); factored invoices are type 393, factored credit notes 396
(FACT-EINV).

>>> DAILLY_TITLE
'Acte de cession de créances professionnelles'
>>> mention = subrogation_mention(Factor("BNP Paribas Factor", "160 bd Haussmann, 75008 Paris",
...                                      "FR7630004000031234567890143"))
>>> "subrogation" in mention and "FR76 3000 4000 0312 3456 7890 143" in mention
True
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from babel.numbers import format_currency

from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.money import ZERO, format_amount, round_money
from encaisse.domain.parties import Company, Party, compact_digits
from encaisse.domain.payables import is_valid_iban

DAILLY_TITLE = "Acte de cession de créances professionnelles"
DAILLY_PLEDGE_TITLE = "Acte de nantissement de créances professionnelles"
DAILLY_LAW = "Acte soumis aux dispositions des articles L. 313-23 à L. 313-34 du Code monétaire et financier."
NOTIFICATION_TITLE = "Notification de cession de créances professionnelles"
#: Type codes of factored documents (UNTDID 1001, FACT-EINV).
FACTORED_INVOICE_TYPE = "393"
FACTORED_CREDIT_NOTE_TYPE = "396"
_LAW_NOISE = re.compile(r"[\s.]")
OPEN_STATUSES = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID})


class FinancingKind(StrEnum):
    DAILLY = "dailly"
    FACTORING = "factoring"


def fr_money(amount: Decimal, currency: str = "EUR") -> str:
    """``1 234,56 €`` (U+202F between thousands), rounded half-up first."""
    return str(format_currency(round_money(amount), currency, locale="fr_FR"))


def fr_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def fr_iban(iban: str) -> str:
    """An IBAN in groups of four, as printed for a person."""
    compact = compact_digits(iban)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@dataclass(frozen=True)
class Debtor:
    """The customer who owes an assigned receivable."""

    name: str
    siren: str = ""
    address: str = ""
    city: str = ""  # postcode + city: the place of payment by default (C. civ. 1343-4)
    is_business: bool = True
    is_public_body: bool = False
    party_id: int | None = None


def debtor_of(party: Party) -> Debtor:
    return Debtor(
        name=party.name,
        siren=compact_digits(party.siren),
        address=party.address.one_line(),
        city=f"{party.address.postcode} {party.address.city}".strip(),
        is_business=party.is_business,
        is_public_body=party.is_public_body,
        party_id=party.id,
    )


@dataclass(frozen=True)
class AssignedReceivable:
    """One receivable of a bordereau, individualised as DAILLY-BORDEREAU-LIST asks."""

    number: str
    issue_date: date
    due_date: date | None
    amount: Decimal
    debtor: Debtor
    place_of_payment: str
    currency: str = "EUR"
    invoice_id: int | None = None


def receivable_of(invoice: Invoice) -> AssignedReceivable:
    """The receivable an open invoice holds; payable at the debtor's domicile (C. civ. 1343-4)."""
    debtor = debtor_of(invoice.customer)
    return AssignedReceivable(
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        amount=invoice.amount_due,
        debtor=debtor,
        place_of_payment=debtor.city or "Domicile du débiteur",
        currency=invoice.currency,
        invoice_id=invoice.id,
    )


def _problem(code: str, message: str, invoice: Invoice, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(code, f"invoice {invoice.number}: {message}", field=invoice.number, severity=severity)


def financing_problems(
    invoice: Invoice, kind: FinancingKind, *, already_assigned: frozenset[int] = frozenset()
) -> list[Problem]:
    """Why an invoice cannot be assigned (Dailly) or factored: every reason, as problems.

    Dailly: the debtor must be a professional (DAILLY-PARTIES); both: the receivable is open, not
    disputed, not already financed (an invoice is assigned once).
    """
    problems: list[Problem] = []
    if invoice.id is not None and invoice.id in already_assigned:
        problems.append(_problem("FIN-ALREADY-ASSIGNED", "already assigned or factored", invoice))
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        if kind is FinancingKind.DAILLY:
            problems.append(_problem("FIN-CREDIT-NOTE", "a credit note is not a receivable", invoice))
        elif invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
            problems.append(_problem("FIN-NOT-OPEN", f"status {invoice.status.value}", invoice))
        return problems
    if invoice.status not in OPEN_STATUSES or invoice.amount_due <= ZERO:
        problems.append(_problem("FIN-NOT-OPEN", f"nothing is owed (status {invoice.status.value})", invoice))
    if invoice.disputed:
        problems.append(_problem("FIN-DISPUTED", "disputed by the customer", invoice))
    if kind is FinancingKind.DAILLY:
        customer = invoice.customer
        if not customer.is_business and not customer.is_public_body:
            problems.append(
                _problem(
                    "DAILLY-PARTIES",
                    f"{customer.name} is a consumer: only professional receivables can be assigned "
                    "by Dailly (CMF L313-23)",
                    invoice,
                )
            )
    return problems


# ---- the bordereau ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DaillyBordereau:
    """The assignment slip (bordereau) of a Dailly assignment: four mandatory mentions (CMF L313-23)."""

    title: str
    law_mention: str
    bank_name: str
    assignor_name: str
    assignor_siren: str
    assignor_address: str
    receivables: tuple[AssignedReceivable, ...]
    day: date
    place: str = ""

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.receivables), ZERO)

    @property
    def count(self) -> int:
        return len(self.receivables)


def bordereau(
    company: Company, bank_name: str, receivables: tuple[AssignedReceivable, ...], *, day: date
) -> DaillyBordereau:
    """The bordereau of ``receivables`` assigned by ``company`` to the bank ``bank_name``."""
    return DaillyBordereau(
        title=DAILLY_TITLE,
        law_mention=DAILLY_LAW,
        bank_name=bank_name.strip(),
        assignor_name=company.name,
        assignor_siren=compact_digits(company.siren),
        assignor_address=company.address.one_line(),
        receivables=receivables,
        day=day,
        place=company.address.city,
    )


def validate_bordereau(slip: DaillyBordereau) -> list[Problem]:
    """The four mandatory mentions and the eligibility of each debtor (DAILLY-VALIDITY).

    >>> slip = DaillyBordereau("Bordereau", "", " ", "ACME", "732829320", "", (), date(2026, 12, 4))
    >>> [p.code for p in validate_bordereau(slip)]
    ['DAILLY-BORDEREAU-TITLE', 'DAILLY-BORDEREAU-LAW', 'DAILLY-BORDEREAU-BANK', 'DAILLY-BORDEREAU-LIST']
    """
    problems: list[Problem] = []
    title = slip.title.lower()
    if DAILLY_TITLE.lower() not in title and DAILLY_PLEDGE_TITLE.lower() not in title:
        problems.append(
            Problem(
                "DAILLY-BORDEREAU-TITLE",
                f"the title must be « {DAILLY_TITLE} » (or « {DAILLY_PLEDGE_TITLE} »)",
                field="title",
            )
        )
    law = _LAW_NOISE.sub("", slip.law_mention)
    if "L313-23" not in law or "L313-34" not in law:
        problems.append(
            Problem(
                "DAILLY-BORDEREAU-LAW",
                "the act must state that it is subject to articles L313-23 to L313-34 of the CMF",
                field="law_mention",
            )
        )
    if not slip.bank_name.strip():
        problems.append(
            Problem(
                "DAILLY-BORDEREAU-BANK", "the beneficiary credit institution is not named", field="bank_name"
            )
        )
    if not slip.receivables:
        problems.append(
            Problem("DAILLY-BORDEREAU-LIST", "the bordereau lists no receivable", field="receivables")
        )
    for n, r in enumerate(slip.receivables, start=1):
        missing = [
            label
            for label, value in (
                ("number", r.number),
                ("debtor", r.debtor.name.strip()),
                ("place of payment", r.place_of_payment.strip()),
            )
            if not value
        ]
        if r.amount <= ZERO:
            missing.append("amount")
        if missing:
            problems.append(
                Problem(
                    "DAILLY-BORDEREAU-LIST",
                    f"receivable {n} ({r.number or '?'}) lacks: {', '.join(missing)}",
                    field=f"receivables[{n}]",
                )
            )
        if not r.debtor.is_business and not r.debtor.is_public_body:
            problems.append(
                Problem(
                    "DAILLY-PARTIES",
                    f"receivable {r.number}: {r.debtor.name} is a consumer (CMF L313-23)",
                    field=f"receivables[{n}]",
                )
            )
    return problems


@dataclass(frozen=True)
class Letter:
    """What a letter prints: title, paragraphs (the table follows the first one ending with ':')."""

    title: str
    paragraphs: tuple[str, ...]
    table: tuple[tuple[str, ...], ...]
    place_date: str


def _place_date(place: str, day: date) -> str:
    return f"{place}, le {fr_date(day)}" if place else f"Le {fr_date(day)}"


def bordereau_letter(slip: DaillyBordereau) -> Letter:
    """The bordereau as a French letter to the bank; the table lists each receivable (DAILLY-BORDEREAU-LIST)."""
    header = ("Facture", "Débiteur", "SIREN", "Lieu de paiement", "Émise le", "Échéance", "Montant")
    rows = [
        (
            r.number,
            r.debtor.name,
            r.debtor.siren,
            r.place_of_payment,
            fr_date(r.issue_date),
            fr_date(r.due_date),
            fr_money(r.amount, r.currency),
        )
        for r in slip.receivables
    ]
    assignor = f"{slip.assignor_name}, SIREN {slip.assignor_siren}"
    if slip.assignor_address:
        assignor += f", {slip.assignor_address}"
    paragraphs = (
        slip.law_mention,
        f"Établissement de crédit cessionnaire (bénéficiaire)\u00a0: {slip.bank_name}.",
        f"Cédant\u00a0: {assignor}.",
        "Le cédant cède à l'établissement cessionnaire les créances professionnelles suivantes\u00a0:",
        f"Nombre de créances cédées\u00a0: {slip.count}. Montant total\u00a0: {fr_money(slip.total)}.",
        "La cession prend effet et devient opposable aux tiers à la date apposée sur le présent "
        "bordereau par l'établissement cessionnaire (art. L. 313-25 et L. 313-27 du Code monétaire "
        "et financier). Sauf convention contraire, le cédant est garant solidaire du paiement des "
        "créances cédées (art. L. 313-24).",
        "Date apposée par l'établissement cessionnaire\u00a0: ……………………",
        "Signature du cédant\u00a0:",
    )
    return Letter(slip.title, paragraphs, (header, *rows), _place_date(slip.place, slip.day))


# ---- notifications --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DaillyNotification:
    """The notice asking one debtor to pay the bank from now on (DAILLY-NOTIFY, CMF L313-28)."""

    debtor: Debtor
    assignor_name: str
    bank_name: str
    receivables: tuple[AssignedReceivable, ...]
    day: date
    place: str = ""
    bank_iban: str = ""
    bank_bic: str = ""
    bank_address: str = ""

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.receivables), ZERO)


def notifications(
    slip: DaillyBordereau, *, bank_iban: str = "", bank_bic: str = "", bank_address: str = ""
) -> list[DaillyNotification]:
    """One notification per debtor of the bordereau, in the order the debtors first appear."""
    by_debtor: dict[tuple[str, str], list[AssignedReceivable]] = defaultdict(list)
    for r in slip.receivables:
        by_debtor[(r.debtor.siren, r.debtor.name)].append(r)
    return [
        DaillyNotification(
            debtor=items[0].debtor,
            assignor_name=slip.assignor_name,
            bank_name=slip.bank_name,
            receivables=tuple(items),
            day=slip.day,
            place=slip.place,
            bank_iban=compact_digits(bank_iban),
            bank_bic=bank_bic.strip().upper(),
            bank_address=bank_address.strip(),
        )
        for items in by_debtor.values()
    ]


def payment_instructions_fr(n: DaillyNotification) -> str:
    """How and to whom the debtor pays from now on (DAILLY-NOTIFY: payment method and payee)."""
    if n.bank_iban:
        bic = f" (BIC {n.bank_bic})" if n.bank_bic else ""
        return (
            f"Modalités de paiement\u00a0: par virement à l'ordre de {n.bank_name}, au crédit du compte "
            f"IBAN {fr_iban(n.bank_iban)}{bic}, en rappelant les numéros des factures."
        )
    where = f", {n.bank_address}" if n.bank_address else ""
    return (
        f"Modalités de paiement\u00a0: à l'ordre de {n.bank_name}{where}, selon les coordonnées bancaires "
        "que l'établissement vous communiquera."
    )


def validate_notification(n: DaillyNotification) -> list[Problem]:
    """What DAILLY-NOTIFY requires: assignor, receivables, payee; a bank IBAN (or a warning)."""
    problems: list[Problem] = []
    if not n.assignor_name.strip():
        problems.append(Problem("DAILLY-NOTIFY", "the assignor is not named", field="assignor_name"))
    if not n.bank_name.strip():
        problems.append(Problem("DAILLY-NOTIFY", "the bank to pay is not named", field="bank_name"))
    if not n.receivables:
        problems.append(Problem("DAILLY-NOTIFY", "no receivable is designated", field="receivables"))
    if not n.bank_iban:
        problems.append(
            Problem(
                "DAILLY-NOTIFY",
                "the bank's IBAN is not given: the letter cannot say where to pay",
                field="bank_iban",
                severity=Severity.WARN,
            )
        )
    elif not is_valid_iban(n.bank_iban):
        problems.append(
            Problem("DAILLY-NOTIFY", f"the bank's IBAN {n.bank_iban} is not valid", field="bank_iban")
        )
    return problems


def notification_letter(n: DaillyNotification) -> Letter:
    """The French notice to one debtor: who assigned what to whom, stop paying the assignor, how to pay."""
    header = ("Facture", "Émise le", "Échéance", "Montant")
    rows = [
        (r.number, fr_date(r.issue_date), fr_date(r.due_date), fr_money(r.amount, r.currency))
        for r in n.receivables
    ]
    paragraphs = (
        "Madame, Monsieur,",
        f"La société {n.assignor_name} vous informe qu'elle a cédé à {n.bank_name}, par acte de cession de "
        "créances professionnelles soumis aux articles L. 313-23 à L. 313-34 du Code monétaire et "
        "financier, les créances qu'elle détient sur vous et désignées ci-après\u00a0:",
        f"Montant total des créances cédées\u00a0: {fr_money(n.total)}.",
        f"Conformément à l'article L. 313-28 du Code monétaire et financier, cette notification vous est "
        f"adressée pour le compte de {n.bank_name}, établissement cessionnaire\u00a0: nous vous demandons de ne "
        f"plus payer ces créances entre les mains de {n.assignor_name}. À compter de sa réception, vous ne "
        f"serez valablement libéré qu'en payant {n.bank_name}.",
        payment_instructions_fr(n),
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
    )
    return Letter(NOTIFICATION_TITLE, paragraphs, (header, *rows), _place_date(n.place, n.day))


# ---- factoring -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """The factoring company the invoices are paid to, by subrogation (FACT-MECHANISM)."""

    name: str
    address: str = ""
    iban: str = ""
    bic: str = ""


def subrogation_mention(factor: Factor) -> str:
    """The mention printed on each factored invoice (FACT-INVOICE-MENTION, C. civ. 1346-5)."""
    where = f", {factor.address}" if factor.address else ""
    account = f", sur son compte IBAN {fr_iban(factor.iban)}" if factor.iban else ""
    if factor.iban and factor.bic:
        account += f" (BIC {factor.bic})"
    return (
        f"Pour être libératoire, le règlement de cette facture doit être effectué directement à l'ordre de "
        f"{factor.name}{where}{account}, qui la reçoit par subrogation dans le cadre d'un contrat "
        "d'affacturage. Toute réclamation relative à cette facture doit également lui être notifiée."
    )


def validate_factor(factor: Factor) -> list[Problem]:
    """The mention names the factor, its address and IBAN (FACT-INVOICE-MENTION)."""
    problems: list[Problem] = []
    if not factor.name.strip():
        problems.append(Problem("FACT-INVOICE-MENTION", "the factor is not named", field="factor"))
    if not factor.iban:
        problems.append(
            Problem("FACT-INVOICE-MENTION", "the factor's IBAN is not given", field="factor_iban")
        )
    elif not is_valid_iban(factor.iban):
        problems.append(
            Problem(
                "FACT-INVOICE-MENTION", f"the factor's IBAN {factor.iban} is not valid", field="factor_iban"
            )
        )
    if not factor.address.strip():
        problems.append(
            Problem(
                "FACT-INVOICE-MENTION",
                "the factor's address is not given",
                field="factor_address",
                severity=Severity.WARN,
            )
        )
    return problems


FACTORING_HEADER = (
    "invoice_number",
    "type_code",
    "issue_date",
    "due_date",
    "debtor_name",
    "debtor_siren",
    "debtor_vat_number",
    "currency",
    "total_incl_tax",
    "amount_due",
    "subrogation_mention",
)


@dataclass(frozen=True)
class FactoringRow:
    """One line of the factoring remittance file (machine-readable: ISO dates, dot decimals)."""

    invoice_number: str
    type_code: str
    issue_date: date
    due_date: date | None
    debtor_name: str
    debtor_siren: str
    debtor_vat_number: str
    currency: str
    total_incl_tax: Decimal
    amount_due: Decimal
    subrogation_mention: str
    invoice_id: int | None = None

    def as_record(self) -> tuple[str, ...]:
        """The row's cells in :data:`FACTORING_HEADER` order."""
        return (
            self.invoice_number,
            self.type_code,
            self.issue_date.isoformat(),
            self.due_date.isoformat() if self.due_date else "",
            self.debtor_name,
            self.debtor_siren,
            self.debtor_vat_number,
            self.currency,
            format_amount(self.total_incl_tax),
            format_amount(self.amount_due),
            self.subrogation_mention,
        )


def factoring_row(invoice: Invoice, factor: Factor) -> FactoringRow:
    """An invoice (type 393) or credit note (type 396, negative amounts) remitted to the factor (FACT-EINV)."""
    credit = invoice.kind is DocumentKind.CREDIT_NOTE
    sign = Decimal(-1) if credit else Decimal(1)
    customer = invoice.customer
    return FactoringRow(
        invoice_number=invoice.number,
        type_code=FACTORED_CREDIT_NOTE_TYPE if credit else FACTORED_INVOICE_TYPE,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        debtor_name=customer.name,
        debtor_siren=compact_digits(customer.siren),
        debtor_vat_number=compact_digits(customer.vat_number),
        currency=invoice.currency,
        total_incl_tax=sign * invoice.total_incl_tax,
        amount_due=sign * (invoice.total_incl_tax if credit else invoice.amount_due),
        subrogation_mention=subrogation_mention(factor),
        invoice_id=invoice.id,
    )
