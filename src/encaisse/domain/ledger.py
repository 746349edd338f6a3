"""Journal entries (French PCG, ANC 2014-03) from invoices, payments, bank lines and supplier invoices.

Every function here is pure: it turns documents into balanced :class:`Entry` objects, and the
pipeline :func:`ledger_for_period` numbers them per journal (FEC-SEQUENCE), puts the opening
balances first (FEC-CONTENT) and letters the customer lines that settle each other.

Accounts (CHECKLIST §5.2): 411 + one auxiliary account per customer (PCG-411), 706 services /
707 goods / 7085 re-invoiced shipping and travel (PCG-706/707/708), 4191 deposits (DEP-ACCOUNT,
PCG-4191), 44571 output VAT (PCG-44571), 44574 output VAT not yet due when VAT is paid on
collection (PCG-4457-PENDING, VAT-CHARGEABLE-SERVICES), 44566 input VAT (PCG-44566), 512 bank.

Credit notes are booked as the exact reversal of the revenue accounts of their lines (contre-
passation) rather than on 709: an Encaisse credit note copies the corrected invoice's lines (a
cancellation or a correction, CN-REFERENCE), so reversing 706/707 keeps the turnover per nature
and the VAT-return bases right; 709 is left to commercial rebates booked by the accountant.

Amounts are signed internally (debit positive, credit negative) and every entry's receivable or
payable line is computed as the balancing amount, so an entry balances by construction
(FEC-BALANCED) even after conversion of a foreign-currency invoice to euros.

>>> from encaisse.domain.documents import Line, InvoiceStatus
>>> from encaisse.domain.parties import Party
>>> inv = Invoice(company_id=1, customer=Party(name="ACME", id=7), issue_date=date(2026, 3, 2),
...               number="F2026-00001", status=InvoiceStatus.ISSUED,
...               lines=(Line("Pose", Decimal(1), Decimal("100.00")),))
>>> [(ln.account, ln.aux_account, ln.debit, ln.credit) for ln in entries_for_invoice(inv).lines]
[('411', 'C00007', Decimal('120.00'), Decimal('0.00')), ('706', '', Decimal('0.00'), Decimal('100.00')), ('44571', '', Decimal('0.00'), Decimal('20.00'))]
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.documents import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Line,
    LineNature,
    VatGroup,
    compute_totals,
    group_key,
)
from encaisse.domain.errors import Problem
from encaisse.domain.money import ZERO, round_money, round_to
from encaisse.domain.parties import Party

JOURNALS: dict[str, str] = {
    "AN": "À-nouveaux",
    "VE": "Journal des ventes",
    "HA": "Journal des achats",
    "BQ": "Journal de banque",
    "OD": "Opérations diverses",
}
Day = date  # the field ``Entry.date`` shadows the type inside the class
_JOURNAL_RANK = {code: rank for rank, code in enumerate(JOURNALS)}

RECEIVABLE, DEPOSITS, PAYABLE, BANK, SUSPENSE = "411", "4191", "401", "512", "471"
VAT_COLLECTED, VAT_PENDING, VAT_DEDUCTIBLE = "44571", "44574", "44566"

#: PCG account labels (ISO 8859-15 safe: no typographic dashes or quotes).
ACCOUNTS: dict[str, str] = {
    "120": "Résultat de l'exercice (bénéfice)",
    "129": "Résultat de l'exercice (perte)",
    "164": "Emprunts auprès des établissements de crédit",
    "401": "Fournisseurs",
    "411": "Clients",
    "4191": "Clients - avances et acomptes reçus sur commandes",
    "421": "Personnel - rémunérations dues",
    "431": "Sécurité sociale",
    "44551": "TVA à décaisser",
    "44566": "TVA déductible sur autres biens et services",
    "44571": "TVA collectée",
    "44574": "TVA collectée non exigible (encaissements)",
    "471": "Compte d'attente",
    "512": "Banque",
    "530": "Caisse",
    "580": "Virements internes",
    "607": "Achats de marchandises",
    "613": "Locations",
    "616": "Primes d'assurances",
    "627": "Services bancaires et assimilés",
    "635": "Autres impôts, taxes et versements assimilés",
    "6541": "Pertes sur créances irrécouvrables de l'exercice",
    "658": "Charges diverses de gestion courante",
    "661": "Charges d'intérêts",
    "666": "Pertes de change financières",
    "665": "Escomptes accordés",
    "706": "Prestations de services",
    "707": "Ventes de marchandises",
    "7085": "Ports et frais accessoires facturés",
    "758": "Produits divers de gestion courante",
    "766": "Gains de change financiers",
}

#: Bank-line categories (``bank_transaction.category``, domain.matching.rules) -> PCG account.
CATEGORY_ACCOUNTS: dict[str, str] = {
    "bank_fees": "627",
    "salaries": "421",
    "social_charges": "431",
    "vat": "44551",
    "taxes": "635",
    "rent": "613",
    "loan": "164",
    "loan_interest": "661",
    "insurance": "616",
    "card_settlement": "580",
    "suppliers": "401",
    "other": SUSPENSE,
}

#: Payment methods that bring money in (the bank, or the till for cash) -> account.
CASH_METHODS: dict[str, str] = {"transfer": BANK, "card": BANK, "cheque": BANK, "sdd": BANK, "cash": "530"}
#: Settlements without money (reconciliation write-offs) -> (account, entry label prefix).
NON_CASH_METHODS: dict[str, tuple[str, str]] = {
    "bank_fees": ("627", "Frais bancaires retenus"),
    "discount": ("665", "Escompte accordé"),
    "rounding": ("658", "Écart de règlement"),
    "writeoff": ("6541", "Perte sur créance"),
}
_SHIPPING = ("frais de port", "port ", "frais de livraison", "frais d'envoi", "frais de transport")
_TRAVEL = ("forfait déplacement", "frais de déplacement", "déplacement")


@dataclass(frozen=True)
class EntryLine:
    """One line of an entry (the FEC columns 5-8 and 12-18).

    ``match_ref`` (the invoice a receivable line belongs to), ``vat_rate`` and ``vat_base`` are
    working data for lettering and the VAT report: not FEC columns, so not compared.
    """

    account: str
    account_label: str
    aux_account: str = ""
    aux_label: str = ""
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    lettering: str = ""
    lettering_date: date | None = None
    currency_amount: Decimal | None = None
    currency: str = ""
    label: str = ""  # the line's own EcritureLib when it differs from the entry's
    match_ref: str = field(default="", compare=False)
    vat_rate: Decimal | None = field(default=None, compare=False)
    vat_base: Decimal | None = field(default=None, compare=False)

    @property
    def signed(self) -> Decimal:
        """Debit positive, credit negative."""
        return self.debit - self.credit


@dataclass(frozen=True)
class Entry:
    """A journal entry: one supporting document, lines that balance (FEC-BALANCED)."""

    journal: str
    number: str
    date: date
    piece_ref: str
    piece_date: Day
    label: str
    lines: tuple[EntryLine, ...]
    journal_label: str = ""
    valid_date: Day | None = None

    @property
    def total_debit(self) -> Decimal:
        return sum((ln.debit for ln in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((ln.credit for ln in self.lines), ZERO)


@dataclass(frozen=True)
class Payment:
    """A settlement of one invoice: money (transfer, card, cheque…) or a write-off (fees, discount…)."""

    invoice_number: str
    day: date
    amount: Decimal  # in the invoice currency
    method: str = "transfer"
    reference: str = ""


@dataclass(frozen=True)
class BankLine:
    """A bank movement that settles no invoice (signed: credits positive), with its category."""

    day: date
    amount: Decimal
    label: str
    reference: str = ""
    category: str | None = None


@dataclass(frozen=True)
class SupplierInvoice:
    """A received invoice as booked: totals, supplier, the expense account (607 by default)."""

    number: str
    issue_date: date
    supplier_name: str
    total_excl_tax: Decimal
    total_vat: Decimal
    supplier_id: int | None = None
    credit_note: bool = False
    expense_account: str = "607"


@dataclass(frozen=True)
class Period:
    """Inclusive date range: a month, a VAT period or a fiscal year."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def fiscal_year(cls, year: int, end_month: int = 12) -> Period:
        """The fiscal year closing at the end of ``end_month`` of ``year`` (numbering.fiscal_year_of)."""
        end = date(year, end_month, calendar.monthrange(year, end_month)[1])
        start = date(year, 1, 1) if end_month == 12 else date(year - 1, end_month + 1, 1)
        return cls(start, end)


