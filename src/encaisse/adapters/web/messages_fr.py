"""French messages shown to users, by stable problem/error code (DESIGN "one catalogue maps codes").

Compliance problems carry ``Problem.args["key"]`` (``INV-SELLER-VAT.mismatch``…): the key picks the
precise sentence and ``args`` fill its placeholders. Other problems are looked up by ``code``.
A code missing here falls back to a generic French sentence that still names the code, so a user
never reads English; ``tests/web`` checks that every compliance key has a French sentence.
"""

from __future__ import annotations

import string
from datetime import date

from encaisse.domain.errors import Problem

#: Compliance checker keys (``encaisse.domain.compliance.MESSAGES``) and ``terms`` problems.
COMPLIANCE_FR: dict[str, str] = {
    "INV-SELLER-NAME": "La raison sociale de votre entreprise manque.",
    "INV-SELLER-ADDR": "L'adresse de votre entreprise manque.",
    "INV-SELLER-SIREN": "Le SIREN de votre entreprise manque.",
    "INV-SELLER-SIREN.invalid": "Le SIREN de votre entreprise n'est pas valide (9 chiffres, clé de Luhn).",
    "INV-SELLER-RCS": "Indiquez la ville du greffe du RCS (« RCS Lyon 123 456 789 », C. com. R123-237).",
    "INV-SELLER-FORM-CAPITAL": "La forme juridique de votre entreprise manque (C. com. R123-238).",
    "INV-SELLER-FORM-CAPITAL.capital": "Le capital social manque, ou cochez « capital variable » (R123-238).",
    "INV-SELLER-EI": "Le nom d'un entrepreneur individuel doit porter « EI » ou « entrepreneur individuel » "
    "(C. com. R526-26).",
    "INV-SELLER-VAT": "Le numéro de TVA intracommunautaire de votre entreprise manque.",
    "INV-SELLER-VAT.mismatch": "Le numéro de TVA ne correspond pas au SIREN (attendu : {expected}).",
    "INV-BUYER-NAME": "Le nom du client manque.",
    "INV-BUYER-ADDR": "L'adresse du client manque.",
    "INV-BUYER-VAT": "Le numéro de TVA du client est obligatoire en autoliquidation ou en livraison "
    "intracommunautaire.",
    "INV-BUYER-VAT.invalid": "Le numéro de TVA du client n'est pas valide.",
    "EINV-MENTION-BUYER-SIREN": "Le SIREN du client manque (mention obligatoire de la facturation "
    "électronique, utilisée pour l'acheminement).",
    "EINV-MENTION-BUYER-SIREN.invalid": "Le SIREN du client n'est pas valide.",
    "EINV-MENTION-BUYER-SIREN.siret": "Le SIRET du client ne correspond pas à son SIREN.",
    "EINV-MENTION-DELIVERY-ADDR": "Les biens sont livrés à une autre adresse que celle du client : "
    "indiquez l'adresse de livraison.",
    "EINV-MENTION-NATURE": "La ligne {n} est facturée au temps ({unit}) mais marquée comme bien : "
    "marquez-la comme prestation de services.",
    "EINV-MENTION-NATURE.deductions": "Seulement des déductions d'acompte : ajoutez ce qui est facturé "
    "pour que la nature de l'opération soit connue.",
    "EINV-MENTION-DEBITS": "TVA sur les débits : la mention « Option pour le paiement de la taxe d'après "
    "les débits » doit figurer.",
    "INV-VAT-DEBITS": "La mention d'option pour les débits figure sans que l'option soit prise "
    "(amende, CGI 1737 II).",
    "INV-BUYER-PO": "La référence de commande du client ({reference}) est connue mais absente de la facture "
    "(L441-9).",
    "INV-DATE-ISSUE": "La date d'émission manque.",
    "INV-DATE-SUPPLY": "Pas de date de vente ou de prestation : la date d'émission est retenue ; "
    "précisez-la si elle diffère.",
    "INV-TIMING": "Facture émise {days} jours après la livraison : facturez dès la réalisation (L441-9).",
    "INV-DISCOUNTS": "Indiquez le motif de la remise.",
    "INV-LINE-DESC": "La ligne {n} n'a pas de désignation.",
    "INV-LINE-DESC.quantity": "La ligne {n} n'a pas de quantité.",
    "INV-LINE-DESC.none": "Le document n'a aucune ligne : ajoutez ce qui est vendu.",
    "INV-LINE-UNIT-PRICE": "La ligne {n} n'a pas de prix unitaire hors taxes.",
    "INV-LINE-UNIT-PRICE.negative": "Ligne {n} : un prix unitaire ne peut pas être négatif (EN 16931 BR-27) ; "
    "utilisez une quantité négative ou une remise.",
    "INV-LINE-VAT-RATE": "La ligne {n} est à 0 % de TVA sans motif d'exonération : choisissez le motif.",
    "VAT-RATE": "Ligne {n} : {rate} % n'est pas un taux de TVA applicable ({territory} : {allowed}).",
    "INV-PAY-DUE-DATE": "La date d'échéance manque.",
    "INV-PAY-DUE-DATE.before": "La date d'échéance est antérieure à la date d'émission.",
    "INV-PAY-PENALTY-RATE": "Le taux des pénalités de retard manque.",
    "PAY-PENALTY-FLOOR": "Le taux de pénalités {rate} % est inférieur à 3 fois le taux légal ({legal} %) "
    "= {floor} %.",
    "INV-PAY-INDEMNITY-40": "Une facture entre professionnels doit mentionner l'indemnité forfaitaire "
    "de recouvrement de 40 € (C. com. D441-5).",
    "PAY-B2C": "Un particulier ne se voit jamais réclamer l'indemnité de 40 € : décochez-la.",
    "INV-PAY-ESCOMPTE": "Précisez les conditions d'escompte (taux, délai) ou « Pas d'escompte pour "
    "paiement anticipé ».",
    "INV-VAT-FRANCHISE": "Ligne {n} : en franchise en base, aucune TVA n'est facturée "
    "(« TVA non applicable, art. 293 B du CGI »).",
    "INV-VAT-FRANCHISE.not": "Ligne {n} : l'entreprise n'est pas en franchise en base ; facturez la TVA.",
    "INV-VAT-REVERSE": "Ligne {n} : l'autoliquidation suppose un client assujetti à la TVA.",
    "INV-VAT-EXEMPT-ICS": "Ligne {n} : l'exonération de l'article 262 ter I du CGI vise des biens vendus "
    "à une entreprise d'un autre État de l'UE.",
    "INV-VAT-EXEMPT-EXPORT": "Ligne {n} : l'exonération export (CGI 262 I) suppose une destination hors UE.",
    "INV-VAT-EXEMPT-EXPORT.services": "Ligne {n} : les services rendus à un client hors UE sont hors du champ "
    "de la TVA française (CGI 259-1).",
    "INV-VAT-EXEMPT-261": "Ligne {n} : citez l'alinéa de l'article 261 dans la note "
    "(« article 261 4 4° du CGI »).",
    "INV-INSURANCE": "Indiquez l'assurance professionnelle : assureur, coordonnées, couverture géographique.",
    "INV-OGA": "Adhérent d'un centre de gestion agréé : les conditions ne doivent pas refuser les chèques.",
    "CN-REFERENCE": "L'avoir ne peut pas être émis pour cette facture.",
    "CN-REFERENCE.number": "Un avoir doit indiquer le numéro de la facture qu'il corrige.",
    "CN-REFERENCE.date": "Un avoir doit indiquer la date de la facture qu'il corrige.",
    "CN-REFERENCE.kind": "Un avoir corrige une facture émise, pas un brouillon ni un autre avoir.",
    "CN-REFERENCE.wrong-number": "La facture corrigée porte le numéro {number}.",
    "CN-REFERENCE.wrong-date": "La facture corrigée est datée du {date}.",
    "CN-REFERENCE.parties": "Un avoir est établi entre le vendeur et l'acheteur de la facture corrigée.",
    "CN-REFERENCE.currency": "La facture corrigée est en {currency}.",
    "CN-REFERENCE.rate": "Ligne {n} : la facture corrigée n'a aucune ligne à ce taux de TVA.",
    "CN-REFERENCE.amount": "L'avoir ({total}) dépasse ce qui reste à créditer sur {number} ({remaining}).",
    "DEP-FINAL.unknown": "{number} n'est pas une facture d'acompte de cette commande.",
    "DEP-FINAL.unreferenced": "La facture d'acompte {number} est déduite mais pas référencée.",
    "DEP-FINAL.undeducted": "La facture d'acompte {number} est référencée mais pas déduite.",
    "DEP-FINAL.missing": "La facture d'acompte {number} n'est ni déduite ni référencée.",
    "DEP-FINAL.amount": "La facture d'acompte {number} est déduite pour {deducted} au lieu de {expected} HT.",
    "QUO-VALIDITY": "La date de validité est antérieure à la date du devis.",
    "QUO-INSURANCE": "Les artisans indiquent aussi leur assurance professionnelle sur les devis "
    "(loi 96-603 art. 22-2).",
    "PAY-TERM-MAX": "L'échéance du {due_date} dépasse le délai de paiement légal (C. com. L441-10) : "
    "choisissez le {latest} au plus tard.",
}

