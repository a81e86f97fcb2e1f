"""Which format a bank statement is in, told by its content (never by the file's name), and
the reader for it: ISO 20022 camt (bot/payments/bank_camt.py), CBI RH
(bot/payments/bank_cbi.py), or the home-banking CSV (bot/payments/bank_csv.py)."""

from __future__ import annotations

from bot.payments.bank_camt import looks_like_camt, read_camt
from bot.payments.bank_cbi import looks_like_cbi, read_cbi
from bot.payments.bank_csv import BankFile, BankFileError, read_bank_csv


def detect(raw: bytes) -> str:
    """ "camt", "cbi" or "csv"."""
    if looks_like_camt(raw):
        return "camt"
    if looks_like_cbi(raw):
        return "cbi"
    return "csv"


def read_statement(raw: bytes, name: str = "") -> BankFile:
    """The statement's lines; BankFileError saying where and why when the file is malformed."""
    if not raw.strip():
        raise BankFileError(f"{name or 'statement'}: the file is empty")
    kind = detect(raw)
    if kind == "camt":
        return read_camt(raw, name)
    if kind == "cbi":
        return read_cbi(raw, name)
    return read_bank_csv(raw)
