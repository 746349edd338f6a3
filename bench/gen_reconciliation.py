"""Synthetic reconciliation dataset: open invoices (CSV), a camt.053 statement, and the truth.

    python bench/gen_reconciliation.py --seed 1 --invoices 20000 --out /tmp/recon

Writes ``invoices.csv`` (the ``encaisse import invoices`` columns), ``statement.xml``
(ISO 20022 camt.053.001.02, one Ntry per transaction, AcctSvcrRef = transaction id) and
``truth.csv`` (``transaction_id,invoice_number,amount``). Everything derives from the seed.

What makes it realistic (and hard): French company names as banks print them (upper case,
accents lost, legal forms moved or dropped, truncated to 18-35 characters, "M. ET MME"), exact,
mangled (spaces, no prefix, OCR confusions, one-character typos) or missing references, partial
and grouped payments, bank fees and early-payment discounts, over-payments, payers from a parent
company, same-amount decoys, noise (salaries, URSSAF, DGFIP, card fees, rent, loans), unpaid invoices.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from schwifty import IBAN
from stdnum import luhn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from encaisse.domain.bank import BankTransaction  # noqa: E402
from encaisse.domain.matching.normalize import strip_accents  # noqa: E402

INVOICE_HEADER = [
    "number",
    "issue_date",
    "due_date",
    "customer_name",
    "customer_siren",
    "total_incl_tax",
    "currency",
]
START = date(2025, 1, 1)
SPAN_DAYS = 640

SURNAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Andre",
    "Lefevre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "Francois",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clement",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gerard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noel",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Perez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Marie",
    "Barbier",
    "Brun",
    "Dumas",
    "Brunet",
    "Schmitt",
    "Leroux",
    "Colin",
    "Fernandez",
    "Pierre",
    "Renard",
    "Arnaud",
    "Rolland",
    "Caron",
    "Aubert",
    "Giraud",
    "Leclerc",
    "Vidal",
    "Bourgeois",
    "Renaud",
    "Lemoine",
    "Picard",
    "Gaillard",
    "Philippe",
    "Leclercq",
    "Lacroix",
    "Fabre",
    "Dupuis",
    "Olivier",
    "Rodriguez",
    "Da-Silva",
    "Hubert",
    "Louis",
    "Charles",
    "Guillot",
    "Riviere",
    "Le-Gall",
    "Guillaume",
    "Adam",
    "Rey",
    "Moulin",
    "Gonzalez",
    "Berger",
    "Lecomte",
    "Menard",
    "Fleury",
    "Deschamps",
    "Carpentier",
    "Julien",
    "Benoit",
    "Paris",
    "Maillard",
    "Marchal",
    "Aubry",
    "Vasseur",
    "Le-Roux",
    "Renault",
    "Jacquet",
    "Collet",
    "Prevost",
    "Poirier",
    "Charpentier",
    "Royer",
    "Huet",
    "Baron",
    "Dupuy",
    "Pons",
    "Paul",
    "Laine",
    "Carre",
    "Breton",
    "Remy",
    "Schneider",
    "Perrot",
    "Guyot",
    "Barre",
    "Marty",
    "Cousin",
    "Bouvier",
    "Héritier",
    "Lefèvre",
    "Bérard",
    "Gérard",
    "Prévost",
    "Hébert",
    "Thébault",
    "Cléments",
    "Sénéchal",
    "Ménard",
    "Mézières",
    "Pétin",
    "Bégin",
]
FIRST_NAMES = [
    "Jean",
    "Marie",
    "Pierre",
    "Michel",
    "Philippe",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Alain",
    "Nicolas",
    "Christophe",
    "Patrick",
    "Sophie",
    "Stéphane",
    "Valérie",
    "Frédéric",
    "Céline",
    "Hélène",
    "Julien",
    "Émilie",
    "Thierry",
    "Éric",
    "Laurence",
    "Aurélie",
]
ACTIVITIES = [
    "Boulangerie",
    "Garage",
    "Plomberie",
    "Transports",
    "Menuiserie",
    "Cabinet",
    "Pharmacie",
    "Restaurant",
    "Électricité",
    "Boucherie",
    "Imprimerie",
    "Agence",
    "Bâtiment",
    "Coiffure",
    "Librairie",
    "Fromagerie",
    "Carrosserie",
    "Jardins",
    "Informatique",
    "Conseil",
    "Maçonnerie",
    "Peinture",
    "Hôtel",
    "Traiteur",
    "Cave",
    "Optique",
    "Taxi",
    "Nettoyage",
    "Architecture",
    "Immobilier",
    "Chauffage",
    "Couverture",
    "Serrurerie",
    "Pâtisserie",
    "Fleurs",
    "Auto-École",
    "Ambulances",
    "Déménagements",
    "Charpente",
    "Climatisation",
    "Vitrerie",
    "Toiture",
    "Terrassement",
    "Brasserie",
    "Épicerie",
    "Librairie",
    "Laboratoire",
    "Studio",
    "Atelier",
]
PLACES = """du Centre|de la Gare|des Alpes|du Port|de l'Ouest|du Lac|des Vignes|Saint-Michel|de Provence|
du Littoral|des Trois Rivières|de la Vallée|du Moulin|des Halles|Côte d'Azur|de Bretagne|du Marais|
de l'Étoile|des Forges|du Plateau""".replace("\n", "").split("|")
WORDS = [
    "Nova",
    "Alto",
    "Vita",
    "Terra",
    "Arco",
    "Sud",
    "Nord",
    "Opti",
    "Lumi",
    "Proxi",
    "Axe",
    "Cap",
    "Eco",
    "Geo",
    "Hexa",
    "Idéa",
    "Kéo",
    "Lyra",
    "Magna",
    "Orbi",
]
LEGAL = ["SARL", "SAS", "EURL", "SASU", "SA", "SCI", "SNC"]