def account_label(account: str) -> str:
    return ACCOUNTS.get(account, "")


def customer_aux(party: Party) -> str:
    """Auxiliary account of a customer (PCG-411): its own code, else ``C`` + its id (or SIREN)."""
    ref = "".join(ch for ch in party.reference.upper() if ch.isascii() and ch.isalnum())[:17]
    if ref:
        return ref
    if party.id is not None:
        return f"C{party.id:05d}"
    if party.siren:
        return "C" + "".join(ch for ch in party.siren if ch.isdigit())
    name = "".join(ch for ch in party.name.upper() if ch.isascii() and ch.isalnum())[:12]
    return "C" + (name or "DIVERS")


def supplier_aux(supplier_id: int | None, name: str) -> str:
    if supplier_id is not None:
        return f"F{supplier_id:05d}"
    return "F" + ("".join(ch for ch in name.upper() if ch.isascii() and ch.isalnum())[:12] or "DIVERS")


def revenue_account(line: Line, kind: DocumentKind = DocumentKind.INVOICE) -> str:
    """4191 for deposits and their deduction (DEP-ACCOUNT), 7085 shipping/travel, 707 goods, 706 services."""
    if kind is DocumentKind.DEPOSIT or line.deposit_invoice_number:
        return DEPOSITS
    text = line.description.casefold().strip()
    if text.startswith(_SHIPPING + _TRAVEL):
        return "7085"
    return "707" if line.nature is LineNature.GOODS else "706"


