"""Supplier payments: which approved supplier invoices a SEPA credit-transfer batch pays, and the batch.

A supplier invoice (received in the inbox, SCENARIOS §7) is paid only when it is

- approved by a person (``approved_at`` set);
- due on or before the batch's horizon (``until``);
- still owed (amount due − amount paid > 0), in euro (CHECKLIST SEPA-SCT: SCT is euro only);
- payable to a valid IBAN (ISO 13616 check digits: the pain.001 XSD accepts a bad IBAN, SEPA-SCT);
- **not** waiting for the confirmation of a changed supplier IBAN: an IBAN on the invoice that differs
  from the one on file is the classic "fake supplier" fraud; it is flagged at import and blocks the
  payment until someone confirms it (SCENARIOS §7, SEPA-VOP: the payer's bank checks the name against
  the IBAN, not that the IBAN is the supplier's);
- not already in a batch (never paid twice).

The execution date is a French business day (``calendar_fr``). Texts go through :func:`sepa_text`
(the EPC basic Latin character set) so that every bank accepts the file.

>>> sepa_text("Société Générale & Fils — n°42")
'Societe Generale + Fils - no42'
>>> execution_date(date(2026, 12, 24), today=date(2026, 12, 20))  # Christmas Eve → next business day
datetime.date(2026, 12, 24)
>>> execution_date(date(2026, 12, 25), today=date(2026, 12, 20))
datetime.date(2026, 12, 28)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import schwifty

from encaisse.domain.calendar_fr import next_business_day
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.money import ZERO, round_money
from encaisse.domain.parties import compact_digits

#: Largest amount of one SEPA credit transfer (EPC SCT implementation guidelines: 0.01 to 999 999 999.99).
MAX_TRANSFER = Decimal("999999999.99")
#: ISO 9362 BIC shape (as in the pain.001 XSD ``BICIdentifier``).
BIC_RE = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")

_SEPA_ALLOWED = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SUBSTITUTES = {"&": "+", "°": "o", "—": "-", "–": "-", "’": "'", "«": "", "»": "", "_": "-", "@": " "}


class PayableStatus(StrEnum):
    """``received_invoice.status`` values used by payables (``iban_changed`` is set by the inbox)."""

    RECEIVED = "received"
    IBAN_CHANGED = "iban_changed"
    PAYMENT_TRANSMITTED = "payment_transmitted"


def sepa_text(text: str, max_length: int = 140) -> str:
    """``text`` in the EPC SEPA basic Latin character set (EPC guidance on character sets).

    Accents are dropped, ``&`` becomes ``+``, other characters become a blank; blanks are collapsed.
    """
    for src, dst in _SUBSTITUTES.items():
        text = text.replace(src, dst)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join(_SEPA_ALLOWED.sub(" ", ascii_text).split())
    return cleaned[:max_length].strip()


def sepa_id(text: str, max_length: int = 35) -> str:
    """An identifier (MsgId, EndToEndId): SEPA characters without blanks, no leading/trailing or double ``/``."""
    cleaned = sepa_text(text, 10 * max_length).replace(" ", "-")
    while "//" in cleaned:
        cleaned = cleaned.replace("//", "/")
    return cleaned.strip("/")[:max_length].strip("/") or "NOTPROVIDED"


def is_valid_iban(value: str) -> bool:
    """ISO 13616 IBAN: known country, length and check digits (schwifty).

    Deliberately not ``python-stdnum``'s check, which also refuses valid IBANs of banks missing from its
    registry (e.g. the Belgian example ``BE68539007547034``).

    >>> is_valid_iban("BE68 5390 0754 7034"), is_valid_iban("BE69539007547034")
    (True, False)
    """
    try:
        schwifty.IBAN(value)
    except ValueError:
        return False
    return True


def in_sepa_zone(iban: str) -> bool:
    """True when the IBAN's country belongs to the SEPA scheme (SEPA-SCT, SEPA-IBAN-DISCRIM)."""
    try:
        return bool(schwifty.IBAN(iban).in_sepa_zone)
    except ValueError:
        return False


def is_valid_bic(value: str) -> bool:
    """ISO 9362 BIC: shape (8 or 11 characters) and a real ISO 3166 country code.

    >>> is_valid_bic("ABNANL2A"), is_valid_bic("ABNAXX2A"), is_valid_bic("CO1ADEFFXXX")
    (True, False, False)
    """
    if not BIC_RE.match(value):
        return False
    try:
        schwifty.BIC(value)
    except ValueError:
        return False
    return True


def execution_date(requested: date, *, today: date, subdiv: str | None = None) -> date:
    """The requested execution date, never in the past, moved to the next French business day."""
    return next_business_day(max(requested, today), subdiv=subdiv)


