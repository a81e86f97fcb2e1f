"""PEC (posta elettronica certificata) receipts: the mailbox read over IMAP (imap.py), the receipts
recognised and recorded (bot/escalation/pec_receipts.py), and a local IMAP server with receipts
built to the published format for the demo and the tests (local_imap.py, sample_receipts.py)."""
