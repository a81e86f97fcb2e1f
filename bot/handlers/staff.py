"""The staff chat (the Telegram group TELEGRAM_STAFF_CHAT_ID): its handlers, registered together.

Registered on the Application in group -1, ahead of the debtor handlers, and every update from the
staff chat ends with ApplicationHandlerStop: a staff press or message never reaches a debtor flow.
The buttons are in staff_buttons.py, the commands and replies in staff_commands.py, what they
share in staff_chat.py; the decisions themselves in bot/decisions/.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.charts import warm_up
from bot.handlers.staff_bank import BUTTON_PATTERN, StaffBank
from bot.handlers.staff_buttons import StaffButtons
from bot.handlers.staff_charts import StaffCharts
from bot.handlers.staff_commands import StaffCommands
from bot.handlers.staff_manual import StaffManual
from bot.runtime import Runtime

STAFF_GROUP = -1  # before the debtor handlers (group 0)


def register(application: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime) -> None:
    """Add the staff chat's handlers (no-op without TELEGRAM_STAFF_CHAT_ID)."""
    chat_id = runtime.settings.telegram_staff_chat_id
    if chat_id is None:
        return
    buttons = StaffButtons(runtime)
    staff = StaffCommands(runtime)
    in_staff_chat = filters.Chat(chat_id=chat_id)
    commands = {
        "overdue": staff.on_overdue,
        "debtor": staff.on_debtor,
        "pause": staff.on_pause,
        "resume": staff.on_resume,
        "plan": staff.on_plan,
        "done": staff.on_done,
        "credit": staff.on_credit,
        "handoff": staff.on_handoff,
    }
    bank = StaffBank(runtime)
    commands["assign"] = bank.on_assign
    charts = StaffCharts(runtime)
    warm_up()  # matplotlib's import now, not on the first /aging
    commands.update(aging=charts.on_aging, cashflow=charts.on_cashflow, dso=charts.on_dso)
    manual = StaffManual(runtime)
    commands.update(paid=manual.on_paid, writeoff=manual.on_writeoff)
    handlers = [
        CallbackQueryHandler(bank.on_assign_button, pattern=BUTTON_PATTERN),
        CallbackQueryHandler(buttons.on_button),
        *(
            CommandHandler(name, callback, filters=in_staff_chat)
            for name, callback in commands.items()
        ),
        MessageHandler(in_staff_chat & filters.REPLY & ~filters.COMMAND, staff.on_reply),
        MessageHandler(in_staff_chat, staff.on_other),
    ]
    application.add_handlers(handlers, group=STAFF_GROUP)