@dataclass
class Customer:
    name: str
    siren: str
    iban: str
    bank_name: str  # how the payer's bank prints the account holder
    parent: Customer | None = None
    invoices: list[Invoice] = field(default_factory=list)


@dataclass
class Invoice:
    number: str
    issue: date
    due: date
    total: Decimal
    customer: Customer


@dataclass
class Dataset:
    company_name: str
    company_siren: str
    company_iban: str
    invoices: list[Invoice]
    transactions: list[BankTransaction]
    truth: list[tuple[str, str, Decimal]]  # transaction_id, invoice_number, amount


def siren(rng: random.Random) -> str:
    body = f"{rng.randrange(10_000_000, 99_999_999):08d}"
    return body + luhn.calc_check_digit(body)


def iban(rng: random.Random) -> str:
    bank = rng.choice(["30004", "30003", "10278", "20041", "11306", "30002", "18206", "16606", "42559"])
    code = bank + f"{rng.randrange(100000):05d}"
    return str(IBAN.generate("FR", bank_code=code, account_code=f"{rng.randrange(10**11):011d}"))


def company_name(rng: random.Random) -> str:
    fam, fam2 = rng.choice(SURNAMES).replace("-", " "), rng.choice(SURNAMES).replace("-", " ")
    act, place, legal = rng.choice(ACTIVITIES), rng.choice(PLACES), rng.choice(LEGAL)
    pattern = rng.randrange(11)
    if pattern == 0:
        return f"{act} {fam} {legal}"
    if pattern == 1:
        return f"{fam} & Fils {legal}"
    if pattern == 2:
        return f"Établissements {fam}"
    if pattern == 3:
        return f"{act} {place} {legal}"
    if pattern == 4:
        return f"{fam} {act} {legal}"
    if pattern == 5:
        return f"{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {legal}"
    if pattern == 6:
        return f"{rng.choice(FIRST_NAMES)} {fam}"  # a consumer
    if pattern == 7:
        return f"SCI {rng.choice(['Les', 'La', 'Le'])} {rng.choice(WORDS)} {fam}"
    if pattern == 8:
        return f"Société {act} {fam} et {fam2}"
    if pattern == 9:
        return f"{fam}-{fam2} {act} {legal}"
    return f"{legal} {act} {fam}"


