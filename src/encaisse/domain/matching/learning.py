"""Learning from a user's confirmation: the payer's text becomes an alias of the party.

SCENARIOS §4: "what the owner confirms is learned". The store keeps the aliases
(``learned_alias``) and the IBANs; the next :func:`engine.match` receives them.

>>> from datetime import date
>>> from decimal import Decimal
>>> tx = BankTransaction(date(2026, 3, 5), Decimal("1200.00"), counterparty_name="HOLDING DUPONT SAS")
>>> learn_alias(tx, 42)
Alias(text_normalized='HOLDING DUPONT', party_id=42)
"""

from __future__ import annotations

from encaisse.domain.bank import BankTransaction
from encaisse.domain.errors import EncaisseError
from encaisse.domain.matching.model import Alias, PartyId
from encaisse.domain.matching.normalize import normalize_name, parse_libelle


class NothingToLearnError(EncaisseError):
    code = "MATCH-NOTHING-TO-LEARN"


def payer_text(tx: BankTransaction) -> str:
    """The payer as the bank wrote it: the counterparty name, else the libellé's ``/DE`` field."""
    return tx.counterparty_name or parse_libelle(tx.remittance).name


def learn_alias(tx: BankTransaction, party_id: PartyId) -> Alias:
    """The alias a confirmed match teaches (raises when the transaction names no payer)."""
    text = normalize_name(payer_text(tx))
    if not text:
        raise NothingToLearnError("this transaction names no payer: nothing to learn from it")
    return Alias(text, party_id)


def learn_iban(tx: BankTransaction, party_id: PartyId) -> tuple[str, PartyId] | None:
    """The (IBAN, party) pair a confirmed match teaches, if the bank gave the payer's IBAN."""
    iban = "".join(tx.counterparty_iban.split()).upper()
    return (iban, party_id) if iban else None
