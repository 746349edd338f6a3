"""A deterministic, believable demo company: customers, quotes, invoices, payments and bank history.

``generate(seed, today=...)`` is pure: the same seed and ``today`` always give the same dataset
(``random.Random(seed)``, never the global generator, never the clock). The company is an
electrical contracting SARL near Lyon (SCENARIOS.md "Who"), with four employees and ~35 customers
whose payment behaviour varies (early, on time, late, very late, partial, never).

Rules followed: gap-free numbering in issue-date order (INV-NUMBER, CN-NUMBER), deposits deducted
on the final invoice (DEP-FINAL), cancellations by credit note only (INV-IMMUTABLE, CN-REFERENCE),
VAT on debits filed monthly and paid in whole euros (VAT-OPTION-DEBITS, VAT-RETURN-EUROS),
10 % / 5.5 % for works in private homes (VAT-RATE-FR), reverse charge for construction
subcontracting (VAT-REVERSE-BTP), payment terms of 30 days or 45 days end of month (PAY-TERM-MAX).

>>> ds = generate(3, today=date(2026, 12, 4), months=7)
>>> ds.company.name, len(ds.invoices) > 150
('Élec Durand', True)
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import holidays
from stdnum import luhn

from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    LineNature,
    Quote,
    QuoteStatus,
    compute_totals,
    credit_note_for,
    deposit_deduction_lines,
    deposit_lines,
)
from encaisse.domain.money import ZERO, round_money, round_to
from encaisse.domain.numbering import format_number
from encaisse.domain.parties import (
    Address,
    Company,
    Party,
    PartyKind,
    VatFiling,
    VatRegime,
    french_vat_number,
)

DEMO_LOGIN = ("demo@encaisse.fr", "demo-encaisse")
PRE_HISTORY_MONTHS = 2  # invoices issued before the bank history starts (open receivables at its start)
COMPANY_ID = 1  # placeholder company id carried by the documents; the store maps it to the real one


class PaymentBehaviour(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"  # typically 10-25 days late
    VERY_LATE = "very_late"
    PARTIAL = "partial"  # pays half first, the rest weeks later
    NEVER = "never"


#: mean and spread (days after the due date) of each behaviour
_DELAY = {
    PaymentBehaviour.EARLY: (-12.0, 4.0),
    PaymentBehaviour.ON_TIME: (1.0, 2.0),
    PaymentBehaviour.LATE: (17.0, 5.0),
    PaymentBehaviour.VERY_LATE: (50.0, 14.0),
    PaymentBehaviour.PARTIAL: (8.0, 4.0),
}


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    description: str
    unit: str  # UN/ECE rec 20
    unit_price: Decimal
    group: str  # labour | small | cable | medium | big | energy
    nature: LineNature = LineNature.GOODS


@dataclass(frozen=True)
class DemoPayment:
    """A customer payment; ``fee`` is what the payment provider withheld (the invoice is settled in full)."""

    invoice_number: str
    date: date
    amount: Decimal
    bank_ref: str = ""
    fee: Decimal = ZERO
    method: str = "transfer"  # transfer | cheque | card


@dataclass(frozen=True)
class DemoSupplierInvoice:
    supplier_name: str
    number: str
    issue_date: date
    due_date: date
    total_excl_tax: Decimal
    total_vat: Decimal
    paid_on: date | None = None
    bank_ref: str = ""

    @property
    def total_incl_tax(self) -> Decimal:
        return self.total_excl_tax + self.total_vat


@dataclass(frozen=True)
class DemoDataset:
    seed: int
    today: date
    company: Company
    customers: tuple[Party, ...]
    behaviours: Mapping[str, PaymentBehaviour]  # customer name -> behaviour used to generate
    suppliers: tuple[Party, ...]
    items: tuple[CatalogueItem, ...]
    quotes: tuple[Quote, ...]
    invoices: tuple[Invoice, ...]  # invoices, deposits and credit notes (drafts have no number)
    payments: tuple[DemoPayment, ...]
    supplier_invoices: tuple[DemoSupplierInvoice, ...]
    account_iban: str
    account_bic: str
    opening_date: date  # the balance below is the one at the start of that day
    opening_balance: Decimal
    transactions: tuple[BankTransaction, ...]

    def balance_at(self, day: date) -> Decimal:
        """Bank balance at the end of ``day``."""
        return self.opening_balance + sum(
            (t.amount for t in self.transactions if t.booking_date <= day), ZERO
        )

    @property
    def closing_balance(self) -> Decimal:
        return self.balance_at(self.today)

    def invoice(self, number: str) -> Invoice:
        return next(i for i in self.invoices if i.number == number)


_ITEMS = tuple(
    CatalogueItem(
        code,
        desc,
        unit,
        Decimal(price),
        group,
        LineNature.SERVICES if group == "labour" else LineNature.GOODS,
    )
    for code, desc, unit, price, group in (
        ("MO-ELEC", "Main d'œuvre électricien", "HUR", "52.00", "labour"),
        ("MO-CHEF", "Main d'œuvre chef de chantier", "HUR", "62.00", "labour"),
        ("DEPL", "Forfait déplacement", "C62", "35.00", "labour"),
        ("DIAG", "Diagnostic et mise en sécurité de l'installation", "C62", "145.00", "labour"),
        ("PRISE", "Prise de courant 2P+T 16 A encastrée", "C62", "14.90", "small"),
        ("INTER", "Interrupteur va-et-vient", "C62", "11.50", "small"),
        ("DISJ", "Disjoncteur divisionnaire 16 A", "C62", "9.80", "small"),
        ("SPOT", "Spot LED encastrable 7 W", "C62", "26.50", "small"),
        ("CABLE", "Câble R2V 3G2,5 mm²", "MTR", "2.35", "cable"),
        ("GAINE", "Gaine ICTA 20 mm", "MTR", "0.95", "cable"),
        ("DIFF", "Interrupteur différentiel 40 A 30 mA type A", "C62", "82.00", "medium"),
        ("REGLETTE", "Réglette LED étanche 1,5 m", "C62", "48.00", "medium"),
        ("TABLEAU", "Tableau électrique 3 rangées pré-équipé", "C62", "315.00", "big"),
        ("BORNE", "Borne de recharge 7,4 kW", "C62", "920.00", "big"),
        ("RADIATEUR", "Radiateur à inertie 1 500 W", "C62", "435.00", "big"),
        ("VMC", "VMC simple flux hygroréglable", "C62", "265.00", "energy"),
        ("THERMO", "Thermostat programmable connecté", "C62", "149.00", "energy"),
    )
)
_ITEM = {i.code: i for i in _ITEMS}
_STEADY = (PaymentBehaviour.ON_TIME, PaymentBehaviour.LATE, PaymentBehaviour.EARLY)

_TOWNS = (
    ("Lyon", "69003"),
    ("Lyon", "69007"),
    ("Villeurbanne", "69100"),
    ("Vénissieux", "69200"),
    ("Bron", "69500"),
    ("Caluire-et-Cuire", "69300"),
    ("Écully", "69130"),
    ("Oullins", "69600"),
    ("Saint-Priest", "69800"),
    ("Vaulx-en-Velin", "69120"),
    ("Meyzieu", "69330"),
    ("Décines-Charpieu", "69150"),
)
_STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "cours Émile Zola",
    "rue Paul Bert",
    "boulevard des Belges",
    "rue Garibaldi",
    "avenue des Frères Lumière",
    "rue du Dauphiné",
    "chemin des Vignes",
    "rue Pasteur",
    "place Bellecour",
)
_SURNAMES = (
    "Martin",
    "Bernard",
    "Moreau",
    "Lefèvre",
    "Girard",
    "Roux",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Gauthier",
    "Perrin",
    "Morel",
    "Mercier",
    "Blanc",
    "Guérin",
    "Faure",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lemaire",
    "Bonnet",
    "Dupuis",
    "Lambert",
    "Renaud",
)
_FIRST = (
    "Jean",
    "Claire",
    "Nicolas",
    "Sophie",
    "Philippe",
    "Isabelle",
    "Thomas",
    "Nathalie",
    "Julien",
    "Camille",
    "Laurent",
    "Émilie",
)
_TRADES = (
    "Boulangerie",
    "Garage",
    "Pharmacie",
    "Restaurant",
    "Hôtel",
    "Cabinet d'architectes",
    "Agence immobilière",
    "Menuiserie",
    "Imprimerie",
    "Fromagerie",
    "Salon de coiffure",
    "Transports",
    "Boucherie",
    "Optique",
    "Librairie",
    "Clinique vétérinaire",
    "Cabinet dentaire",
    "Brasserie",
    "Auto-école",
    "Fleuriste",
    "Laboratoire",
    "Carrosserie",
)
_FORMS = ("SARL", "SAS", "SARL", "EURL", "SAS", "SA", "SASU")
_PUBLIC = (
    "Commune de {town}",
    "Collège Jean Moulin",
    "Office public de l'habitat du Rhône",
    "Centre communal d'action sociale de {town}",
)
_BANKS = (
    ("30003", "SOGEFRPP"),
    ("30004", "BNPAFRPP"),
    ("10278", "CMCIFR2A"),
    ("30002", "CRLYFRPP"),
    ("13825", "CEPAFRPP382"),
    ("10096", "CMCIFRPP"),
)
_EMPLOYEES = (
    ("MARC LEFEBVRE", "2380"),
    ("JULIEN GARCIA", "2190"),
    ("SOFIANE BENALI", "2050"),
    ("LUCAS PERRIN", "1120"),
)


def random_siren(rng: random.Random, first: str = "") -> str:
    """A Luhn-valid SIREN (INV-SELLER-SIREN), optionally starting with ``first``."""
    body = first + "".join(str(rng.randrange(10)) for _ in range(8 - len(first)))
    return body + str(luhn.calc_check_digit(body))


def random_french_iban(rng: random.Random, bank_code: str = "30003") -> str:
    """A French IBAN with a valid RIB key and ISO 13616 check digits."""
    branch, account = f"{rng.randrange(100000):05d}", f"{rng.randrange(10**11):011d}"
    key = 97 - (89 * int(bank_code) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank_code}{branch}{account}{key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, F=15 R=27
    return f"FR{check:02d}{bban}"


def rf_reference(text: str) -> str:
    """ISO 11649 creditor reference built from the alphanumerics of ``text``."""
    body = "".join(ch for ch in text.upper() if ch.isalnum())[:21]
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def _end_of_month(day: date) -> date:
    return _add_months(day, 1) - timedelta(days=1)


def due_date_for(issue: date, terms: str) -> date:
    """``"30"`` days from issue, or ``"45EOM"``: 45 days then end of month (PAY-TERM-MAX)."""
    return _end_of_month(issue + timedelta(days=45)) if terms == "45EOM" else issue + timedelta(days=30)


@dataclass
class _Job:
    """An invoice in the making (mutable while the dataset is built, frozen at the end)."""

    customer: Party
    issue: date
    lines: tuple[Line, ...]
    order: int
    kind: DocumentKind = DocumentKind.INVOICE
    quote: Quote | None = None
    deposit_of: _Job | None = None  # for the final invoice: its deposit job
    cancel_on: date | None = None
    gesture_on: date | None = None  # partial credit note (commercial gesture)
    invoice: Invoice | None = None


class _Builder:
    def __init__(self, seed: int, today: date, months: int) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.start = _add_months(date(today.year, today.month, 1), -months)  # first day of bank history
        self.sales_start = _add_months(self.start, -PRE_HISTORY_MONTHS)  # invoicing started earlier
        self.hol: Any = holidays.country_holidays("FR", years=range(self.start.year - 1, today.year + 2))
        self.order = 0
        self.txs: list[dict[str, Any]] = []

    # -- calendar -------------------------------------------------------------------------------
    def business(self, day: date) -> date:
        while day.weekday() >= 5 or day in self.hol:
            day += timedelta(days=1)
        return day

    def last_business(self, day: date) -> date:
        d = _end_of_month(day)
        while d.weekday() >= 5 or d in self.hol:
            d -= timedelta(days=1)
        return d

    def months(self, since: date | None = None) -> list[date]:
        out, m = [], since or self.sales_start
        while m <= self.today:
            out.append(m)
            m = _add_months(m, 1)
        return out

    def money(self, low: float, high: float) -> Decimal:
        return round_money(Decimal(str(self.rng.uniform(low, high))))

    # -- parties --------------------------------------------------------------------------------
    def address(self) -> Address:
        town, postcode = self.rng.choice(_TOWNS)
        return Address(
            f"{self.rng.randint(1, 180)} {self.rng.choice(_STREETS)}", postcode=postcode, city=town
        )

    def customers(self) -> tuple[list[Party], dict[str, PaymentBehaviour], dict[str, dict[str, Any]]]:
        rng, B = self.rng, PaymentBehaviour  # noqa: N806
        parties: list[Party] = []
        profile: dict[str, dict[str, Any]] = {}
        behaviours: dict[str, PaymentBehaviour] = {}
        surnames = rng.sample(_SURNAMES, len(_SURNAMES))
        trades = rng.sample(_TRADES, 20)
        b2b = [B.EARLY] * 3 + [B.ON_TIME] * 6 + [B.LATE] * 6 + [B.VERY_LATE] * 2 + [B.PARTIAL] * 2 + [B.NEVER]
        rng.shuffle(b2b)

        def add(p: Party, kind: str, behaviour: PaymentBehaviour, weight: float, **extra: Any) -> None:
            parties.append(p)
            behaviours[p.name] = behaviour
            mean, sd = _DELAY.get(behaviour, (0.0, 0.0))
            groups = extra.get("groups", False)
            profile[p.name] = {
                "kind": kind,
                "weight": weight,
                "mean": mean + rng.gauss(0, 2),
                "sd": sd,
                "terms": extra.get("terms", "30"),
                "method": extra.get("method", "transfer"),
                "groups": groups,
                "rf": rng.random() < 0.3 and not groups,
            }

        for i, behaviour in enumerate(b2b):
            form, siren = rng.choice(_FORMS), random_siren(rng, rng.choice("3458"))
            name = f"{trades[i]} {surnames[i]}"
            p = Party(
                name=f"{name} {form}",
                legal_form=form,
                siren=siren,
                siret=siren + "00018",
                vat_number=french_vat_number(siren),
                address=self.address(),
                email=f"compta@{surnames[i].lower().replace('è', 'e').replace('é', 'e')}-{i}.fr",
                payment_terms_days=30,
                iban=random_french_iban(rng, rng.choice(_BANKS)[0]),
            )
            big = behaviour is B.PARTIAL or (behaviour is not B.NEVER and rng.random() < 0.35)
            add(
                p,
                "b2b",
                behaviour,
                3.0 if big else 1.0,
                terms=rng.choice(("30", "30", "45EOM")),
                method="card" if i == 0 else "transfer",
                groups=i in (1, 2),
            )
        for i, pattern in enumerate(_PUBLIC):
            town = rng.choice(_TOWNS)[0]
            siren = random_siren(rng, "2" + "1" * (i == 0))
            p = Party(
                name=pattern.format(town=town),
                legal_form="Collectivité territoriale",
                siren=siren,
                siret=siren + "00013",
                is_public_body=True,
                address=self.address(),
            )
            add(p, "public", rng.choice((B.LATE, B.LATE, B.ON_TIME)), 1.5)
        siren = random_siren(rng, "4")
        contractor = Party(
            name="Bâtiments Réunis du Lyonnais SA",
            legal_form="SA",
            siren=siren,
            siret=siren + "00026",
            vat_number=french_vat_number(siren),
            address=self.address(),
        )
        add(contractor, "contractor", B.LATE, 1.2, terms="45EOM")
        for i in range(10):
            first, last = rng.choice(_FIRST), surnames[20 + i % 4] if i >= 4 else rng.choice(_SURNAMES)
            title = (
                "Mme" if first in {"Claire", "Sophie", "Isabelle", "Nathalie", "Camille", "Émilie"} else "M."
            )
            p = Party(name=f"{title} {first} {last}", is_business=False, address=self.address())
            add(
                p,
                "private",
                rng.choice((B.EARLY, B.EARLY, B.ON_TIME, B.ON_TIME, B.LATE)),
                0.45,
                method=rng.choice(("cheque", "card", "transfer")),
            )
        return parties, behaviours, profile

    # -- documents ------------------------------------------------------------------------------
    def job_lines(self, kind: str) -> tuple[Line, ...]:
        rng = self.rng
        size = rng.choices(("small", "medium", "large"), (0.55, 0.35, 0.10))[0]
        hours = {"small": (1, 5.5), "medium": (5, 18), "large": (26, 80)}[size]
        picks: list[tuple[CatalogueItem, Decimal]] = []
        h = round(rng.uniform(*hours) * 2) / 2
        picks.append((_ITEM["MO-ELEC"], Decimal(str(h))))
        if size == "large":
            picks.append((_ITEM["MO-CHEF"], Decimal(str(round(h / 5)))))
        if size == "small":
            picks.append((_ITEM[rng.choice(("DEPL", "DEPL", "DIAG"))], Decimal(1)))
        groups = {
            "small": ("small", "cable"),
            "medium": ("small", "cable", "medium", "energy"),
            "large": ("small", "cable", "medium", "big", "energy"),
        }[size]
        qty = {"small": (2, 12), "cable": (10, 80), "medium": (1, 6), "big": (1, 3), "energy": (1, 2)}
        for item in rng.sample(
            [i for i in _ITEMS if i.group in groups], rng.randint(1, 4 if size != "small" else 2)
        ):
            picks.append((item, Decimal(rng.randint(*qty[item.group]))))
        lines = []
        for item, q in picks:
            if kind == "contractor":
                rate, exemption = Decimal(0), Exemption.REVERSE_CHARGE
            elif kind == "private":
                rate, exemption = (Decimal("5.5") if item.group == "energy" else Decimal(10)), None
            else:
                rate, exemption = Decimal(20), None
            desc = item.description + (" (sous-traitance)" if exemption else "")
            lines.append(
                Line(
                    desc,
                    q,
                    item.unit_price,
                    unit=item.unit,
                    vat_rate=rate,
                    exemption=exemption,
                    nature=item.nature,
                    item_code=item.code,
                )
            )
        return tuple(lines)

    def new_job(self, customer: Party, issue: date, lines: tuple[Line, ...], **kw: Any) -> _Job:
        self.order += 1
        return _Job(customer, issue, lines, self.order, **kw)

    def tx(self, day: date, amount: Decimal, name: str, text: str, **kw: Any) -> dict[str, Any]:
        entry = {"date": day, "amount": amount, "name": name, "text": text, **kw}
        self.txs.append(entry)
        return entry


def _quote(
    customer: Party, issue: date, lines: tuple[Line, ...], status: QuoteStatus, accepted: date | None
) -> Quote:
    return Quote(
        COMPANY_ID, customer, issue, issue + timedelta(days=30), lines, status=status, accepted_on=accepted
    )


def generate(seed: int = 1, *, today: date, months: int = 14) -> DemoDataset:
    """The demo dataset for ``seed`` as of ``today``, with ``months`` months of history."""
    b = _Builder(seed, today, months)
    rng = b.rng
    bank_code, bic = rng.choice(_BANKS)
    siren = random_siren(rng, "8")
    company = Company(
        name="Élec Durand",
        siren=siren,
        legal_form="SARL",
        share_capital=Decimal("20000"),
        rcs_city="Lyon",
        vat_number=french_vat_number(siren),
        address=Address("12 rue des Artisans", postcode="69100", city="Villeurbanne"),
        email="contact@elec-durand.fr",
        phone="04 78 00 12 34",
        iban=random_french_iban(rng, bank_code),
        bic=bic,
        account_holder="ELEC DURAND SARL",
        vat_regime=VatRegime.DEBITS,
        vat_filing=VatFiling.MONTHLY,
        requires_insurance_mention=True,
        insurance_mention="Assurance décennale SMABTP, contrat n° 123456789, couverture France métropolitaine",
    )
    customers, behaviours, profile = b.customers()
    payers = [c for c in customers if behaviours[c.name] is not PaymentBehaviour.NEVER]
    weights = [profile[c.name]["weight"] for c in customers]
    jobs: list[_Job] = []
    quotes: list[Quote] = []
    for month in b.months():
        season = {8: 0.45, 12: 0.8, 1: 0.85}.get(month.month, 1.0)
        for _ in range(round(rng.gauss(36, 3) * season)):
            day = b.business(month + timedelta(days=rng.randrange(28)))
            if day > today:
                continue
            customer = rng.choices(customers, weights)[0]
            job = b.new_job(customer, day, b.job_lines(profile[customer.name]["kind"]))
            if sum((ln.net_amount for ln in job.lines), ZERO) > 1500:
                qday = day - timedelta(days=rng.randint(12, 40))
                job.quote = _quote(
                    customer, qday, job.lines, QuoteStatus.INVOICED, qday + timedelta(days=rng.randint(2, 9))
                )
            cancel_on = b.business(day + timedelta(days=rng.randint(2, 8)))
            if rng.random() < 0.02 and behaviours[customer.name] in _STEADY and cancel_on <= today:
                job.cancel_on = cancel_on
                fixed = tuple(
                    replace(ln, quantity=ln.quantity + 1) if i == 0 else ln for i, ln in enumerate(job.lines)
                )
                jobs.append(b.new_job(customer, job.cancel_on, fixed, quote=job.quote))
            jobs.append(job)
        # one large job with a 30 % deposit per month (DEP-INVOICE, DEP-FINAL)
        customer = rng.choice([c for c in payers if profile[c.name]["kind"] in ("private", "b2b")])
        lines = tuple(ln for _ in range(2) for ln in b.job_lines(profile[customer.name]["kind"]))
        accepted = b.business(month + timedelta(days=rng.randrange(20)))
        if accepted <= today:
            final_day = b.business(accepted + timedelta(days=rng.randint(20, 55)))
            status = QuoteStatus.INVOICED if final_day <= today else QuoteStatus.ACCEPTED
            q = _quote(customer, accepted - timedelta(days=rng.randint(7, 20)), lines, status, accepted)
            deposit = b.new_job(customer, accepted, (), kind=DocumentKind.DEPOSIT, quote=q)
            jobs.append(deposit)
            if final_day <= today:
                jobs.append(b.new_job(customer, final_day, lines, quote=q, deposit_of=deposit))
            else:
                quotes.append(q)
    gestures = [
        j
        for j in jobs
        if j.kind is DocumentKind.INVOICE
        and j.cancel_on is None
        and j.issue < today - timedelta(days=60)
        and behaviours[j.customer.name] in _STEADY
    ]
    if gestures:
        picked = rng.choice(gestures)
        picked.gesture_on = picked.issue + timedelta(days=5)
    # the rest of the sales funnel: refused, expired, sent, draft and accepted quotes
    for _ in range(max(6, months * 3)):
        c = rng.choice(customers)
        day = b.business(b.start + timedelta(days=rng.randrange(max(1, (today - b.start).days))))
        status = QuoteStatus.REFUSED if rng.random() < 0.4 else QuoteStatus.EXPIRED
        if day > today - timedelta(days=30):
            status = rng.choice((QuoteStatus.SENT, QuoteStatus.SENT, QuoteStatus.DRAFT, QuoteStatus.ACCEPTED))
        if day <= today:
            accepted_on = day + timedelta(days=3) if status is QuoteStatus.ACCEPTED else None
            quotes.append(_quote(c, day, b.job_lines(profile[c.name]["kind"]), status, accepted_on))
    for status in (QuoteStatus.SENT, QuoteStatus.SENT, QuoteStatus.DRAFT, QuoteStatus.ACCEPTED):
        c = rng.choice(payers)
        day = today - timedelta(days=rng.randint(1, 20))
        accepted_on = today - timedelta(days=1) if status is QuoteStatus.ACCEPTED else None
        quotes.append(_quote(c, day, b.job_lines(profile[c.name]["kind"]), status, accepted_on))

    # -- numbering in issue-date order (INV-NUMBER, CN-NUMBER) -----------------------------------
    jobs.sort(key=lambda j: (j.issue, j.order))
    seq: dict[tuple[str, int], int] = defaultdict(int)

    def number(pattern: str, day: date) -> str:
        seq[(pattern, day.year)] += 1
        return format_number(pattern, day.year, seq[(pattern, day.year)])

    by_id = {id(q): q for q in [*(j.quote for j in jobs if j.quote), *quotes]}
    numbered: dict[int, Quote] = {}
    for key, q in sorted(by_id.items(), key=lambda kv: kv[1].issue_date):
        numbered[key] = (
            q
            if q.status is QuoteStatus.DRAFT
            else replace(q, number=number(company.quote_pattern, q.issue_date))
        )
    for job in jobs:
        job.quote = numbered[id(job.quote)] if job.quote else None
    credit_events: list[tuple[date, _Job, bool]] = []
    for job in jobs:
        terms = profile[job.customer.name]["terms"]
        if job.kind is DocumentKind.DEPOSIT:
            assert job.quote is not None
            lines, due = deposit_lines(job.quote, Decimal(30)), job.issue + timedelta(days=8)
        else:
            lines, due = job.lines, due_date_for(job.issue, terms)
        deposits: tuple[str, ...] = ()
        if job.deposit_of is not None and job.deposit_of.invoice is not None:
            lines = lines + deposit_deduction_lines(job.deposit_of.invoice)
            deposits = (job.deposit_of.invoice.number,)
        num = number(company.invoice_pattern, job.issue)
        job.invoice = Invoice(
            company_id=COMPANY_ID,
            customer=job.customer,
            issue_date=job.issue,
            lines=lines,
            kind=job.kind,
            status=InvoiceStatus.ISSUED,
            number=num,
            due_date=due,
            supply_date=job.issue,
            vat_on_debits=True,
            payment_terms_text="45 jours fin de mois" if terms == "45EOM" else "30 jours date de facture",
            deposit_numbers=deposits,
            quote_number=job.quote.number if job.quote else "",
            payment_reference=rf_reference(num) if profile[job.customer.name]["rf"] else "",
            purchase_order=f"BC-{rng.randint(1000, 9999)}"
            if profile[job.customer.name]["kind"] == "public"
            else "",
        )
        if job.cancel_on and job.cancel_on <= today:
            credit_events.append((job.cancel_on, job, True))
        if job.gesture_on and job.gesture_on <= today:
            credit_events.append((job.gesture_on, job, False))
    credit_notes: list[Invoice] = []
    for day, job, full in sorted(credit_events, key=lambda e: (e[0], e[1].order)):
        assert job.invoice is not None
        inv = job.invoice
        if full:
            cn = credit_note_for(inv, day)
        else:
            first = inv.lines[0]
            cn = credit_note_for(
                inv,
                day,
                (
                    Line(
                        "Geste commercial sur la facture " + inv.number,
                        Decimal(1),
                        round_money(first.net_amount / 10),
                        vat_rate=first.vat_rate,
                        exemption=first.exemption,
                    ),
                ),
            )
        cn_total = compute_totals(cn).total_incl_tax
        cn = cn.with_changes(
            number=number(company.credit_note_pattern, day),
            status=InvoiceStatus.ISSUED,
            amount_credited=cn_total,
        )
        credit_notes.append(cn)
        job.invoice = inv.with_changes(
            amount_credited=cn_total, status=InvoiceStatus.CANCELLED if full else inv.status
        )

    # -- customer payments --------------------------------------------------------------------
    payments: list[tuple[_Job, date, Decimal]] = []
    for job in jobs:
        doc = job.invoice
        assert doc is not None
        assert doc.due_date is not None
        if doc.status is InvoiceStatus.CANCELLED or (
            job.cancel_on and job.cancel_on <= today + timedelta(days=30)
        ):
            continue
        prof, behaviour = profile[job.customer.name], behaviours[job.customer.name]
        due_amount = doc.total_incl_tax - doc.amount_credited
        if job.kind is DocumentKind.DEPOSIT:
            schedule = [(b.business(doc.issue_date + timedelta(days=rng.randint(2, 9))), due_amount)]
        elif behaviour is PaymentBehaviour.NEVER:
            continue
        elif behaviour is PaymentBehaviour.PARTIAL:
            half = round_money(due_amount / 2)
            d1 = round(rng.gauss(prof["mean"], prof["sd"]))
            schedule = [
                (doc.due_date + timedelta(days=d1), half),
                (doc.due_date + timedelta(days=d1 + rng.randint(20, 45)), due_amount - half),
            ]
        else:
            delay = round(rng.gauss(prof["mean"], prof["sd"]))
            schedule = [(doc.due_date + timedelta(days=delay), due_amount)]
        for day, amount in schedule:
            day = b.business(max(day, doc.issue_date + timedelta(days=1)))
            if day <= today:
                payments.append((job, day, amount))
    # customers who group their transfers pay everything due in one ISO week on its last payment day
    by_week: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for i, (job, day, _) in enumerate(payments):
        if profile[job.customer.name]["groups"] and job.kind is DocumentKind.INVOICE:
            by_week[(job.customer.name, *day.isocalendar()[:2])].append(i)
    group_of: dict[int, int] = {}
    for members in by_week.values():
        last = max(payments[i][1] for i in members)
        for i in members:
            payments[i] = (payments[i][0], last, payments[i][2])
            group_of[i] = members[0]
    bank_entries: dict[int, dict[str, Any]] = {}
    for i, (job, day, amount) in enumerate(payments):
        pinv, prof = job.invoice, profile[job.customer.name]
        assert pinv is not None
        if day < b.start:  # received before the bank history starts: no bank transaction
            continue
        if i in group_of and group_of[i] in bank_entries:
            entry = bank_entries[group_of[i]]
            entry["amount"] += amount
            entry["text"] = entry["text"].replace(" /REF", f" {pinv.number} /REF")
            entry["payments"].append(i)
            bank_entries[i] = entry
            continue
        method = prof["method"]
        name = job.customer.name.upper()
        e2e = f"{day:%Y%m%d}{rng.randrange(10**6):06d}"
        fee = ZERO
        if method == "card":
            fee = round_money(amount * Decimal("0.015") + Decimal("0.25"))
            entry = b.tx(
                day,
                amount - fee,
                "STRIPE PAYMENTS EUROPE",
                f"VIR SEPA RECU /DE STRIPE PAYMENTS EUROPE LTD /MOTIF STRIPE PAYOUT po_{rng.randrange(16**10):010x}",
            )
        elif method == "cheque":
            entry = b.tx(day, amount, "", f"REMISE CHEQUE N°{rng.randrange(10**7):07d}")
        elif prof["kind"] == "public":
            entry = b.tx(
                day,
                amount,
                "DRFIP AUVERGNE RHONE ALPES",
                f"VIR SEPA RECU /DE DRFIP AUVERGNE RHONE ALPES ET RHONE /MOTIF {name[:20]} MANDAT {rng.randint(100, 9999)} FACT {pinv.number}",
            )
        elif rng.random() < 0.15:
            entry = b.tx(day, amount, name, f"VIR SEPA RECU /DE {name} /MOTIF REGLEMENT FACTURES /REF {e2e}")
        else:
            ref = pinv.payment_reference if prof["rf"] and rng.random() < 0.7 else ""
            motif = ref or f"FACT {pinv.number}"
            entry = b.tx(day, amount, name, f"VIR SEPA RECU /DE {name} /MOTIF {motif} /REF {e2e}", ref=ref)
        entry.update(payments=[i], fees={i: fee}, iban=job.customer.iban, e2e=e2e)
        bank_entries[i] = entry

    # -- suppliers, salaries, taxes, subscriptions ----------------------------------------------
    suppliers = [
        Party(
            name=n,
            kind=PartyKind.SUPPLIER,
            legal_form=f,
            siren=(s := random_siren(rng, "5")),
            vat_number=french_vat_number(s),
            iban=random_french_iban(rng, rng.choice(_BANKS)[0]),
        )
        for n, f in (("Rexel France", "SAS"), ("Sonepar Sud-Est", "SAS"), ("Würth France", "SA"))
    ]
    monthly_net: dict[date, tuple[Decimal, Decimal, Decimal]] = defaultdict(lambda: (ZERO, ZERO, ZERO))
    all_docs = [j.invoice for j in jobs if j.invoice] + credit_notes
    for sale in all_docs:
        t = compute_totals(sale)
        sign = -1 if sale.kind is DocumentKind.CREDIT_NOTE else 1
        goods = sum((ln.net_amount for ln in sale.lines if ln.nature is LineNature.GOODS), ZERO)
        mkey = sale.issue_date.replace(day=1)
        g, labour, vat = monthly_net[mkey]
        monthly_net[mkey] = (
            g + sign * goods,
            labour + sign * (t.total_excl_tax - goods),
            vat + sign * t.total_vat,
        )
    supplier_invoices: list[DemoSupplierInvoice] = []
    for month in b.months():
        goods, labour, _ = monthly_net[month]
        for supplier, share in zip(
            suppliers, (Decimal("0.50"), Decimal("0.13"), Decimal("0.035")), strict=True
        ):
            base = goods if supplier is not suppliers[2] else labour
            ht = round_money(base * share * Decimal(str(rng.uniform(0.85, 1.15))) + 40)
            issue = _end_of_month(month)
            if issue > today:
                continue
            due = _end_of_month(issue + timedelta(days=30))
            paid_day = b.business(due)
            num = f"{supplier.name[:3].upper()}{issue:%y%m}{rng.randrange(10**5):05d}"
            si = DemoSupplierInvoice(
                supplier.name,
                num,
                issue,
                due,
                ht,
                round_money(ht / 5),
                paid_day if paid_day <= today else None,
            )
            if si.paid_on and si.paid_on >= b.start:
                b.tx(
                    si.paid_on,
                    -si.total_incl_tax,
                    supplier.name.upper(),
                    f"VIR SEPA EMIS /A {supplier.name.upper()} /MOTIF FACT {num}",
                    supplier=len(supplier_invoices),
                )
            supplier_invoices.append(si)
    loan_no, lease = f"{rng.randrange(10**11):011d}", (rng.randrange(10**6), rng.randrange(10**6))
    vat_carry = ZERO
    for month in b.months(b.start):
        mm = f"{month:%m/%Y}"
        recurring = [
            (
                b.business(month.replace(day=5)),
                Decimal("-1850.00"),
                "SCI LES ACACIAS",
                f"PRLV SEPA SCI LES ACACIAS /MOTIF LOYER ATELIER {mm}",
            ),
            (b.business(month.replace(day=10)), Decimal("-1124.37"), "", f"ECHEANCE PRET N°{loan_no} {mm}"),
            (
                b.business(month.replace(day=2)),
                Decimal("-489.00"),
                "DIAC LOCATION",
                f"PRLV SEPA DIAC LOCATION /MOTIF LOYER VEHICULE CONTRAT {lease[0]:06d}",
            ),
            (
                b.business(month.replace(day=2)),
                Decimal("-512.40"),
                "DIAC LOCATION",
                f"PRLV SEPA DIAC LOCATION /MOTIF LOYER VEHICULE CONTRAT {lease[1]:06d}",
            ),
            (
                b.business(month.replace(day=12)),
                Decimal("-412.50"),
                "SMABTP",
                "PRLV SEPA SMABTP /MOTIF COTISATION DECENNALE RC PRO",
            ),
            (
                b.business(month.replace(day=8)),
                -b.money(88, 104),
                "ORANGE SA",
                f"PRLV SEPA ORANGE SA /MOTIF FACTURE PRO {mm}",
            ),
            (
                b.business(month.replace(day=3)),
                Decimal("-49.00"),
                "OBAT SAS",
                "PRLV SEPA OBAT SAS /MOTIF ABONNEMENT LOGICIEL",
            ),
            (
                b.business(month.replace(day=6)),
                -b.money(520, 820),
                "TOTALENERGIES MARKETING",
                "PRLV SEPA TOTALENERGIES MARKETING FRANCE /MOTIF CARTE CARBURANT",
            ),
            (b.business(month), -b.money(22, 34), "", f"COMMISSIONS ET FRAIS DE TENUE DE COMPTE {mm}"),
        ]
        net = sum((Decimal(s) for _, s in _EMPLOYEES), ZERO)
        recurring += [
            (
                b.business(month.replace(day=15)),
                -round_money(net * Decimal("0.58") * Decimal(str(rng.uniform(0.97, 1.03)))),
                "URSSAF RHONE-ALPES",
                "PRLV SEPA URSSAF RHONE-ALPES /MOTIF COTISATIONS",
            ),
            (
                b.business(month.replace(day=15)),
                -round_money(net * Decimal("0.11")),
                "PRO BTP",
                "PRLV SEPA PRO BTP /MOTIF RETRAITE PREVOYANCE",
            ),
            (
                b.business(month.replace(day=10)),
                -round_money(net * Decimal("0.21")),
                "CIBTP RHONE-ALPES",
                "PRLV SEPA CIBTP RHONE-ALPES /MOTIF CONGES PAYES",
            ),
        ]
        for who, base_pay in (*_EMPLOYEES, ("PATRICK DURAND", "3800")):
            jitter = Decimal(str(rng.uniform(0.97, 1.04))) if who != "PATRICK DURAND" else Decimal(1)
            pay = round_money(Decimal(base_pay) * jitter)
            motif = "REMUNERATION GERANT" if who == "PATRICK DURAND" else "SALAIRE"
            recurring.append(
                (b.last_business(month), -pay, who, f"VIR SEPA EMIS /A M. {who} /MOTIF {motif} {mm}")
            )
        if month.month in (3, 6, 9, 12):
            recurring.append(
                (
                    b.business(month.replace(day=15)),
                    Decimal("-2600.00"),
                    "DGFIP",
                    f"PRLV SEPA DGFIP /MOTIF IS ACOMPTE {month:%Y}",
                )
            )
        if month.month in (1, 4, 7, 10):
            recurring.append(
                (
                    b.business(month.replace(day=25)),
                    Decimal("-780.00"),
                    "CABINET FIDUCIAL",
                    "PRLV SEPA CABINET FIDUCIAL /MOTIF HONORAIRES TRIMESTRIELS",
                )
            )
        if month.month == 12:
            recurring.append(
                (
                    b.business(month.replace(day=15)),
                    Decimal("-1184.00"),
                    "DGFIP",
                    f"PRLV SEPA DGFIP /MOTIF CFE {month:%Y}",
                )
            )
        for _ in range(rng.randint(1, 4)):
            shop = rng.choice(("LEROY MERLIN", "BRICO DEPOT", "CASTORAMA", "BRICOMARCHE"))
            day = b.business(month + timedelta(days=rng.randrange(27)))
            recurring.append((day, -b.money(25, 380), shop, f"CB {shop} {day:%d%m} CARTE 4974XXXXXXXX1234"))
        # VAT on debits for the previous month, filed monthly and paid around the 20th (VAT-OPTION-DEBITS)
        prev = _add_months(month, -1)
        if prev >= b.sales_start:
            deductible = sum(
                (s.total_vat for s in supplier_invoices if s.issue_date.replace(day=1) == prev), ZERO
            )
            payable = round_money(round_to(monthly_net[prev][2] - deductible + vat_carry, 0))
            if payable > 0:
                recurring.append(
                    (
                        b.business(month.replace(day=20)),
                        -payable,
                        "DGFIP",
                        f"PRLV SEPA DGFIP /MOTIF TVA {prev:%m%Y} CA3",
                    )
                )
                vat_carry = ZERO
            else:
                vat_carry = payable
        for day, amount, name, text in recurring:
            if b.start <= day <= today:
                b.tx(day, amount, name, text)

    # -- bank references, payments, opening balance -------------------------------------------
    b.txs.sort(key=lambda e: (e["date"], -e["amount"], e["text"]))
    iban = company.iban
    transactions: list[BankTransaction] = []
    pay_ref: dict[int, str] = {}
    per_day: dict[date, int] = defaultdict(int)
    for entry in b.txs:
        per_day[entry["date"]] += 1
        ref = f"{entry['date']:%y%m%d}{per_day[entry['date']]:04d}{seed % 100:02d}"
        for i in entry.get("payments", ()):
            pay_ref[i] = ref
        transactions.append(
            BankTransaction(
                booking_date=entry["date"],
                amount=entry["amount"],
                value_date=entry["date"],
                counterparty_name=entry["name"],
                remittance=entry["text"],
                structured_reference=entry.get("ref", ""),
                end_to_end_id=entry.get("e2e", ""),
                counterparty_iban=entry.get("iban", ""),
                bank_ref=ref,
                bank_code="RCDT" if entry["amount"] > 0 else "PMNT",
                account_iban=iban,
            )
        )
    demo_payments = []
    paid_by_job: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for i, (job, day, amount) in enumerate(payments):
        assert job.invoice is not None
        paid_by_job[job.order] += amount
        fee = bank_entries[i]["fees"].get(i, ZERO) if i in bank_entries else ZERO
        method = _method(profile[job.customer.name])
        demo_payments.append(DemoPayment(job.invoice.number, day, amount, pay_ref.get(i, ""), fee, method))
    running, low = ZERO, ZERO
    for tr in transactions:
        running += tr.amount
        low = min(low, running)
    target = Decimal(rng.randrange(1500, 4000, 100))
    opening = max(Decimal(8000), ((target - low) / 100).to_integral_value() * 100)

    invoices = []
    for job in jobs:
        fin = job.invoice
        assert fin is not None
        if fin.status is not InvoiceStatus.CANCELLED:
            settled = paid_by_job[job.order] + fin.amount_credited
            inv_status = (
                InvoiceStatus.PAID
                if settled >= fin.total_incl_tax
                else (InvoiceStatus.PARTIALLY_PAID if paid_by_job[job.order] > 0 else InvoiceStatus.ISSUED)
            )
            fin = fin.with_changes(status=inv_status, amount_paid=paid_by_job[job.order])
        invoices.append(fin)
    never = [
        i
        for i, inv in enumerate(invoices)
        if behaviours[inv.customer.name] is PaymentBehaviour.NEVER and inv.status is InvoiceStatus.ISSUED
    ]
    if never:
        invoices[never[0]] = invoices[never[0]].with_changes(disputed=True)
    for _ in range(3):
        c = rng.choice(payers)
        invoices.append(
            Invoice(
                COMPANY_ID,
                c,
                today,
                b.job_lines(profile[c.name]["kind"]),
                due_date=due_date_for(today, profile[c.name]["terms"]),
            )
        )
    invoices += credit_notes
    return DemoDataset(
        seed=seed,
        today=today,
        company=company,
        customers=tuple(customers),
        behaviours=behaviours,
        suppliers=tuple(suppliers),
        items=_ITEMS,
        quotes=tuple(sorted(numbered.values(), key=lambda q: (q.issue_date, q.number))),
        invoices=tuple(invoices),
        payments=tuple(demo_payments),
        supplier_invoices=tuple(supplier_invoices),
        account_iban=iban,
        account_bic=bic,
        opening_date=b.start,
        opening_balance=opening,
        transactions=tuple(transactions),
    )


def _method(profile: Mapping[str, Any]) -> str:
    return str(profile["method"]) if profile["kind"] in ("private", "b2b") else "transfer"