def category_account(category: str | None) -> str:
    """The account of a categorised bank line; a bare PCG number is taken as is; else 471."""
    if category is None:
        return SUSPENSE
    if category[:3].isdigit() and category.isdigit():
        return category
    return CATEGORY_ACCOUNTS.get(category, SUSPENSE)


def receivable_key(invoice: Invoice) -> str:
    """What lettering groups on: the invoice number (the corrected invoice's for a credit note)."""
    if invoice.kind is DocumentKind.CREDIT_NOTE and invoice.corrects_number:
        return invoice.corrects_number
    return invoice.number


def post(account: str, amount: Decimal, **extra: object) -> EntryLine:
    """A line from a signed amount (debit positive); the label comes from :data:`ACCOUNTS`."""
    debit, credit = (amount, ZERO) if amount > 0 else (ZERO, -amount)
    extra.setdefault("account_label", account_label(account) or account)
    return EntryLine(account=account, debit=debit, credit=credit, **extra)  # type: ignore[arg-type]


def _eur(amount: Decimal, invoice: Invoice) -> Decimal:
    return round_money(amount if invoice.currency == "EUR" else amount * invoice.eur_rate)


def _spread(by_account: dict[str, Decimal], allowance: Decimal) -> list[tuple[str, Decimal]]:
    """Net amounts per account after taking a document allowance prorata (last one takes the rest)."""
    accounts = sorted(by_account)
    total = sum(by_account.values(), ZERO)
    out, left = [], allowance
    for i, account in enumerate(accounts):
        share = (
            left
            if i == len(accounts) - 1
            else (round_money(allowance * by_account[account] / total) if total else ZERO)
        )
        left -= share
        out.append((account, by_account[account] - share))
    return out


def _pending_tax(kind: DocumentKind, group: VatGroup, lines: Sequence[Line]) -> Decimal:
    """VAT of ``group`` not due before collection: services (VAT-CHARGEABLE-SERVICES), whole deposits
    (DEP-VAT-GOODS: a deposit's VAT is due when collected, goods included)."""
    if kind is DocumentKind.DEPOSIT:
        return group.tax_amount
    base = sum((ln.net_amount for ln in lines), ZERO)
    services = sum((ln.net_amount for ln in lines if ln.nature is LineNature.SERVICES), ZERO)
    return round_money(group.tax_amount * services / base) if base else ZERO


def _document_label(invoice: Invoice) -> str:
    kind = {"invoice": "Facture", "deposit": "Facture d'acompte", "credit_note": "Avoir"}[invoice.kind.value]
    return f"{kind} {invoice.number} {invoice.customer.name}".strip()


