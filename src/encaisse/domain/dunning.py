"""Dunning plans and what they send on a given day, computed from each invoice's state.

Practice (CHECKLIST DUN-RELANCE-PRACTICE): courtesy reminder 3 days before the due date, reminder at
D+7, second reminder at D+15, formal notice at D+30 (DUN-MISE-EN-DEMEURE, DUN-MED-CONTENT: letter +
email, with the penalties accrued to date and the 40 € indemnity — B2B only, PAY-B2C), then a call.
A step falling on a weekend or a French public holiday moves to the next business day.

The day's work is a pure function of the invoices' state (``last_step_sent``), never of timers:
after days without a run only the latest due step goes out (but a formal notice is never skipped),
nothing leaves on weekends and public holidays, and a second run the same day sends nothing. Reminders stop at once on paid, disputed, payment-plan, factored or Dailly-notified
invoices; an invoice whose delivery failed goes to "fix and resend" instead.

>>> item = DunningItem(1, "F2026-00001", 7, "Durand SARL", True, "compta@durand.fr",
...                    date(2026, 12, 4), Decimal("1200.00"), Decimal("1200.00"), Decimal("12.15"))
>>> [r.step_key for r in due_today([item], {}, date(2026, 12, 11)).reminders]
['reminder_1']
>>> [r.step_key for r in due_today([item], {}, date(2027, 1, 4)).reminders]  # D+31: latest only
['formal_notice']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

from encaisse.domain.calendar_fr import is_business_day, next_business_day
from encaisse.domain.errors import EncaisseError
from encaisse.domain.money import ZERO
from encaisse.domain.parties import Company
from encaisse.domain.terms import RECOVERY_INDEMNITY, fr_rate, late_penalty

CHANNELS = ("email", "letter", "call")
KINDS = ("courtesy", "reminder", "formal_notice", "call")
CLOSED_STATUSES = frozenset({"draft", "paid", "cancelled"})
#: Days given by the formal notice before legal action (DUN-MED-CONTENT).
FORMAL_NOTICE_DEADLINE_DAYS = 8


class DunningPlanError(EncaisseError):
    code = "DUN-PLAN-INVALID"


@dataclass(frozen=True)
class DunningStep:
    """One rung of a plan; ``offset_days`` counts from the due date (negative: before it)."""

    key: str
    offset_days: int
    channel: str
    template: str
    kind: str

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS or self.kind not in KINDS:
            raise DunningPlanError(
                f"step {self.key!r}: channel {self.channel!r} / kind {self.kind!r} unknown"
            )


@dataclass(frozen=True)
class DunningPlan:
    """Steps in increasing offset order, unique keys. ``min_gap_days`` spaces two steps sent
    to the same invoice (a catch-up step is not followed by the next one the day after)."""

    name: str
    steps: tuple[DunningStep, ...]
    min_gap_days: int = 3

    def __post_init__(self) -> None:
        offsets = [s.offset_days for s in self.steps]
        if offsets != sorted(offsets) or len({s.key for s in self.steps}) != len(self.steps):
            raise DunningPlanError(f"plan {self.name!r}: steps must be in offset order with unique keys")

    def position(self, key: str) -> int | None:
        for index, step in enumerate(self.steps):
            if step.key == key:
                return index
        return None


DEFAULT_PLAN = DunningPlan(
    "standard",
    (
        DunningStep("courtesy", -3, "email", "courtesy", "courtesy"),
        DunningStep("reminder_1", 7, "email", "reminder_1", "reminder"),
        DunningStep("reminder_2", 15, "email", "reminder_2", "reminder"),
        DunningStep("formal_notice", 30, "letter", "formal_notice", "formal_notice"),
        DunningStep("call", 37, "call", "call", "call"),
    ),
)


@dataclass(frozen=True)
class DunningItem:
    """What dunning needs to know of one open invoice (``penalty_rate`` in % a year)."""

    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    customer_is_business: bool
    customer_email: str
    due_date: date
    amount_due: Decimal
    total: Decimal
    penalty_rate: Decimal
    status: str = "issued"
    disputed: bool = False
    in_payment_plan: bool = False
    delivery_failed: bool = False
    factored_or_assigned: bool = False
    last_step_sent: str | None = None
    last_step_sent_on: date | None = None
    indemnity_claimed: bool = False
    issue_date: date | None = None


@dataclass(frozen=True)
class ReminderInvoice:
    invoice_id: int
    number: str
    due_date: date
    issue_date: date | None
    total: Decimal
    amount_due: Decimal
    days_late: int
    penalty_rate: Decimal
    penalty: Decimal
    indemnity: Decimal


@dataclass(frozen=True)
class Reminder:
    """One message (or call) to one customer for the invoices at the same step, sorted by number."""

    customer_id: int
    customer_name: str
    customer_email: str
    customer_is_business: bool
    date: date
    step_key: str
    channel: str
    kind: str
    template: str
    invoices: tuple[ReminderInvoice, ...]

    @property
    def invoice_numbers(self) -> tuple[str, ...]:
        return tuple(i.number for i in self.invoices)

    @property
    def amounts(self) -> tuple[Decimal, ...]:
        return tuple(i.amount_due for i in self.invoices)

    @property
    def total_due(self) -> Decimal:
        return sum((i.amount_due for i in self.invoices), ZERO)

    @property
    def penalties(self) -> Decimal:
        return sum((i.penalty for i in self.invoices), ZERO)

    @property
    def indemnity(self) -> Decimal:
        return sum((i.indemnity for i in self.invoices), ZERO)

    @property
    def deliveries(self) -> tuple[str, ...]:
        """How it leaves: a letter (formal notice) is also emailed when an address is known."""
        if self.channel == "letter" and self.customer_email:
            return ("letter", "email")
        return (self.channel,)

    @property
    def total_claimed(self) -> Decimal:
        return self.total_due + self.penalties + self.indemnity


@dataclass(frozen=True)
class HeldInvoice:
    number: str
    customer_name: str
    reason: str  # DUN-HOLD-DISPUTED | DUN-HOLD-PAYMENT-PLAN | DUN-HOLD-FACTORED


@dataclass(frozen=True)
class DunningRun:
    date: date
    reminders: tuple[Reminder, ...]
    calls_today: tuple[Reminder, ...]
    fix_and_resend: tuple[DunningItem, ...]
    held: tuple[HeldInvoice, ...]


@dataclass(frozen=True)
class PlannedReminder:
    date: date
    customer_name: str
    invoice_numbers: tuple[str, ...]
    step: str
    channel: str
    reason_fr: str

    def to_json(self) -> dict[str, object]:
        """The row of ``encaisse reminders preview --format json``."""
        return {
            "date": self.date.isoformat(),
            "customer_name": self.customer_name,
            "invoice_numbers": list(self.invoice_numbers),
            "step": self.step,
            "channel": self.channel,
        }


@lru_cache(maxsize=131072)
def step_date(due_date: date, offset_days: int) -> date:
    """The day a step is due: due date + offset, moved to the next French business day."""
    return next_business_day(due_date + timedelta(days=offset_days))


def hold_reason(item: DunningItem) -> str | None:
    """Why automated reminders must not run on an invoice (DUN-RELANCE-PRACTICE), if any."""
    if item.disputed:
        return "DUN-HOLD-DISPUTED"
    if item.in_payment_plan:
        return "DUN-HOLD-PAYMENT-PLAN"
    if item.factored_or_assigned:
        return "DUN-HOLD-FACTORED"
    return None


def is_open(item: DunningItem) -> bool:
    return item.status not in CLOSED_STATUSES and item.amount_due > 0


def next_step(item: DunningItem, plan: DunningPlan, today: date) -> DunningStep | None:
    """The step to send today: the latest step due by ``today`` after the last one sent, if any.

    A formal notice is never skipped by a catch-up (DUN-MISE-EN-DEMEURE: legal-rate interest and the
    injonction de payer rest on it); a courtesy step is never sent once the due date has passed;
    no step follows another sent less than ``plan.min_gap_days`` ago.
    """
    if item.last_step_sent is None:
        start = 0
    else:
        known = plan.position(item.last_step_sent)
        if known is not None:
            start = known + 1
        elif item.last_step_sent_on is not None:  # plan changed: steps due by then count as done
            sent_on = item.last_step_sent_on
            start = sum(1 for s in plan.steps if step_date(item.due_date, s.offset_days) <= sent_on)
        else:
            start = 0
    if item.last_step_sent_on is not None and (today - item.last_step_sent_on).days < plan.min_gap_days:
        return None
    chosen: DunningStep | None = None
    for step in plan.steps[start:]:
        if step_date(item.due_date, step.offset_days) > today:
            break
        chosen = step
        if step.kind == "formal_notice":
            break  # never skipped: the steps after it (call, legal action) presume it was sent
    if chosen is not None and chosen.kind == "courtesy" and today > item.due_date:
        return None
    return chosen


def _line(item: DunningItem, step: DunningStep, today: date) -> ReminderInvoice:
    days_late = max(0, (today - item.due_date).days)
    business = item.customer_is_business
    penalty = late_penalty(item.amount_due, item.penalty_rate, item.due_date, today) if business else ZERO
    claim_indemnity = business and step.kind == "formal_notice" and not item.indemnity_claimed
    return ReminderInvoice(
        invoice_id=item.invoice_id,
        number=item.number,
        due_date=item.due_date,
        issue_date=item.issue_date,
        total=item.total,
        amount_due=item.amount_due,
        days_late=days_late,
        penalty_rate=item.penalty_rate,
        penalty=penalty,
        indemnity=RECOVERY_INDEMNITY if claim_indemnity else ZERO,
    )


def due_today(
    items: Iterable[DunningItem],
    plans: Mapping[int, DunningPlan],
    today: date,
    *,
    default_plan: DunningPlan = DEFAULT_PLAN,
) -> DunningRun:
    """What to send on ``today``: one reminder per (customer, step), the calls, the invoices to
    fix and resend, and those held. ``plans`` overrides ``default_plan`` per customer id.
    Penalties are computed once per invoice (PAY-PENALTY-AUTO) and only for business customers;
    the 40 € indemnity only on a B2B formal notice, once per invoice (PAY-INDEMNITY-40, PAY-B2C).
    Nothing is sent on a weekend or a public holiday: what falls due then waits for the next
    business day (an invoice fixed on a Sunday is reminded on Monday)."""
    sending_day = is_business_day(today)
    groups: dict[tuple[int, str], list[tuple[DunningItem, DunningStep]]] = {}
    fix: list[DunningItem] = []
    held: list[HeldInvoice] = []
    for item in items:
        if not is_open(item):
            continue
        reason = hold_reason(item)
        if reason is not None:
            held.append(HeldInvoice(item.number, item.customer_name, reason))
            continue
        if item.delivery_failed:
            fix.append(item)
            continue
        if not sending_day:
            continue
        plan = plans.get(item.customer_id, default_plan)
        step = next_step(item, plan, today)
        if step is not None:
            groups.setdefault((item.customer_id, step.key), []).append((item, step))
    built: list[Reminder] = []
    for (customer_id, _), members in groups.items():
        first, step = members[0]
        lines = sorted((_line(it, step, today) for it, _ in members), key=lambda ln: ln.number)
        built.append(
            Reminder(
                customer_id=customer_id,
                customer_name=first.customer_name,
                customer_email=first.customer_email,
                customer_is_business=first.customer_is_business,
                date=today,
                step_key=step.key,
                channel=step.channel,
                kind=step.kind,
                template=step.template,
                invoices=tuple(lines),
            )
        )
    built.sort(key=lambda r: (r.customer_name, r.customer_id, r.invoices[0].due_date, r.step_key))
    return DunningRun(
        date=today,
        reminders=tuple(r for r in built if r.kind != "call"),
        calls_today=tuple(r for r in built if r.kind == "call"),
        fix_and_resend=tuple(sorted(fix, key=lambda it: it.number)),
        held=tuple(sorted(held, key=lambda h: h.number)),
    )


def apply_run(items: Sequence[DunningItem], run: DunningRun) -> list[DunningItem]:
    """The invoices' state once ``run`` is sent (``last_step_sent``, ``indemnity_claimed``)."""
    sent: dict[int, tuple[str, bool]] = {}
    for reminder in run.reminders + run.calls_today:
        for line in reminder.invoices:
            sent[line.invoice_id] = (reminder.step_key, line.indemnity > 0)
    updated: list[DunningItem] = []
    for item in items:
        if item.invoice_id in sent:
            key, claimed = sent[item.invoice_id]
            item = replace(
                item,
                last_step_sent=key,
                last_step_sent_on=run.date,
                indemnity_claimed=item.indemnity_claimed or claimed,
            )
        updated.append(item)
    return updated


