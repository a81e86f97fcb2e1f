"""Formal escalation: what a late debtor owes beyond the principal (interest, the €40), the formal
notice (diffida) approved by staff and sent by PEC, its receipts, the case's evidence, and the
hand-off to a collector. See docs/escalation.md."""