def entries_for_invoice(
    invoice: Invoice, *, vat_on_collection: bool = False, corrects_deposit: bool = False
) -> Entry:
    """The sales-journal (VE) entry of an issued invoice, deposit invoice or credit note.

    411 (customer's auxiliary account) for the total incl. VAT; revenue per line nature net of the
    document allowance; output VAT per rate on 44571, or on 44574 for the part due on collection
    when ``vat_on_collection`` (PCG-4457-PENDING). A credit note is the mirror image (of 4191 when
    it ``corrects_deposit``). Imported receivables (a total without lines) are booked 411 / 471 on the OD journal.
    """
    sign = Decimal(-1) if invoice.kind is DocumentKind.CREDIT_NOTE else Decimal(1)
    kind = DocumentKind.DEPOSIT if corrects_deposit else invoice.kind
    aux = {"aux_account": customer_aux(invoice.customer), "aux_label": invoice.customer.name}
    label = _document_label(invoice)
    posts: list[EntryLine] = []
    journal = "VE"
    if invoice.total_incl_tax_override is not None and not invoice.lines:
        journal, label = "OD", f"Reprise de la créance {invoice.number} {invoice.customer.name}"
        posts.append(post(SUSPENSE, -sign * _eur(invoice.total_incl_tax_override, invoice)))
    totals = compute_totals(invoice)
    for g in totals.vat_groups:
        glines = [ln for ln in invoice.lines if group_key(ln) == (g.category, g.rate)]
        by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
        deducted: dict[str, Decimal] = defaultdict(lambda: ZERO)  # deposits: never discounted (DEP-FINAL)
        for ln in glines:
            discounted = not ln.deposit_invoice_number or invoice.deposit_deduction_discounted
            (by_account if discounted else deducted)[revenue_account(ln, kind)] += ln.net_amount
        for account, amount in sorted([*_spread(by_account, g.allowance), *deducted.items()]):
            if amount:
                posts.append(post(account, -sign * _eur(amount, invoice)))
        pending = _pending_tax(kind, g, glines) if vat_on_collection else ZERO
        pending_base = round_money(g.taxable_amount * pending / g.tax_amount) if g.tax_amount else ZERO
        for account, tax, base in (
            (VAT_PENDING, pending, pending_base),
            (VAT_COLLECTED, g.tax_amount - pending, g.taxable_amount - pending_base),
        ):
            if tax:
                posts.append(
                    post(account, -sign * _eur(tax, invoice), vat_rate=g.rate, vat_base=_eur(base, invoice))
                )
    balance = -sum((ln.signed for ln in posts), ZERO)
    foreign = invoice.currency != "EUR"
    receivable = post(
        RECEIVABLE,
        balance,
        match_ref=receivable_key(invoice),
        currency_amount=invoice.total_incl_tax if foreign else None,
        currency=invoice.currency if foreign else "",
        **aux,
    )
    lines = ([receivable] if balance else []) + posts
    return Entry(journal, "", invoice.issue_date, invoice.number, invoice.issue_date, label, tuple(lines))


def entries_for_payment(
    invoice: Invoice,
    payment: Payment,
    *,
    paid_before: Decimal = ZERO,
    vat_on_collection: bool = False,
    bank_account: str = BANK,
) -> Entry:
    """A settlement of ``invoice``: bank (BQ) 512 / 411, or a write-off (OD) 627 fees, 665 discount,
    658/758 rounding, 6541 loss / 411. With VAT on collection, the VAT of the settled share moves
    from 44574 to 44571 (PCG-4457-PENDING), cumulatively rounded so a full payment clears it.
    A foreign-currency settlement clears its share of the euro receivable, the conversion cents
    going to 666/766. A credit note's settlement (a refund) is the mirror image.
    """
    sign = Decimal(-1) if invoice.kind is DocumentKind.CREDIT_NOTE else Decimal(1)
    amount = _eur(payment.amount, invoice)
    if payment.method in NON_CASH_METHODS:
        journal = "OD"
        account, what = NON_CASH_METHODS[payment.method]
        if payment.method == "rounding" and payment.amount < 0:
            account = "758"
    else:
        journal, what = "BQ", "Règlement"
        account = CASH_METHODS.get(payment.method, bank_account)
        account = bank_account if account == BANK else account
    foreign = invoice.currency != "EUR"
    settled = amount
    if foreign:
        receivable = sign * entries_for_invoice(invoice, vat_on_collection=vat_on_collection).lines[0].signed
        settled = _cumulative(receivable, invoice, paid_before + payment.amount) - _cumulative(
            receivable, invoice, paid_before
        )
    lines = [
        post(account, sign * amount),
        post("666" if settled > amount else "766", sign * (settled - amount)),
        post(
            RECEIVABLE,
            -sign * settled,
            aux_account=customer_aux(invoice.customer),
            aux_label=invoice.customer.name,
            match_ref=receivable_key(invoice),
            currency_amount=abs(payment.amount) if foreign else None,
            currency=invoice.currency if foreign else "",
        ),
    ]
    if vat_on_collection:
        lines += _vat_transfer(invoice, payment.amount, paid_before)
    label = f"{what} {invoice.number} {invoice.customer.name}".strip()
    reference = payment.reference or invoice.number
    return Entry(
        journal, "", payment.day, reference, payment.day, label, tuple(ln for ln in lines if ln.signed)
    )


