"""The issue-14 simulation: a population of debtors driven through the real product on an
accelerated clock (world.py), what the sandbox senders recorded (senders.py), and the audit of
every text sent (audit.py, over plain data; textparse.py reads amounts, numbers and dates)."""