def preview(
    items: Sequence[DunningItem],
    plans: Mapping[int, DunningPlan],
    start: date,
    days: int = 14,
    *,
    default_plan: DunningPlan = DEFAULT_PLAN,
) -> list[PlannedReminder]:
    """What the plans will send from ``start`` for ``days`` days, assuming nobody pays and each
    reminder goes out when due (``encaisse reminders preview``)."""
    current = list(items)
    planned: list[PlannedReminder] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        run = due_today(current, plans, day, default_plan=default_plan)
        for reminder in run.reminders + run.calls_today:
            planned.append(
                PlannedReminder(
                    date=day,
                    customer_name=reminder.customer_name,
                    invoice_numbers=reminder.invoice_numbers,
                    step=reminder.step_key,
                    channel=reminder.channel,
                    reason_fr=reason_fr(reminder),
                )
            )
        current = apply_run(current, run)
    return planned


STEP_LABELS_FR = {
    "courtesy": "rappel de courtoisie",
    "reminder_1": "première relance",
    "reminder_2": "deuxième relance",
    "formal_notice": "mise en demeure",
    "call": "appel à passer",
}
KIND_LABELS_FR = {
    "courtesy": "rappel de courtoisie",
    "reminder": "relance",
    "formal_notice": "mise en demeure",
    "call": "appel à passer",
}