def _cumulative(amount: Decimal, invoice: Invoice, paid: Decimal) -> Decimal:
    """The share of ``amount`` settled once ``paid`` (invoice currency) is paid, rounded to the cent."""
    total = invoice.total_incl_tax
    return round_money(amount * min(max(paid, ZERO), total) / total) if total else ZERO


def _vat_transfer(invoice: Invoice, amount: Decimal, paid_before: Decimal) -> list[EntryLine]:
    def share(pending: Decimal, paid: Decimal) -> Decimal:
        return _cumulative(pending, invoice, paid)

    out: list[EntryLine] = []
    for ln in entries_for_invoice(invoice, vat_on_collection=True).lines:
        if ln.account != VAT_PENDING:
            continue
        pending, base = ln.credit - ln.debit, ln.vat_base or ZERO
        tax = share(pending, paid_before + amount) - share(pending, paid_before)
        moved_base = share(base, paid_before + amount) - share(base, paid_before)
        if tax:
            out.append(post(VAT_PENDING, tax, vat_rate=ln.vat_rate, vat_base=abs(moved_base)))
            out.append(post(VAT_COLLECTED, -tax, vat_rate=ln.vat_rate, vat_base=abs(moved_base)))
    return out


def entries_for_bank_line(line: BankLine, *, bank_account: str = BANK) -> Entry:
    """A categorised bank movement (BQ): 512 against 627 fees, 421 salaries, 431 URSSAF, 44551 VAT,
    635 taxes, 613 rent, 164 loan, 616 insurance, 401 suppliers; 471 when not categorised yet."""
    account = category_account(line.category)
    text = " ".join(line.label.split())[:200] or "Mouvement bancaire"
    reference = line.reference or f"RELEVE{line.day:%Y%m%d}"
    lines = (post(bank_account, line.amount), post(account, -line.amount))
    return Entry("BQ", "", line.day, reference, line.day, text, lines)


def entries_for_supplier_invoice(invoice: SupplierInvoice) -> Entry:
    """The purchases-journal (HA) entry: expense HT and 44566 VAT debit, 401 (supplier's aux) credit."""
    sign = Decimal(-1) if invoice.credit_note else Decimal(1)
    posts = [post(invoice.expense_account, sign * invoice.total_excl_tax)]
    if invoice.total_vat:
        posts.append(post(VAT_DEDUCTIBLE, sign * invoice.total_vat, vat_base=abs(invoice.total_excl_tax)))
    balance = -sum((ln.signed for ln in posts), ZERO)
    payable = post(
        PAYABLE,
        balance,
        aux_account=supplier_aux(invoice.supplier_id, invoice.supplier_name),
        aux_label=invoice.supplier_name,
        match_ref=invoice.number,
    )
    label = f"{'Avoir' if invoice.credit_note else 'Facture'} {invoice.number} {invoice.supplier_name}"
    return Entry("HA", "", invoice.issue_date, invoice.number, invoice.issue_date, label, (payable, *posts))


def _nonzero(entry: Entry) -> Entry:
    return replace(entry, lines=tuple(ln for ln in entry.lines if ln.debit or ln.credit))


# ---- the pipeline: documents -> entries of a period, opening balances first, numbered, lettered ------------
@dataclass(frozen=True)
class LedgerSources:
    """Everything the books are made of, as plain data (loaded by the accounting service)."""

    invoices: tuple[Invoice, ...] = ()
    payments: tuple[Payment, ...] = ()
    bank_lines: tuple[BankLine, ...] = ()
    supplier_invoices: tuple[SupplierInvoice, ...] = ()
    vat_on_collection: bool = False


def is_booked(invoice: Invoice) -> bool:
    """Issued documents are booked (cancelled ones too: their credit note reverses them); drafts never."""
    return bool(invoice.number) and invoice.status is not InvoiceStatus.DRAFT


def all_entries(sources: LedgerSources) -> list[Entry]:
    """Unnumbered entries of every booked document, settlement, bank line and supplier invoice."""
    booked = {inv.number: inv for inv in sources.invoices if is_booked(inv)}
    collection = sources.vat_on_collection
    out = [
        entries_for_invoice(
            inv,
            vat_on_collection=collection,
            corrects_deposit=inv.kind is DocumentKind.CREDIT_NOTE
            and getattr(booked.get(inv.corrects_number), "kind", None) is DocumentKind.DEPOSIT,
        )
        for inv in booked.values()
    ]
    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for pay in sorted(sources.payments, key=lambda p: p.day):
        inv = booked.get(pay.invoice_number)
        if inv is not None:
            out.append(
                entries_for_payment(inv, pay, paid_before=paid[inv.number], vat_on_collection=collection)
            )
            paid[inv.number] += pay.amount
    out += [entries_for_bank_line(b) for b in sources.bank_lines]
    out += [entries_for_supplier_invoice(s) for s in sources.supplier_invoices]
    cleaned = (_nonzero(e) for e in out)
    return [e for e in cleaned if e.lines]