@dataclass(frozen=True)
class PayableInvoice:
    """A supplier invoice as payables sees it (``received_invoice`` joined to its supplier)."""

    id: int
    supplier_id: int
    supplier_name: str
    number: str
    issue_date: date
    due_date: date | None
    amount_due: Decimal
    amount_paid: Decimal = ZERO
    currency: str = "EUR"
    invoice_iban: str = ""  # BT-84 as written on the invoice
    supplier_iban: str = ""  # the IBAN on file (confirmed)
    supplier_bic: str = ""
    status: str = PayableStatus.RECEIVED
    approved_at: datetime | None = None
    payment_reference: str = ""

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, self.amount_due - self.amount_paid)

    @property
    def iban_to_pay(self) -> str:
        """The IBAN a transfer would go to: the one on file, else the invoice's."""
        return compact_digits(self.supplier_iban or self.invoice_iban)

    @property
    def iban_unconfirmed(self) -> bool:
        """The inbox flagged a new IBAN on this invoice that nobody has confirmed yet.

        Payments always go to the IBAN on file (:attr:`iban_to_pay`), which only a confirmation
        changes; an older invoice quoting the previous IBAN is therefore paid to the confirmed one.
        """
        return self.status == PayableStatus.IBAN_CHANGED


@dataclass(frozen=True)
class PaymentInstruction:
    """One SEPA credit transfer (``CdtTrfTxInf``). ``invoice_id`` is not carried by the file."""

    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    creditor_iban: str
    remittance: str
    creditor_bic: str = ""
    currency: str = "EUR"
    invoice_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PaymentBatch:
    """A pain.001 message: one debtor account, one execution date, its transfers (SEPA-SCT)."""

    message_id: str
    created_at: datetime
    execution_date: date
    debtor_name: str
    debtor_iban: str
    instructions: tuple[PaymentInstruction, ...]
    debtor_bic: str = ""
    batch_booking: bool = True

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.instructions), ZERO)

    @property
    def count(self) -> int:
        return len(self.instructions)


@dataclass(frozen=True)
class Selection:
    """What a batch would pay, and every invoice left out with the reason (a Problem each)."""

    selected: tuple[PayableInvoice, ...]
    excluded: tuple[tuple[PayableInvoice, Problem], ...]

    @property
    def total(self) -> Decimal:
        return sum((inv.outstanding for inv in self.selected), ZERO)


def _skip(inv: PayableInvoice, code: str, message: str, severity: Severity = Severity.WARN) -> Problem:
    return Problem(
        code,
        f"{inv.supplier_name} invoice {inv.number}: {message}",
        field="received_invoice",
        severity=severity,
        args={"supplier": inv.supplier_name, "number": inv.number, "id": inv.id},
    )


def exclusion(inv: PayableInvoice, *, until: date, already_batched: frozenset[int]) -> Problem | None:
    """Why ``inv`` cannot be paid in a batch up to ``until`` (``None`` when it can)."""
    if inv.id in already_batched or inv.status == PayableStatus.PAYMENT_TRANSMITTED:
        return _skip(inv, "PAY-ALREADY-BATCHED", "already in a payment batch", Severity.INFO)
    if inv.outstanding <= ZERO:
        return _skip(inv, "PAY-NOTHING-DUE", "nothing left to pay", Severity.INFO)
    if inv.approved_at is None:
        return _skip(inv, "PAY-NOT-APPROVED", "not approved yet (encaisse payables approve)", Severity.INFO)
    if inv.due_date is not None and inv.due_date > until:
        return _skip(inv, "PAY-NOT-DUE", f"due on {inv.due_date.isoformat()}, after {until}", Severity.INFO)
    if inv.iban_unconfirmed:
        return _skip(
            inv,
            "PAY-IBAN-CHANGED",
            "the supplier's IBAN changed and was not confirmed: call the supplier on a known number, "
            "then confirm the new IBAN",
            Severity.ERROR,
        )
    if not inv.iban_to_pay:
        return _skip(inv, "PAY-IBAN-MISSING", "no IBAN to pay to", Severity.ERROR)
    if not is_valid_iban(inv.iban_to_pay):
        return _skip(inv, "PAY-IBAN-INVALID", f"IBAN {inv.iban_to_pay} fails its checksum", Severity.ERROR)
    if not in_sepa_zone(inv.iban_to_pay):
        return _skip(inv, "PAY-IBAN-NOT-SEPA", f"IBAN {inv.iban_to_pay} is outside SEPA", Severity.ERROR)
    if inv.currency != "EUR":
        return _skip(inv, "PAY-CURRENCY", f"in {inv.currency}: SEPA transfers are in euro", Severity.ERROR)
    if inv.outstanding > MAX_TRANSFER:
        return _skip(inv, "PAY-AMOUNT", "amount above one transfer's maximum", Severity.ERROR)
    return None


