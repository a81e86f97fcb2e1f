"""The statement of account a debtor asked for (bot/flows/effects.py `SendStatement`): its
figures for the reply's text and, on a channel that carries files, its PDF attached to it.

Telegram sends the PDF as a document with the text; e-mail as an attachment. SMS cannot carry a
file and WhatsApp through Twilio needs it at a public URL (both senders refuse attachments), so
there the text goes alone and does not mention a PDF.
"""

from __future__ import annotations

from bot.conversations.exchange import Applied, Exchange, audit
from bot.models import Channel
from bot.registry.loading import load_statement
from bot.registry.statement_pdf import statement_attachment

STATEMENT_TEMPLATE = "flows/statement/text.txt"
# The channels whose senders carry a file (bot/providers/telegram/sender.py, email/sender.py).
CARRIES_FILES = frozenset({Channel.TELEGRAM, Channel.EMAIL})


async def send_statement(exchange: Exchange, applied: Applied) -> None:
    statement = await load_statement(exchange.debtor, exchange.ctx.today)
    pdf = exchange.message.channel in CARRIES_FILES
    applied.filled["statement"] = statement.as_context()
    applied.filled["pdf"] = pdf
    if pdf:
        company = exchange.runtime.settings.company_name
        attachment = statement_attachment(statement, exchange.ctx.language, company)
        applied.attachments[STATEMENT_TEMPLATE] = (attachment,)
    await audit(
        exchange,
        "flow.statement",
        f"debtor:{exchange.debtor.id}",
        open_items=len(statement.items),
        total_cents=statement.total_cents,
        pdf=pdf,
    )
