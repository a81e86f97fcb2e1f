"""Staff decisions on what the debtor asked for, one module per kind: plans, discounts, payment
claims, disputes (and pauses of the cadence); common.py holds what they share. The staff chat
(bot/handlers/staff_buttons.py, staff_commands.py) only maps buttons and commands to them."""
