"""The registry: a debtor's whole timeline in one place (/debtor, `python -m bot history`), the
statement of account a debtor asks for in the chat, and the privacy export and erasure."""