#: Problems and errors of the use cases, forms and API, by code.
CODES_FR: dict[str, str] = {
    "INPUT-REQUIRED": "Ce champ est obligatoire.",
    "INPUT-TOO-LONG": "Ce texte est trop long.",
    "INPUT-NUMBER": "Saisissez un nombre (par exemple 1 234,56).",
    "INPUT-DATE": "Saisissez une date valide.",
    "INPUT-PLACES": "{places} décimales au plus.",
    "AMOUNT-TOO-LARGE": "Le montant est trop élevé (100 milliards d'euros au plus).",
    "INPUT-TYPE": "Cette valeur n'a pas le bon format.",
    "INPUT-CHOICE": "Choisissez une valeur de la liste.",
    "INPUT-INVALID": "Certaines informations sont à corriger.",
    "INPUT-CHARS": "Ce texte contient des caractères non autorisés.",
    "COMPANY-NAME": "La raison sociale est obligatoire (200 caractères au plus).",
    "COMPANY-EXISTS": "Une entreprise avec ce SIREN est déjà inscrite.",
    "COMPANY-NOT-FOUND": "Entreprise introuvable.",
    "PARTY-NAME": "Le nom est obligatoire (200 caractères au plus).",
    "PARTY-NOT-FOUND": "Client introuvable.",
    "SIREN-INVALID": "Ce SIREN n'est pas valide : 9 chiffres avec une clé de contrôle (Luhn).",
    "SIRET-INVALID": "Ce SIRET n'est pas valide (14 chiffres commençant par le SIREN).",
    "VAT-INVALID": "Ce numéro de TVA intracommunautaire n'est pas valide.",
    "IBAN-INVALID": "Cet IBAN n'est pas valide (vérifiez les chiffres et la clé).",
    "BIC-INVALID": "Ce BIC n'est pas valide (8 ou 11 caractères, par exemple BNPAFRPPXXX).",
    "EMAIL-INVALID": "Cette adresse e-mail n'est pas valide.",
    "PASSWORD-WEAK": "Le mot de passe doit contenir au moins 10 caractères.",
    "PASSWORD-LONG": "Le mot de passe est trop long (256 caractères au plus).",
    "PASSWORD-MISMATCH": "Les deux mots de passe ne sont pas identiques.",
    "USER-EXISTS": "Un compte existe déjà pour cette adresse e-mail.",
    "LOGIN-FAILED": "Adresse e-mail ou mot de passe incorrect.",
    "LOGIN-RATE-LIMITED": "Trop de tentatives : réessayez dans quelques minutes.",
    "RESET-TOKEN-INVALID": "Ce lien de réinitialisation n'est plus valable : demandez-en un nouveau.",
    "LINE-NEGATIVE-QUANTITY": "La quantité ne peut pas être négative.",
    "LINE-NEGATIVE-PRICE": "Le prix ne peut pas être négatif (faites un avoir).",
    "LINE-DISCOUNT-RANGE": "La remise doit être comprise entre 0 et 100 %.",
    "LINE-VAT-RANGE": "Le taux de TVA doit être compris entre 0 et 100 %.",
    "LINE-DESC-TOO-LONG": "La désignation est trop longue (5 000 caractères au plus).",
    "DOC-DISCOUNT-RANGE": "La remise doit être comprise entre 0 et 100 %.",
    "DOC-EUR-RATE": "Le taux de change en euros doit être positif.",
    "INVOICE-INVALID": "La facture contient des erreurs.",
    "INVOICE-NOT-COMPLIANT": "La facture ne peut pas être émise : des mentions obligatoires manquent.",
    "INVOICE-NOT-FOUND": "Facture introuvable.",
    "QUOTE-INVALID": "Le devis contient des erreurs.",
    "QUOTE-NOT-COMPLIANT": "Le devis ne peut pas être envoyé : des mentions manquent.",
    "QUOTE-NOT-FOUND": "Devis introuvable.",
    "QUOTE-DEPOSIT-DRAFT": "Une facture d'acompte de ce devis est encore en brouillon : émettez-la ou "
    "supprimez-la d'abord.",
    "DEPOSIT-PERCENT": "Le pourcentage d'acompte doit être compris entre 0 et 100 %.",
    "DEPOSIT-EXCEEDS-QUOTE": "Les acomptes dépasseraient le montant du devis.",
    "ITEM-INVALID": "L'article contient des erreurs.",
    "PAYMENT-AMOUNT": "Le montant du paiement doit être positif.",
    "LIFECYCLE-FORBIDDEN": "Cette action n'est pas possible dans l'état actuel du document.",
    "LIFECYCLE-TRANSITION": "Cette action n'est pas possible dans l'état actuel du document.",
    "NUM-PATTERN": "Le modèle de numérotation doit contenir {seq} une seule fois et l'année ({YYYY} ou {YY}).",
    "LOGO-INVALID": "Le logo doit être une image PNG ou JPEG d'au plus 1 Mo.",
    "LAST-OWNER": "L'entreprise doit garder au moins un propriétaire.",
    "MEMBER-EXISTS": "Cette personne a déjà accès à l'entreprise.",
    "ROLE-INVALID": "Choisissez un rôle de la liste.",
    "NOT-FOUND": "Page ou document introuvable.",
    "FORBIDDEN": "Vous n'avez pas accès à cette entreprise.",
    "FORBIDDEN-ROLE": "Votre rôle ne permet pas cette action.",
    "CSRF": "Votre session a expiré ou le formulaire est invalide : rechargez la page et recommencez.",
    "UNAUTHORIZED": "Authentification requise.",
    "PDF-UNAVAILABLE": "La génération des PDF n'est pas encore disponible sur ce serveur.",
    "PDF-RENDER": "Le PDF n'a pas pu être produit.",
    "TOO-LARGE": "La requête est trop volumineuse.",
    "ENCAISSE-ERROR": "L'opération n'a pas pu aboutir.",
    # cash forecast page and reminders page (issues 6 and 7)
    "SCENARIO-EMPTY": "Renseignez au moins une hypothèse : retard d'un client, embauche, achat ou cession Dailly.",
    "SCENARIO-DAYS": "Indiquez un retard en jours, entre 1 et 365.",
    "SCENARIO-AMOUNT": "Saisissez un montant positif (100 millions d'euros au plus).",
    "SCENARIO-DATE": "Choisissez une date entre aujourd'hui et dans un an.",
    "SCENARIO-PARTIAL": "Complétez le montant et la date de cette hypothèse.",
    "THRESHOLD-RANGE": "Le seuil doit être compris entre 0 et 100 millions d'euros.",
    "MAIL-NO-ADDRESS": "Le client n'a pas d'adresse e-mail : saisissez-en une.",
    "MAIL-NOT-SENDABLE": "Un brouillon ou une facture annulée ne peut pas être envoyé.",
    "MAIL-ADDRESS": "Saisissez une seule adresse e-mail valide.",
    "PAYLINK-SECRET": "Le serveur n'a pas de clé secrète (ENCAISSE_SECRET_KEY) pour signer les liens de paiement.",
}