def select_payables(
    invoices: list[PayableInvoice] | tuple[PayableInvoice, ...],
    *,
    until: date,
    already_batched: frozenset[int] = frozenset(),
) -> Selection:
    """Approved invoices due up to ``until`` that can be paid now, oldest due date first.

    >>> inv = PayableInvoice(1, 7, "Dupont", "A1", date(2026, 1, 2), date(2026, 2, 1), Decimal("120.00"),
    ...                      supplier_iban="FR7630006000011234567890189", approved_at=datetime(2026, 1, 5))
    >>> [i.number for i in select_payables([inv], until=date(2026, 2, 1)).selected]
    ['A1']
    >>> select_payables([inv], until=date(2026, 2, 1), already_batched=frozenset({1})).excluded[0][1].code
    'PAY-ALREADY-BATCHED'
    """
    selected: list[PayableInvoice] = []
    excluded: list[tuple[PayableInvoice, Problem]] = []
    seen: set[int] = set()
    for inv in sorted(invoices, key=lambda i: (i.due_date or i.issue_date, i.id)):
        if inv.id in seen:
            continue
        seen.add(inv.id)
        problem = exclusion(inv, until=until, already_batched=already_batched)
        if problem is None:
            selected.append(inv)
        else:
            excluded.append((inv, problem))
    return Selection(tuple(selected), tuple(excluded))


def instruction_for(inv: PayableInvoice) -> PaymentInstruction:
    """The transfer paying ``inv``: its outstanding amount, to the confirmed IBAN, quoting its number."""
    reference = inv.payment_reference or f"Facture {inv.number}"
    return PaymentInstruction(
        end_to_end_id=sepa_id(f"{inv.id}-{inv.number}"),
        amount=round_money(inv.outstanding),
        creditor_name=sepa_text(inv.supplier_name, 70) or "Fournisseur",
        creditor_iban=inv.iban_to_pay,
        remittance=sepa_text(reference, 140),
        creditor_bic=inv.supplier_bic if is_valid_bic(inv.supplier_bic) else "",
        currency=inv.currency,
        invoice_id=inv.id,
    )


def build_batch(
    selection: Selection,
    *,
    message_id: str,
    created_at: datetime,
    execution_day: date,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str = "",
) -> PaymentBatch:
    """The pain.001 batch paying every selected invoice from the company's account."""
    return PaymentBatch(
        message_id=sepa_id(message_id),
        created_at=created_at.replace(microsecond=0),
        execution_date=execution_day,
        debtor_name=sepa_text(debtor_name, 70),
        debtor_iban=compact_digits(debtor_iban),
        debtor_bic=debtor_bic if is_valid_bic(debtor_bic) else "",
        instructions=tuple(instruction_for(inv) for inv in selection.selected),
    )


def validate_batch(batch: PaymentBatch) -> list[Problem]:
    """Everything that would make a bank refuse the batch (SEPA-SCT), as problems.

    >>> b = PaymentBatch("M1", datetime(2026, 1, 5), date(2026, 1, 6), "ACME", "FR7630006000011234567890188", ())
    >>> sorted(p.code for p in validate_batch(b))
    ['PAY-BATCH-EMPTY', 'PAY-DEBTOR-IBAN']
    """
    problems: list[Problem] = []
    if not batch.instructions:
        problems.append(Problem("PAY-BATCH-EMPTY", "the batch pays nothing", field="CdtTrfTxInf"))
    if not is_valid_iban(batch.debtor_iban):
        problems.append(
            Problem(
                "PAY-DEBTOR-IBAN",
                f"the company's IBAN {batch.debtor_iban or '(none)'} is not valid: set it in the settings",
                field="DbtrAcct",
            )
        )
    if not batch.debtor_name:
        problems.append(Problem("PAY-DEBTOR-NAME", "the debtor has no name", field="Dbtr/Nm"))
    if not batch.message_id or len(batch.message_id) > 35:
        problems.append(Problem("PAY-MSGID", "the message id must have 1 to 35 characters", field="MsgId"))
    ids = [i.end_to_end_id for i in batch.instructions]
    if len(set(ids)) != len(ids):
        problems.append(Problem("PAY-E2E-DUPLICATE", "two transfers share an EndToEndId", field="EndToEndId"))
    for n, ins in enumerate(batch.instructions, start=1):
        where = f"CdtTrfTxInf[{n}]"
        if not is_valid_iban(ins.creditor_iban):
            problems.append(
                Problem("PAY-IBAN-INVALID", f"IBAN {ins.creditor_iban} fails its checksum", field=where)
            )
        if ins.currency != "EUR":
            problems.append(Problem("PAY-CURRENCY", "SEPA credit transfers are in euro", field=where))
        if not ZERO < ins.amount <= MAX_TRANSFER or ins.amount != round_money(ins.amount):
            problems.append(Problem("PAY-AMOUNT", f"amount {ins.amount} is not payable", field=where))
        if not ins.creditor_name:
            problems.append(Problem("PAY-CREDITOR-NAME", "the creditor has no name", field=where))
        if ins.creditor_bic and not is_valid_bic(ins.creditor_bic):
            problems.append(Problem("PAY-BIC", f"BIC {ins.creditor_bic} is malformed", field=where))
    return problems