def bank_rendering(rng: random.Random, name: str) -> str:
    """How the payer's bank prints the account holder's name."""
    text = strip_accents(name).upper().replace("'", " ")
    words = text.split()
    legal = [w for w in words if w in LEGAL]
    rest = [w for w in words if w not in LEGAL]
    style = rng.random()
    if legal and style < 0.3:
        words = legal + rest  # legal form moved to the front
    elif legal and style < 0.55:
        words = rest  # legal form dropped
    text = " ".join(words)
    text = text.replace("ETABLISSEMENTS", rng.choice(["ETS", "ETABLISSEMENTS", "ETS."]))
    text = text.replace("SOCIETE", rng.choice(["STE", "SOCIETE", "STE."]))
    text = text.replace(" & ", rng.choice([" & ", " ET ", " "]))
    if (
        len(words) == 2
        and not legal
        and rng.random() < 0.6
        and words[0].title() in [*FIRST_NAMES, "Emilie", "Eric"]
    ):
        first, last = words
        text = rng.choice(
            [f"M. ET MME {last} {first}", f"M {first} {last}", f"MME {last} {first}", f"{last} {first}"]
        )
    limit = rng.choice([18, 20, 24, 32, 35, 70, 70])
    return text[:limit].strip()


def amount(rng: random.Random) -> Decimal:
    if rng.random() < 0.15:
        return Decimal(rng.choice([49, 99, 120, 150, 180, 240, 300, 600, 1200, 1500, 2400]))
    value = min(60000.0, rng.lognormvariate(6.8, 1.1))
    return Decimal(f"{max(15.0, value):.2f}")


def mangle(rng: random.Random, number: str) -> str:
    """A reference as a payer may have typed it (the number must stay recognisable to a person)."""
    prefix, year, seq = number[0], number[1:5], number[6:]
    choice = rng.randrange(9)
    if choice == 0:
        return f"{prefix}{year} {seq}"
    if choice == 1:
        return f"{year}-{seq}"
    if choice == 2:
        return f"FA{year}{seq}"
    if choice == 3:
        return f"{prefix}{year}{seq}"
    if choice == 4:
        return f"FACT.{year}.{seq.lstrip('0')}"
    if choice == 5:  # OCR confusions
        ocr = {"0": "O", "1": "I", "5": "S", "8": "B"}
        chars = list(number)
        spots = [i for i, c in enumerate(chars) if c in ocr]
        for i in rng.sample(spots, min(2, len(spots))):
            chars[i] = ocr[chars[i]]
        return "".join(chars)
    if choice == 6:  # transposed digits
        chars = list(number)
        i = rng.randrange(6, len(chars) - 1)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)
    if choice == 7:  # one character dropped
        i = rng.randrange(1, len(number))
        return number[:i] + number[i + 1 :]
    return f"FACTURE {seq}"  # counter only


def motif(rng: random.Random, refs: list[str], style: str) -> str:
    if style == "missing" or not refs:
        return rng.choice(
            ["", "REGLEMENT FACTURE", "PAIEMENT", "VIREMENT", "FACTURE", "REGLEMENT", "ACOMPTE"]
        )
    joined = " ".join(refs)
    return rng.choice([joined, f"FACTURE {joined}", f"REGLEMENT {joined}", f"FACT {joined}", f"N {joined}"])


@dataclass
class _Builder:
    rng: random.Random
    txs: list[tuple[date, Decimal, str, str, str, str, str]] = field(default_factory=list)
    truth: list[tuple[int, str, Decimal]] = field(default_factory=list)

    def credit(
        self, when: date, value: Decimal, payer: Customer | None, text: str, structured: str = ""
    ) -> int:
        rng = self.rng
        name = payer.bank_name if payer else ""
        iban_ = payer.iban if payer else ""
        if rng.random() < 0.25:  # the bank formats its own libellé around the payer's text
            text = f"VIR SEPA RECU /DE {name} /MOTIF {text} /REF {rng.randrange(10**9, 10**10)}"[:140]
        if rng.random() < 0.1:
            name = ""  # no Dbtr/Nm: the name is only in the libellé (or nowhere)
        self.txs.append((when, value, name, iban_, text, structured, "NOTPROVIDED"))
        return len(self.txs) - 1

    def link(self, tx: int, number: str, value: Decimal) -> None:
        self.truth.append((tx, number, value))