def opening_entry(earlier: Iterable[Entry], day: date) -> Entry | None:
    """À-nouveaux (FEC-CONTENT): balance-sheet accounts (classes 1-5) carried forward, customer and
    supplier items one by one (so they can be lettered later), the earlier result on 120/129."""
    balances: dict[tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    labels: dict[tuple[str, str, str], tuple[str, str]] = {}
    result = ZERO
    for entry in earlier:
        for ln in entry.lines:
            if ln.account[:1] in "12345":
                item = ln.match_ref if ln.account.startswith((RECEIVABLE, PAYABLE)) else ""
                key = (ln.account, ln.aux_account, item)
                balances[key] += ln.signed
                labels[key] = (ln.account_label, ln.aux_label)
            else:
                result += ln.signed
    lines = [
        post(
            account,
            amount,
            account_label=labels[(account, aux, item)][0],
            aux_account=aux,
            aux_label=labels[(account, aux, item)][1],
            match_ref=item,
            label=f"À-nouveau {item}" if item else "",
        )
        for (account, aux, item), amount in sorted(balances.items())
        if amount
    ]
    if result:
        lines.append(post("129" if result > 0 else "120", result))
    if not lines:
        return None
    return Entry("AN", "", day, f"AN{day:%Y%m%d}", day, f"À-nouveaux au {day:%d/%m/%Y}", tuple(lines))


def number_entries(entries: Sequence[Entry]) -> list[Entry]:
    """Chronological order (opening entry first), numbers ``<journal><6 digits>`` continuous per
    journal (FEC-SEQUENCE); validation date = the entry date (issued documents are immutable)."""
    order = sorted(
        range(len(entries)),
        key=lambda i: (
            entries[i].journal != "AN",
            entries[i].date,
            _JOURNAL_RANK.get(entries[i].journal, len(_JOURNAL_RANK)),
            entries[i].journal,
            i,
        ),
    )
    counters: dict[str, int] = defaultdict(int)
    out = []
    for i in order:
        e = entries[i]
        counters[e.journal] += 1
        out.append(
            replace(
                e,
                number=f"{e.journal}{counters[e.journal]:06d}",
                journal_label=e.journal_label or JOURNALS.get(e.journal, e.journal),
                valid_date=e.valid_date or e.date,
            )
        )
    return out


def lettering_code(n: int) -> str:
    """The n-th lettering code: 0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``.

    >>> [lettering_code(n) for n in (0, 25, 26, 701, 702)]
    ['A', 'Z', 'AA', 'ZZ', 'AAA']
    """
    code, n = "", n + 1
    while n:
        n, rest = divmod(n - 1, 26)
        code = chr(65 + rest) + code
    return code


def letter(entries: Sequence[Entry], *, account: str = RECEIVABLE) -> list[Entry]:
    """Letter the lines of ``account`` that settle each other: same auxiliary account, same invoice,
    balance zero (an invoice with its payments and credit notes). Codes run per auxiliary account;
    the lettering date is the date of the last line of the group."""
    groups: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for i, e in enumerate(entries):
        for j, ln in enumerate(e.lines):
            if ln.account.startswith(account) and ln.match_ref and not ln.lettering:
                groups[(ln.aux_account, ln.match_ref)].append((i, j))
    ordered = sorted(
        groups.items(), key=lambda kv: (max(entries[i].date for i, _ in kv[1]), kv[0][1], kv[0][0])
    )
    codes: dict[str, int] = defaultdict(int)
    marks: dict[tuple[int, int], tuple[str, date]] = {}
    for (aux, _), members in ordered:
        amounts = [entries[i].lines[j].signed for i, j in members]
        if len(members) < 2 or sum(amounts, ZERO) != 0:
            continue
        code = lettering_code(codes[aux])
        codes[aux] += 1
        day = max(entries[i].date for i, _ in members)
        marks.update(dict.fromkeys(members, (code, day)))
    out = []
    for i, e in enumerate(entries):
        if any((i, j) in marks for j in range(len(e.lines))):
            lines = tuple(
                replace(ln, lettering=marks[(i, j)][0], lettering_date=marks[(i, j)][1])
                if (i, j) in marks
                else ln
                for j, ln in enumerate(e.lines)
            )
            e = replace(e, lines=lines)
        out.append(e)
    return out


def ledger_for_period(sources: LedgerSources, period: Period) -> list[Entry]:
    """The entries of a fiscal year as the FEC wants them: opening balances first, then the year's
    entries in date order, numbered per journal, customer lines lettered within the year."""
    entries = all_entries(sources)
    opening = opening_entry((e for e in entries if e.date < period.start), period.start)
    within = [e for e in entries if e.date in period]
    return letter(number_entries(([opening] if opening else []) + within))


# ---- checks -------------------------------------------------------------------------------------------------
def balance_check(entries: Iterable[Entry]) -> list[Problem]:
    """FEC-BALANCED: every entry balances, and so does the whole; FEC-AMOUNT: one side per line."""
    problems: list[Problem] = []
    debit = credit = ZERO
    for e in entries:
        if e.total_debit != e.total_credit or not e.lines:
            problems.append(
                Problem(
                    "FEC-BALANCED",
                    f"entry {e.journal} {e.number} ({e.piece_ref}) does not balance: "
                    f"debit {e.total_debit} != credit {e.total_credit}",
                    field=e.number,
                )
            )
        for ln in e.lines:
            if ln.debit < 0 or ln.credit < 0 or (ln.debit and ln.credit):
                problems.append(
                    Problem(
                        "FEC-AMOUNT",
                        f"entry {e.number}: account {ln.account} has a bad amount pair",
                        field=e.number,
                    )
                )
        debit += e.total_debit
        credit += e.total_credit
    if debit != credit:
        problems.append(Problem("FEC-BALANCED", f"the entries do not balance overall: {debit} != {credit}"))
    return problems


def sequence_check(entries: Iterable[Entry]) -> list[Problem]:
    """FEC-SEQUENCE: entry numbers continuous per journal, in date order."""
    problems: list[Problem] = []
    last: dict[str, tuple[int, date]] = {}
    for e in entries:
        digits = e.number[len(e.number.rstrip("0123456789")) :]
        if not digits:
            problems.append(Problem("FEC-SEQUENCE", f"entry {e.piece_ref} of {e.journal} has no number"))
            continue
        n = int(digits)
        prev = last.get(e.journal)
        if prev is not None and n != prev[0] + 1:
            problems.append(
                Problem(
                    "FEC-SEQUENCE",
                    f"journal {e.journal}: entry {e.number} follows number {prev[0]}",
                    field=e.number,
                )
            )
        if prev is not None and e.date < prev[1]:
            problems.append(
                Problem(
                    "FEC-SEQUENCE",
                    f"journal {e.journal}: entry {e.number} is dated before the previous one",
                    field=e.number,
                )
            )
        last[e.journal] = (n, e.date)
    return problems


@dataclass(frozen=True)
class JournalTotal:
    journal: str
    label: str
    entries: int
    debit: Decimal
    credit: Decimal


def journal_totals(entries: Iterable[Entry]) -> list[JournalTotal]:
    """Entries and debit/credit totals per journal, in the order of :data:`JOURNALS`."""
    acc: dict[str, list[Decimal]] = {}
    for e in entries:
        row = acc.setdefault(e.journal, [ZERO, ZERO, ZERO])
        row[0] += 1
        row[1] += e.total_debit
        row[2] += e.total_credit
    order = sorted(acc, key=lambda j: (_JOURNAL_RANK.get(j, len(_JOURNAL_RANK)), j))
    return [JournalTotal(j, JOURNALS.get(j, j), int(acc[j][0]), acc[j][1], acc[j][2]) for j in order]


# ---- reports -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VatRateLine:
    rate: Decimal | None  # None: VAT lines without a known rate (e.g. read back from a FEC)
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class VatReport:
    """Output VAT that became due in the period (44571) against input VAT (44566/44562).

    ``net_due`` is what the return (CA3) will ask for, positive, or a VAT credit, negative;
    returns are filed in whole euros (VAT-RETURN-EUROS): ``net_due_euros``. ``pending`` is output
    VAT invoiced but not due yet (44574, VAT on collection) at the end of the period.
    """

    period: Period
    collected: tuple[VatRateLine, ...]
    deductible: Decimal
    pending: Decimal

    @property
    def collected_total(self) -> Decimal:
        return sum((r.tax for r in self.collected), ZERO)

    @property
    def net_due(self) -> Decimal:
        return self.collected_total - self.deductible

    @property
    def net_due_euros(self) -> Decimal:
        return round_to(self.net_due, 0)


def vat_report(entries: Iterable[Entry], period: Period) -> VatReport:
    """The VAT of ``period`` from the books (opening entries aside)."""
    rows: dict[Decimal | None, list[Decimal]] = {}
    deductible = pending = ZERO
    for e in entries:
        if e.date > period.end:
            continue
        for ln in e.lines:
            if ln.account == VAT_PENDING:
                pending += ln.credit - ln.debit
        if e.journal == "AN" or e.date < period.start:
            continue
        for ln in e.lines:
            if ln.account.startswith(VAT_COLLECTED):
                row = rows.setdefault(ln.vat_rate, [ZERO, ZERO])
                base = ln.vat_base or ZERO
                row[0] += base if ln.credit else -base
                row[1] += ln.credit - ln.debit
            elif ln.account.startswith(("44562", VAT_DEDUCTIBLE)):
                deductible += ln.debit - ln.credit
    collected = tuple(
        VatRateLine(rate, base, tax)
        for rate, (base, tax) in sorted(rows.items(), key=lambda kv: Decimal(-1) if kv[0] is None else -kv[0])
    )
    return VatReport(period, collected, deductible, pending)


AGE_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")


@dataclass(frozen=True)
class AgedRow:
    customer: str  # auxiliary account
    customer_name: str
    amounts: tuple[Decimal, ...]  # one per AGE_BUCKETS

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


@dataclass(frozen=True)
class AgedReceivables:
    today: date
    rows: tuple[AgedRow, ...]

    @property
    def totals(self) -> tuple[Decimal, ...]:
        return tuple(sum((r.amounts[i] for r in self.rows), ZERO) for i in range(len(AGE_BUCKETS)))

    @property
    def total(self) -> Decimal:
        return sum(self.totals, ZERO)


def due_date_of(invoice: Invoice) -> date:
    """The due date, or 30 days after issue when none was set (PAY-TERM-DEFAULT)."""
    return invoice.due_date or invoice.issue_date + timedelta(days=30)


def age_bucket(due: date, today: date) -> int:
    """Index in :data:`AGE_BUCKETS`: due today is not late yet (penalties run from the next day,
    PAY-PENALTY-AUTO); then 1-30, 31-60, 61-90 and more than 90 days late."""
    late = (today - due).days
    if late <= 0:
        return 0
    return 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4


def open_receivables(invoices: Iterable[Invoice], today: date) -> list[Invoice]:
    """Invoices and deposit invoices issued by ``today`` that still owe something."""
    return [
        inv
        for inv in invoices
        if inv.kind is not DocumentKind.CREDIT_NOTE
        and inv.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
        and inv.issue_date <= today
        and inv.amount_due > 0
    ]


def aged_receivables(invoices: Iterable[Invoice], today: date) -> AgedReceivables:
    """What customers owe (in euros) by lateness, per customer, largest first."""
    amounts: dict[str, list[Decimal]] = {}
    names: dict[str, str] = {}
    for inv in open_receivables(invoices, today):
        aux = customer_aux(inv.customer)
        names.setdefault(aux, inv.customer.name)
        row = amounts.setdefault(aux, [ZERO] * len(AGE_BUCKETS))
        row[age_bucket(due_date_of(inv), today)] += _eur(inv.amount_due, inv)
    rows = [AgedRow(aux, names[aux], tuple(v)) for aux, v in amounts.items()]
    rows.sort(key=lambda r: (-r.total, r.customer_name, r.customer))
    return AgedReceivables(today, tuple(rows))


def dso(invoices: Iterable[Invoice], today: date, *, days: int = 90) -> Decimal | None:
    """Days sales outstanding (ratio method): open receivables / sales incl. VAT of the last ``days``
    days x ``days``, to one decimal; None without sales. Credit notes reduce the sales."""
    docs = list(invoices)
    outstanding = sum((_eur(inv.amount_due, inv) for inv in open_receivables(docs, today)), ZERO)
    start = today - timedelta(days=days)
    sales = ZERO
    for inv in docs:
        if is_booked(inv) and start < inv.issue_date <= today:
            amount = _eur(inv.total_incl_tax, inv)
            sales += -amount if inv.kind is DocumentKind.CREDIT_NOTE else amount
    if sales <= 0:
        return None
    return round_to(outstanding * days / sales, 1)