GENERIC_FR = "Valeur à corriger ({code})."


class _Default(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt_arg(value: object) -> object:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def _fill(template: str, args: dict[str, object]) -> str:
    if "{" not in template:
        return template
    values = _Default({k: _fmt_arg(v) for k, v in args.items()})
    return string.Formatter().vformat(template, (), values)


def problem_fr(problem: Problem) -> str:
    """The French sentence of one problem (by compliance key, then by code)."""
    key = str(problem.args.get("key", ""))
    if key in COMPLIANCE_FR:
        return _fill(COMPLIANCE_FR[key], dict(problem.args))
    if problem.code in COMPLIANCE_FR:
        return _fill(COMPLIANCE_FR[problem.code], dict(problem.args))
    if problem.code in CODES_FR:
        return _fill(CODES_FR[problem.code], dict(problem.args))
    return GENERIC_FR.format(code=problem.code)


def code_fr(code: str) -> str:
    """The French sentence of an error code (a whole failed action)."""
    if code in CODES_FR:
        return CODES_FR[code]
    if code in COMPLIANCE_FR:
        return COMPLIANCE_FR[code]
    return GENERIC_FR.format(code=code)


#: Bank statements, reconciliation and the supplier inbox (pages Banque, Rapprochement, Fournisseurs).
CODES_FR.update(
    {
        "BANK-FILE-UNKNOWN-FORMAT": "Format de fichier non reconnu : importez un relevé CAMT.053 ou CAMT.054 "
        "(XML), OFX, MT940, CFONB 120 ou CSV exporté par votre banque.",
        "BANK-FILE-EMPTY": "Le fichier du relevé est vide.",
        "BANK-FEED-AUTH": "La connexion au service d'agrégation bancaire est refusée : vérifiez ses identifiants "
        "(ENCAISSE_GOCARDLESS_SECRET_ID et ENCAISSE_GOCARDLESS_SECRET_KEY).",
        "BANK-FEED-CONSENT": "Votre accord pour lire ce compte n'a pas été donné ou a expiré : connectez de nouveau "
        "le compte depuis la page Banque.",
        "BANK-FEED-RATE-LIMIT": "La banque limite le nombre de lectures par jour : réessayez plus tard.",
        "BANK-FEED-UNAVAILABLE": "Le service d'agrégation bancaire ne répond pas : réessayez dans quelques minutes.",
        "BANK-FEED-DATA": "La banque a transmis des données illisibles : rien n'a été importé.",
        "BANK-FEED-INSTITUTION": "Indiquez la banque à connecter (identifiant de l'établissement).",
        "BANK-FEED-UNKNOWN-REFERENCE": "Cette autorisation bancaire est inconnue ou a déjà été utilisée.",
        "BANK-FEED-DAYS": "La période de lecture doit être comprise entre 1 et 730 jours.",
        "BANK-FILE-TOO-LARGE": "Le fichier du relevé est trop volumineux (50 Mo au plus).",
        "BANK-CAMT-INVALID": "Le relevé CAMT est mal formé.",
        "BANK-CAMT-SCHEMA": "Le relevé CAMT est incomplet : une information obligatoire manque.",
        "BANK-CAMT-UNSUPPORTED": "Ce fichier XML n'est pas un relevé CAMT.053 ou CAMT.054.",
        "BANK-CAMT-AMOUNT-DECIMALS": "Un montant du relevé a plus de 2 décimales ; il est conservé tel quel.",
        "BANK-CAMT-ENTRY-NOT-BOOKED": "Des écritures non comptabilisées par la banque ont été ignorées.",
        "BANK-CAMT-BATCH-NOT-SPLIT": "Un lot de virements a été gardé en une seule opération.",
        "BANK-OFX-INVALID": "Le relevé OFX est mal formé.",
        "BANK-OFX-NO-CURRENCY": "Le relevé OFX n'indique pas sa devise : l'euro est retenu.",
        "BANK-OFX-NO-TRANSACTION-LIST": "Un compte du relevé OFX ne contient aucune liste d'opérations.",
        "BANK-OFX-NONCONFORMANT": "Le relevé OFX ne respecte pas toute la norme ; il a pu être lu quand même.",
        "BANK-MT940-INVALID": "Le relevé MT940 est mal formé.",
        "BANK-CFONB-INVALID": "Le relevé CFONB 120 est mal formé.",
        "BANK-CFONB-NO-BALANCE": "Le relevé CFONB 120 ne donne pas de solde : le solde du compte n'est pas "
        "mis à jour.",
        "BANK-CSV-ENCODING": "L'encodage du fichier CSV n'est pas reconnu : exportez-le en UTF-8 ou en "
        "Windows-1252.",
        "BANK-CSV-INVALID": "Le fichier CSV est mal formé.",
        "BANK-CSV-UNKNOWN-LAYOUT": "Les colonnes de ce fichier CSV ne correspondent à aucun export bancaire "
        "connu.",
        "BANK-NO-ACCOUNT": "Ce fichier ne précise pas son compte : indiquez l'IBAN du compte dans le formulaire.",
        "BANK-WRONG-ACCOUNT": "Ce relevé concerne un autre compte que l'IBAN indiqué.",
        "BANK-BALANCE-MISMATCH": "Les soldes d'ouverture et de clôture du relevé ne correspondent pas à la "
        "somme des opérations : vérifiez qu'il est complet.",
        "BANK-DUPLICATE-REFERENCE": "Deux opérations du relevé portent la même référence bancaire sur le même "
        "compte.",
        "BANK-TX-NOT-FOUND": "Opération bancaire introuvable.",
        "ALLOCATION-NOT-FOUND": "Rapprochement introuvable.",
        "PROPOSAL-NOT-FOUND": "Proposition introuvable.",
        "MATCH-OVER-ALLOCATED": "La somme des montants dépasse ce qui reste à rapprocher sur l'opération.",
        "MATCH-INVOICE-CLOSED": "Cette facture ne peut plus recevoir de paiement (payée, annulée ou brouillon).",
        "MATCH-DEBIT": "Seul un encaissement (crédit) peut régler une facture client.",
        "MATCH-NOTHING-TO-LEARN": "Le libellé de cette opération ne permet pas de reconnaître le payeur.",
        "MATCH-EMPTY": "Saisissez le montant à rapprocher sur au moins une facture.",
        "MATCH-AMOUNT": "Le montant doit être positif.",
        "MATCH-OVER-DUE": "Le montant dépasse le reste dû de la facture.",
        "PROPOSAL-DONE": "Cette proposition a déjà été traitée.",
        "RULE-NO-WORDS": "Le libellé ne contient aucun mot stable pour créer une règle : l'opération est "
        "catégorisée sans règle.",
        "CATEGORY-INVALID": "Choisissez une catégorie de la liste.",
        "INBOX-INVALID": "La facture électronique n'est pas conforme à la norme EN 16931 : elle n'a pas été "
        "enregistrée.",
        "INBOX-NOT-AN-INVOICE": "Ce fichier n'est pas une facture électronique EN 16931 (Factur-X, CII ou UBL).",
        "INBOX-NOT-PDF-OR-XML": "Ce fichier n'est ni un PDF Factur-X ni un XML CII ou UBL.",
        "INBOX-PDF-INVALID": "Le PDF est illisible.",
        "INBOX-PDF-NO-XML": "Ce PDF ne contient pas de facture électronique (pas de XML Factur-X joint) : "
        "demandez une facture Factur-X à votre fournisseur.",
        "INBOX-PDF-TRUNCATED": "Le PDF est incomplet (fichier coupé) : demandez-le à nouveau.",
        "INBOX-TOO-LARGE": "Le fichier est trop volumineux.",
        "INBOX-XML-INVALID": "Le XML de la facture est mal formé.",
        "INBOX-XML-UNSAFE": "Le XML de la facture contient des constructions interdites (entités, DTD) : "
        "refusé par sécurité.",
        "INBOX-AMOUNT-INVALID": "Un montant de la facture est illisible.",
        "INBOX-DATE-INVALID": "Une date de la facture est illisible.",
        "INBOX-ORIGINAL-ALTERED": "Le fichier original enregistré ne correspond plus à son empreinte.",
        "RECEIVED-NOT-FOUND": "Facture fournisseur introuvable.",
        "UPLOAD-MISSING": "Choisissez le fichier à importer.",
        "UPLOAD-EMPTY": "Le fichier envoyé est vide.",
    }
)
