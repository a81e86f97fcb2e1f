"""The columns each import file may have, and every alias accepted for them: the one alias table.

Headers are compared after `header_key`: lower case, accents dropped, every run of other
characters turned into "_", so "Partita IVA", "partita_iva" and "PARTITA-IVA" are the same
header, and so are "P.IVA" and "p_iva".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.models import InvoiceStatus


@dataclass(frozen=True)
class Column:
    name: str  # the canonical English header, also the key the validators use
    required: bool = False
    aliases: tuple[str, ...] = ()

    def header_keys(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


DEBTOR_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_ref",
        required=True,
        aliases=("customer_ref", "customer_code", "codice_cliente", "cod_cliente", "codice"),
    ),
    Column("name", required=True, aliases=("company", "ragione_sociale", "denominazione")),
    Column("vat_number", aliases=("vat", "partita_iva", "p_iva", "piva")),
    Column("tax_code", aliases=("fiscal_code", "codice_fiscale", "cf")),
    Column("language", aliases=("lang", "lingua")),
    Column("timezone", aliases=("time_zone", "tz", "fuso_orario")),
    Column("credit_limit", aliases=("fido", "limite_credito", "limite_di_credito")),
    Column("email", aliases=("e_mail", "mail", "indirizzo_email")),
    Column("pec", aliases=("email_pec", "indirizzo_pec", "posta_certificata")),
    Column("phone", aliases=("mobile", "telefono", "cellulare", "tel")),
    Column("whatsapp", aliases=("whats_app",)),
    Column("notes", aliases=("note", "annotazioni")),
    # Consent (bot/policy.py [consent]): when and how each address's owner agreed to be written
    # to there. WhatsApp needs one always; SMS (phone) and e-mail when the lawful basis is consent.
    *(
        column
        for prefix, italian in (("whatsapp", "whatsapp"), ("phone", "telefono"), ("email", "email"))
        for column in (
            Column(f"{prefix}_opt_in_date", aliases=(f"consenso_{italian}_data",)),
            Column(f"{prefix}_opt_in_source", aliases=(f"consenso_{italian}_fonte",)),
        )
    ),
    # business or consumer; without the column a VAT number means a business (docs/interest.md).
    Column("kind", aliases=("tipo", "debtor_kind", "tipo_cliente", "natura")),
)

INVOICE_COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        required=True,
        aliases=("invoice_number", "numero", "numero_fattura", "n_fattura", "num_fattura"),
    ),
    Column(
        "debtor_ref",
        required=True,
        aliases=("external_ref", "customer_ref", "codice_cliente", "cod_cliente"),
    ),
    Column(
        "issue_date",
        required=True,
        aliases=("invoice_date", "data_emissione", "data_fattura", "data_documento"),
    ),
    # Without a due date an invoice falls due the policy's payment_terms_days after its issue.
    Column("due_date", aliases=("scadenza", "data_scadenza")),
    Column("amount", required=True, aliases=("total", "importo", "totale", "importo_totale")),
    Column("paid_amount", aliases=("paid", "pagato", "importo_pagato", "incassato")),
    Column("currency", aliases=("valuta", "divisa")),
    Column("description", aliases=("descrizione", "causale", "oggetto")),
    Column("status", aliases=("stato",)),
    # A credit note's row: the invoice number it reduces (docs/fatturapa.md, credit notes).
    Column(
        "credit_note_for",
        aliases=("nota_di_credito_per", "nota_credito_per", "fattura_collegata", "rif_fattura"),
    ),
)

# Columns people expect but the import deliberately refuses, with the reason it gives.
REFUSED_COLUMNS: dict[str, str] = {
    "telegram": (
        "Telegram chats are not imported: a debtor links their chat through the signed "
        "invitation link (python -m bot link REF), so no one can tie a stranger's chat to a debtor"
    ),
}

# Invoice status values: the English names of InvoiceStatus and the Italian words for them.
STATUS_ALIASES: dict[str, InvoiceStatus] = {
    **{status.value: status for status in InvoiceStatus},
    "aperta": InvoiceStatus.OPEN,
    "da_pagare": InvoiceStatus.OPEN,
    "parzialmente_pagata": InvoiceStatus.PARTIALLY_PAID,
    "pagata": InvoiceStatus.PAID,
    "saldata": InvoiceStatus.PAID,
    "contestata": InvoiceStatus.DISPUTED,
    "rateizzata": InvoiceStatus.IN_PLAN,
    "in_piano": InvoiceStatus.IN_PLAN,
    "annullata": InvoiceStatus.CANCELLED,
    "stornata": InvoiceStatus.CANCELLED,
    "stralciata": InvoiceStatus.WRITTEN_OFF,
    "passata_a_perdita": InvoiceStatus.WRITTEN_OFF,
}

# Debtor kinds: business or consumer, in English and Italian.
KIND_ALIASES: dict[str, str] = {
    "business": "business",
    "company": "business",
    "b2b": "business",
    "azienda": "business",
    "impresa": "business",
    "professionista": "business",
    "consumer": "consumer",
    "private": "consumer",
    "b2c": "consumer",
    "consumatore": "consumer",
    "privato": "consumer",
}

# Language values: the codes the product speaks, and their names in both languages.
LANGUAGE_ALIASES: dict[str, str] = {
    "it": "it",
    "ita": "it",
    "italiano": "it",
    "italian": "it",
    "en": "en",
    "eng": "en",
    "english": "en",
    "inglese": "en",
}


def header_key(text: str) -> str:
    """'Partita IVA' -> 'partita_iva'; 'Data Emissione' -> 'data_emissione'; 'P.IVA' -> 'p_iva'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "_", ascii_only.lower()).strip("_")


def alias_index(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Every accepted header key -> its column. Raises if the table above gives a key twice."""
    index: dict[str, Column] = {}
    for column in columns:
        for key in column.header_keys():
            if key in index:
                raise RuntimeError(f"header alias {key!r} is given twice")
            index[key] = column
    return index