def reason_fr(reminder: Reminder) -> str:
    """Why this reminder goes out, in French (``Première relance : 8 jours de retard``)."""
    label = STEP_LABELS_FR.get(reminder.step_key, KIND_LABELS_FR[reminder.kind])
    late = max(line.days_late for line in reminder.invoices)
    if late == 0:
        due = min(line.due_date for line in reminder.invoices)
        return f"{label.capitalize()} : échéance le {fr_date(due)}"
    return f"{label.capitalize()} : {late} jour{'s' if late > 1 else ''} de retard"


def fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def fr_money(amount: Decimal) -> str:
    """``1 234,56 €`` (U+202F thousands separator, no-break space before the sign)."""
    return str(format_currency(amount, "EUR", locale="fr_FR"))


@dataclass(frozen=True)
class MessageTemplate:
    subject: str
    body: str


#: Default French messages, polite then firm. Placeholders: see :func:`message_context`.
#: The formal notice follows DUN-MED-CONTENT: "mise en demeure", invoices and amounts, penalties
#: and indemnity claimed (B2B only), an 8-day deadline, consequences (injonction de payer).
TEMPLATES: dict[str, MessageTemplate] = {
    "courtesy": MessageTemplate(
        "Rappel : échéance le {echeance} — {numero}",
        "Bonjour {client},\n\nPetit rappel amical : le règlement de {objet}, soit {montant}, "
        "arrive à échéance le {echeance}.\n\nVous pouvez régler par virement ou en ligne : {lien}\n\n"
        "Si le paiement est déjà parti, merci de ne pas tenir compte de ce message.\n\n"
        "Bien cordialement,\n{societe}",
    ),
    "reminder_1": MessageTemplate(
        "Relance : {numero} — échéance du {echeance}",
        "Bonjour {client},\n\nSauf erreur de notre part, nous n'avons pas encore reçu le règlement de "
        "{objet} (échéance : {echeance}), soit {montant}.\n\nPourriez-vous procéder au paiement dans "
        "les meilleurs délais ? Par virement ou en ligne : {lien}\n\n"
        "Si votre paiement nous a croisé, merci de ne pas tenir compte de ce message.\n\n"
        "Bien cordialement,\n{societe}",
    ),
    "reminder_2": MessageTemplate(
        "Deuxième relance : {numero} — règlement attendu",
        "Bonjour {client},\n\nMalgré notre précédente relance, le règlement de {objet} "
        "(échéance : {echeance}), soit {montant}, ne nous est toujours pas parvenu.\n\n"
        "Nous vous demandons de régler cette somme sous huit jours, par virement ou en ligne : "
        "{lien}\n\n{rappel_penalites}À défaut, nous vous adresserons une mise en demeure.\n\n"
        "Cordialement,\n{societe}",
    ),
    "formal_notice": MessageTemplate(
        "Mise en demeure de payer — {numero}",
        "{societe}\n{adresse_societe}\n\nÀ l'attention de {client}\n\nLe {date}\n\n"
        "Objet : mise en demeure de payer\n\nMadame, Monsieur,\n\nMalgré nos relances, les sommes "
        "suivantes restent impayées à ce jour :\n\n{factures}\n\nTotal restant dû : {montant}\n"
        "{reclamations}\nPar la présente, nous vous mettons en demeure de nous régler la somme de "
        "{total_reclame} dans un délai de {delai} jours à compter de la réception de ce courrier, "
        "par virement sur le compte {iban} ou en ligne : {lien}\n\nÀ défaut de paiement dans ce "
        "délai, nous saisirons sans autre avis la juridiction compétente d'une requête en "
        "injonction de payer, afin d'obtenir un titre exécutoire.\n\nNous vous prions d'agréer, "
        "Madame, Monsieur, nos salutations distinguées.\n\n{societe}",
    ),
    "call": MessageTemplate(
        "Appeler {client} — {numero}",
        "Appeler {client} au sujet de {objet} : {montant} restant dû, échéance : {echeance}. "
        "La mise en demeure est partie ; convenir d'une date de paiement ou d'un échéancier.",
    ),
}


