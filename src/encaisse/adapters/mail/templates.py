"""Default French messages for sending documents (the reminders' are ``domain.dunning.TEMPLATES``).

Placeholders of the invoice messages (``services.collections.send_invoice``): ``{client}``,
``{numero}``, ``{montant}``, ``{reste_du}``, ``{date_facture}``, ``{echeance}``, ``{lien}``,
``{reference}``, ``{iban}``, ``{societe}``. The user edits copies of these; unknown placeholders
are reported by :func:`check_template` before a template is saved.

>>> check_template(INVOICE_TEMPLATES["invoice"], INVOICE_PLACEHOLDERS)
[]
>>> check_template(MessageTemplate("Facture {numro}", ""), INVOICE_PLACEHOLDERS)
['numro']
"""

from __future__ import annotations

import string
from collections.abc import Collection

from encaisse.domain.dunning import TEMPLATES as REMINDER_TEMPLATES
from encaisse.domain.dunning import MessageTemplate

__all__ = [
    "INVOICE_PLACEHOLDERS",
    "INVOICE_TEMPLATES",
    "REMINDER_TEMPLATES",
    "MessageTemplate",
    "check_template",
]

INVOICE_PLACEHOLDERS = frozenset(
    {
        "client",
        "numero",
        "montant",
        "reste_du",
        "date_facture",
        "echeance",
        "lien",
        "reference",
        "iban",
        "societe",
    }
)

INVOICE_TEMPLATES: dict[str, MessageTemplate] = {
    "invoice": MessageTemplate(
        "Facture {numero} — {societe}",
        "Bonjour {client},\n\nVeuillez trouver ci-joint notre facture {numero} du {date_facture}, "
        "d'un montant de {montant}, payable au plus tard le {echeance}.\n\n"
        "Vous pouvez la régler par virement (IBAN {iban}, référence {reference}) ou en ligne, "
        "par carte ou virement, sur cette page : {lien}\n\n"
        "Nous restons à votre disposition pour toute question.\n\nBien cordialement,\n{societe}",
    ),
    "invoice_resend": MessageTemplate(
        "Facture {numero} — nouvel envoi",
        "Bonjour {client},\n\nNous vous adressons à nouveau notre facture {numero} du {date_facture}, "
        "d'un montant de {montant} (reste dû : {reste_du}), échéance le {echeance}.\n\n"
        "Règlement par virement (IBAN {iban}, référence {reference}) ou en ligne : {lien}\n\n"
        "Bien cordialement,\n{societe}",
    ),
    "credit_note": MessageTemplate(
        "Avoir {numero} — {societe}",
        "Bonjour {client},\n\nVeuillez trouver ci-joint notre avoir {numero} du {date_facture}, "
        "d'un montant de {montant}.\n\nBien cordialement,\n{societe}",
    ),
    "quote": MessageTemplate(
        "Devis {numero} — {societe}",
        "Bonjour {client},\n\nVeuillez trouver ci-joint notre devis {numero} du {date_facture}, "
        "d'un montant de {montant}.\n\nPour l'accepter, il vous suffit de nous le retourner signé "
        "avec la mention « Bon pour accord ».\n\nBien cordialement,\n{societe}",
    ),
}


def check_template(template: MessageTemplate, allowed: Collection[str]) -> list[str]:
    """Placeholders of ``template`` that are not in ``allowed`` (sorted, without duplicates)."""
    found: set[str] = set()
    for text in (template.subject, template.body):
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in allowed:
                found.add(name)
    return sorted(found)