def generate(seed: int, n_invoices: int) -> Dataset:
    rng = random.Random(seed)
    n_customers = max(12, n_invoices // 8)
    customers: list[Customer] = []
    names: set[str] = set()
    while len(customers) < n_customers:
        name = company_name(rng)
        if name in names:
            continue
        names.add(name)
        customers.append(Customer(name, siren(rng), iban(rng), bank_rendering(rng, name)))
    parents = [
        Customer(f"Holding {rng.choice(SURNAMES)} {rng.choice(LEGAL)}", siren(rng), iban(rng), "")
        for _ in range(max(1, n_customers // 60))
    ]
    for p in parents:
        p.bank_name = bank_rendering(rng, p.name)
    for c in rng.sample(customers, len(customers) // 20):
        c.parent = rng.choice(parents)

    weights = [min(40.0, rng.paretovariate(1.2)) for _ in customers]  # no customer holds 1/3 of the book
    invoices: list[Invoice] = []
    seq_by_year: dict[int, int] = {}
    issue_days = sorted(rng.randrange(SPAN_DAYS) for _ in range(n_invoices))
    owners = rng.choices(customers, weights=weights, k=n_invoices)
    for day, owner in zip(issue_days, owners, strict=True):
        issue = START + timedelta(days=day)
        seq_by_year[issue.year] = seq_by_year.get(issue.year, 0) + 1
        number = f"F{issue.year}-{seq_by_year[issue.year]:05d}"
        inv = Invoice(
            number, issue, issue + timedelta(days=rng.choice([0, 15, 30, 30, 45, 60])), amount(rng), owner
        )
        invoices.append(inv)
        owner.invoices.append(inv)

    b = _Builder(rng)
    grouped: set[str] = set()
    for c in customers:  # grouped payments: consecutive invoices of one customer, one transfer
        open_ = list(c.invoices)
        while len(open_) >= 2 and rng.random() < 0.35:
            k = min(len(open_), rng.randint(2, 5))
            start = rng.randrange(len(open_) - k + 1)
            group = open_[start : start + k]
            del open_[start : start + k]
            if rng.random() < 0.25:
                continue
            when = max(i.due for i in group) + timedelta(days=rng.randint(-5, 30))
            refs = [i.number for i in group] if rng.random() < 0.6 else []
            total = sum((i.total for i in group), Decimal(0))
            tx = b.credit(when, total, c, motif(rng, refs, "exact" if refs else "missing"))
            for i in group:
                grouped.add(i.number)
                b.link(tx, i.number, i.total)

    for inv in invoices:
        if inv.number in grouped:
            continue
        c, r = inv.customer, rng.random()
        when = max(inv.issue + timedelta(days=1), inv.due + timedelta(days=rng.randint(-10, 45)))
        style = rng.choices(["exact", "mangled", "missing"], weights=[55, 25, 20])[0]
        ref = inv.number if style == "exact" else mangle(rng, inv.number)
        if r < 0.08:
            continue  # unpaid
        if r < 0.13:  # partial payments, usually with the reference
            parts = rng.choice(
                [[Decimal("0.5"), Decimal("0.5")], [Decimal("0.3"), Decimal("0.7")], [Decimal("0.4"), None]]
            )
            paid = Decimal(0)
            for n, share in enumerate(parts):
                value = (inv.total * share).quantize(Decimal("0.01")) if share is not None else None
                if value is None:
                    break  # the rest never came
                if n == len(parts) - 1:
                    value = inv.total - paid
                paid += value
                text = motif(rng, [inv.number] if rng.random() < 0.85 else [], "exact")
                tx = b.credit(when + timedelta(days=30 * n), value, c, text)
                b.link(tx, inv.number, value)
            continue
        value, payer = inv.total, c
        if r < 0.16:
            value = inv.total - Decimal(
                rng.choice(["0.50", "1.50", "2.50", "5.00", "7.50", "12.00", "15.00", "25.00"])
            )
        elif r < 0.18:
            value = (inv.total * (1 - Decimal(rng.choice([2, 3])) / 100)).quantize(Decimal("0.01"))
        elif r < 0.21 and c.parent is not None:
            payer, style = c.parent, "exact" if rng.random() < 0.8 else style
        elif r < 0.22:
            value = inv.total + Decimal(rng.choice(["10.00", "20.00", "50.00"]))
        if value <= 0:
            value = inv.total
        if style == "exact" and rng.random() < 0.1:  # the payer's software fills the structured reference
            tx = b.credit(when, value, payer, rng.choice(["", "REGLEMENT"]), structured=inv.number)
        else:
            tx = b.credit(when, value, payer, motif(rng, [inv.number if style == "exact" else ref], style))
        b.link(tx, inv.number, min(value, inv.total))

    _noise(b, invoices, customers, n_invoices)
    return _finish(rng, b, invoices)


def _noise(b: _Builder, invoices: list[Invoice], customers: list[Customer], n_invoices: int) -> None:
    rng = b.rng
    months = SPAN_DAYS // 30
    employees = [
        f"{rng.choice(SURNAMES).upper()} {rng.choice(FIRST_NAMES).upper()}"
        for _ in range(max(2, n_invoices // 400))
    ]
    for m in range(months):
        day = START + timedelta(days=30 * m + 27)
        label = f"{day.month:02d}/{day.year}"
        for emp in employees:
            b.txs.append(
                (
                    day,
                    -Decimal(rng.randint(180000, 420000)) / 100,
                    emp,
                    iban(rng),
                    f"VIR SEPA EMIS /MOTIF SALAIRE {label} /BEN {emp}",
                    "",
                    "NOTPROVIDED",
                )
            )
        for lib, low, high in [
            ("PRLV SEPA URSSAF ILE DE FRANCE /MOTIF COTISATIONS", 200000, 900000),
            ("PRLV SEPA DGFIP /MOTIF TVA", 100000, 1500000),
            ("PRLV SEPA SCI DES TILLEULS /MOTIF LOYER", 240000, 240000),
            ("PRLV SEPA BNP PARIBAS /MOTIF ECHEANCE PRET", 125043, 125043),
            ("FRAIS TENUE DE COMPTE", 1850, 1850),
            ("COMMISSIONS CB", 1000, 20000),
        ]:
            b.txs.append(
                (
                    day - timedelta(days=rng.randint(0, 20)),
                    -Decimal(rng.randint(low, high)) / 100,
                    "",
                    "",
                    f"{lib} {label}",
                    "",
                    "NOTPROVIDED",
                )
            )
    for _ in range(n_invoices // 20):  # card settlements and other unrelated credits
        when = START + timedelta(days=rng.randrange(SPAN_DAYS))
        b.txs.append(
            (
                when,
                amount(rng),
                "",
                "",
                f"REMISE CB {when:%d%m} {rng.randrange(10**6):06d}",
                "",
                "NOTPROVIDED",
            )
        )
    for _ in range(n_invoices // 50):  # decoys: someone else pays an amount equal to an invoice
        inv = rng.choice(invoices)
        when = inv.issue + timedelta(days=rng.randint(1, 90))
        stranger = bank_rendering(rng, company_name(rng))
        b.txs.append(
            (
                when,
                inv.total,
                stranger,
                iban(rng),
                rng.choice(["REMBOURSEMENT", "ACOMPTE", "VIREMENT", ""]),
                "",
                "NOTPROVIDED",
            )
        )
    for _ in range(n_invoices // 40):  # supplier payments
        when = START + timedelta(days=rng.randrange(SPAN_DAYS))
        supplier = bank_rendering(rng, company_name(rng))
        b.txs.append(
            (
                when,
                -amount(rng),
                supplier,
                iban(rng),
                f"VIR SEPA EMIS /BEN {supplier} /MOTIF FACTURE {rng.randrange(10**5)}",
                "",
                "NOTPROVIDED",
            )
        )


def _finish(rng: random.Random, b: _Builder, invoices: list[Invoice]) -> Dataset:
    order = sorted(range(len(b.txs)), key=lambda i: (b.txs[i][0], i))
    tx_id = {old: f"TX{new + 1:08d}" for new, old in enumerate(order)}
    transactions = []
    for old in order:
        when, value, name, iban_, text, structured, e2e = b.txs[old]
        transactions.append(
            BankTransaction(
                booking_date=when,
                value_date=when,
                amount=value,
                counterparty_name=name,
                counterparty_iban=iban_,
                remittance=text,
                structured_reference=structured,
                end_to_end_id=e2e,
                bank_ref=tx_id[old],
            )
        )
    truth = sorted((tx_id[t], n, v) for t, n, v in b.truth)
    return Dataset("Atelier Encaisse SARL", siren(rng), iban(rng), invoices, transactions, truth)


def write_invoices(path: Path, invoices: list[Invoice]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(INVOICE_HEADER)
        for i in invoices:
            w.writerow(
                [
                    i.number,
                    i.issue.isoformat(),
                    i.due.isoformat(),
                    i.customer.name,
                    i.customer.siren,
                    f"{i.total:.2f}",
                    "EUR",
                ]
            )


def write_truth(path: Path, truth: list[tuple[str, str, Decimal]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["transaction_id", "invoice_number", "amount"])
        for t, n, v in truth:
            w.writerow([t, n, f"{v:.2f}"])


def _balance(code: str, value: Decimal, day: date) -> str:
    ind = "CRDT" if value >= 0 else "DBIT"
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{abs(value):.2f}</Amt>'
        f"<CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def _entry(tx: BankTransaction) -> str:
    credit = tx.amount > 0
    party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    related = ""
    if tx.counterparty_name:
        related += f"<{party}><Nm>{escape(tx.counterparty_name)}</Nm></{party}>"
    if tx.counterparty_iban:
        related += f"<{account}><Id><IBAN>{tx.counterparty_iban}</IBAN></Id></{account}>"
    rmt = ""
    if tx.remittance:
        rmt += f"<Ustrd>{escape(tx.remittance[:140])}</Ustrd>"
    if tx.structured_reference:
        rmt += f"<Strd><CdtrRefInf><Ref>{escape(tx.structured_reference)}</Ref></CdtrRefInf></Strd>"
    family = ("RCDT", "ESCT") if credit else ("ICDT", "ESCT")
    return (
        f'<Ntry><Amt Ccy="EUR">{abs(tx.amount):.2f}</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{tx.booking_date.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{(tx.value_date or tx.booking_date).isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{tx.bank_ref}</AcctSvcrRef>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family[0]}</Cd><SubFmlyCd>{family[1]}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{tx.bank_ref}</AcctSvcrRef><EndToEndId>{escape(tx.end_to_end_id or 'NOTPROVIDED')}</EndToEndId></Refs>"
        + (f"<RltdPties>{related}</RltdPties>" if related else "")
        + (f"<RmtInf>{rmt}</RmtInf>" if rmt else "")
        + "</TxDtls></NtryDtls></Ntry>"
    )


def write_statement(path: Path, ds: Dataset, opening: Decimal = Decimal("25000.00")) -> None:
    txs = ds.transactions
    first, last = txs[0].booking_date, txs[-1].booking_date
    closing = opening + sum((t.amount for t in txs), Decimal(0))
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>')
        fh.write(
            f"<GrpHdr><MsgId>ENCAISSE-BENCH-{last:%Y%m%d}</MsgId><CreDtTm>{last.isoformat()}T23:00:00</CreDtTm></GrpHdr>"
        )
        fh.write(
            f"<Stmt><Id>BENCH-{first:%Y%m%d}-{last:%Y%m%d}</Id><CreDtTm>{last.isoformat()}T23:00:00</CreDtTm>"
        )
        fh.write(
            f"<Acct><Id><IBAN>{ds.company_iban}</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>{escape(ds.company_name)}</Nm></Ownr></Acct>"
        )
        fh.write(_balance("OPBD", opening, first) + _balance("CLBD", closing, last))
        for tx in txs:
            fh.write(_entry(tx))
        fh.write("</Stmt></BkToCstmrStmt></Document>\n")


def write(ds: Dataset, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_invoices(out / "invoices.csv", ds.invoices)
    write_truth(out / "truth.csv", ds.truth)
    write_statement(out / "statement.xml", ds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    ds = generate(args.seed, args.invoices)
    write(ds, args.out)
    print(
        f"{len(ds.invoices)} invoices, {len(ds.transactions)} transactions, {len(ds.truth)} links -> {args.out}"
    )


if __name__ == "__main__":
    main()