def message_context(reminder: Reminder, company: Company, *, link: str = "") -> dict[str, str]:
    """Values of the template placeholders ({client}, {numero}, {montant}, {echeance}, {lien}, …),
    French formats. Consumers get no penalty nor indemnity claim (PAY-B2C): their formal notice
    states that legal-rate interest runs from it (C. civ. 1231-6, 1344-1)."""
    lines = reminder.invoices
    numbers = ", ".join(reminder.invoice_numbers)
    objet = f"la facture {numbers}" if len(lines) == 1 else f"les factures {numbers}"
    due_dates = ", ".join(dict.fromkeys(fr_date(ln.due_date) for ln in lines))
    factures = "\n".join(
        f"- Facture {ln.number}"
        + (f" du {fr_date(ln.issue_date)}" if ln.issue_date else "")
        + f", échue le {fr_date(ln.due_date)} : {fr_money(ln.amount_due)}"
        + (f" restant dû sur {fr_money(ln.total)}" if ln.amount_due != ln.total else "")
        for ln in lines
    )
    if reminder.customer_is_business:
        rates = {ln.penalty_rate for ln in lines}
        rate = f"au taux annuel de {fr_rate(rates.pop())}" if len(rates) == 1 else "aux taux convenus"
        reclamations = (
            f"Pénalités de retard {rate} (art. L441-10 du Code de commerce), arrêtées au "
            f"{fr_date(reminder.date)} : {fr_money(reminder.penalties)}\n"
        )
        if reminder.indemnity > 0:
            reclamations += (
                "Indemnité forfaitaire pour frais de recouvrement de 40\u00a0€ par facture "
                f"(art. D441-5 du Code de commerce) : {fr_money(reminder.indemnity)}\n"
            )
        rappel = (
            "Nous vous rappelons que des pénalités de retard et une indemnité forfaitaire de 40\u00a0€ pour "
            "frais de recouvrement sont exigibles de plein droit (art. L441-10 du Code de commerce).\n\n"
        )
    else:
        reclamations = (
            "Des intérêts au taux légal courront à compter de la présente mise en demeure "
            "(art. 1231-6 et 1344-1 du Code civil).\n"
        )
        rappel = ""
    return {
        "client": reminder.customer_name,
        "numero": numbers,
        "objet": objet,
        "montant": fr_money(reminder.total_due),
        "echeance": due_dates,
        "lien": link,
        "factures": factures,
        "penalites": fr_money(reminder.penalties),
        "indemnite": fr_money(reminder.indemnity),
        "reclamations": reclamations,
        "rappel_penalites": rappel,
        "total_reclame": fr_money(reminder.total_claimed),
        "delai": str(FORMAL_NOTICE_DEADLINE_DAYS),
        "date_limite": fr_date(reminder.date + timedelta(days=FORMAL_NOTICE_DEADLINE_DAYS)),
        "date": fr_date(reminder.date),
        "societe": company.name,
        "adresse_societe": company.address.one_line(),
        "iban": " ".join(company.iban[i : i + 4] for i in range(0, len(company.iban), 4)),
    }


def render_message(
    reminder: Reminder,
    company: Company,
    *,
    link: str = "",
    templates: Mapping[str, MessageTemplate] = TEMPLATES,
) -> MessageTemplate:
    """Subject and body of a reminder, from its step's template (KeyError on unknown template)."""
    template = templates[reminder.template]
    context = message_context(reminder, company, link=link)
    return MessageTemplate(template.subject.format_map(context), template.body.format_map(context))
