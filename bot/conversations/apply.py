"""Applying what a conversation step asked for (bot/flows/effects.py) to the database.

The engine calls `apply_effects` inside the transaction that also stores the new conversation
state, so a step's effects and its state are saved together or not at all. Whatever the debtor
must read that only an effect can produce (the payment link's URL) comes back in `Applied.filled`;
messages an effect adds (the first instalment's link of a plan approved at once) come back in
`Applied.replies`. Plans and discounts are applied in apply_plans.py, payment claims and disputes
in apply_claims.py; the effects on people (a hand-off, a relayed message, an opt-out) here.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.conversations.apply_claims import claim_paid, open_dispute
from bot.conversations.apply_plans import answer_counter, discount_request, request_plan
from bot.conversations.apply_statement import send_statement
from bot.conversations.exchange import (
    CONVERSATION_FAILED,
    HANDOFF,
    OPTED_OUT_EVERYWHERE,
    RELAY,
    WORDS,
    Applied,
    Exchange,
    alert,
    attachment_summary,
    audit,
)
from bot.flows.effects import (
    ALERT_DISCOUNT_APPROVAL,
    ALERT_FAILED,
    ALERT_RELAY,
    ALERT_WORDS,
    PAY_DISCOUNT,
    AlertStaff,
    AnswerCounter,
    ClaimPaid,
    HandOff,
    MakePayLink,
    OpenDispute,
    OptOut,
    RecordPromise,
    RequestPlan,
    SendStatement,
)
from bot.models import ContactPoint, PromiseStatus, PromiseToPay
from bot.payments.links import make_pay_link

log = logging.getLogger(__name__)


async def apply_effects(exchange: Exchange, effects: list[Any]) -> Applied:
    applied = Applied()
    for effect in effects:
        match effect:
            case MakePayLink():
                applied.filled["pay_url"] = await _pay_link(exchange, effect)
            case RequestPlan():
                applied.replies.extend(await request_plan(exchange, effect))
            case AnswerCounter():
                applied.replies.extend(await answer_counter(exchange, effect))
            case RecordPromise():
                await _record_promise(exchange, effect)
            case ClaimPaid():
                await claim_paid(exchange, effect)
            case OpenDispute():
                await open_dispute(exchange, effect)
            case SendStatement():
                await send_statement(exchange, applied)
            case HandOff():
                await _hand_off(exchange)
            case OptOut():
                await _opt_out(exchange)
            case AlertStaff(kind=kind) if kind == ALERT_DISCOUNT_APPROVAL:
                await discount_request(exchange, effect)
            case AlertStaff(kind=kind) if kind == ALERT_RELAY:
                await _relay(exchange, effect)
            case AlertStaff(kind=kind) if kind == ALERT_WORDS:
                await _words(exchange, effect)
            case AlertStaff(kind=kind) if kind == ALERT_FAILED:
                text = str(effect.data.get("text", ""))
                await alert(exchange, CONVERSATION_FAILED, text=text)
            case _:
                raise ValueError(f"unknown effect {effect!r}")
    return applied


# --- payment links and promises ----------------------------------------------------------


async def _pay_link(exchange: Exchange, effect: MakePayLink) -> str:
    settings = exchange.runtime.settings
    if effect.purpose == PAY_DISCOUNT:
        url = await make_pay_link(
            settings,
            exchange.debtor,
            "discount",
            invoice_ids=exchange.invoice_ids,
            amount_cents=effect.amount_cents,
            valid_until=effect.valid_until,
        )
    else:
        url = await make_pay_link(
            settings, exchange.debtor, "balance", invoice_ids=exchange.invoice_ids
        )
    await audit(
        exchange,
        "flow.pay_link",
        f"debtor:{exchange.debtor.id}",
        purpose=effect.purpose,
        amount_cents=effect.amount_cents,
        valid_until=effect.valid_until.isoformat() if effect.valid_until else None,
    )
    return url


async def _record_promise(exchange: Exchange, effect: RecordPromise) -> None:
    # A new promise replaces one still pending: the debtor moved the date.
    await PromiseToPay.filter(debtor_id=exchange.debtor.id, status=PromiseStatus.PENDING).update(
        status=PromiseStatus.CANCELLED
    )
    promise = await PromiseToPay.create(
        debtor=exchange.debtor,
        promised_date=effect.date,
        amount_cents=effect.amount_cents,
        invoice_ids=exchange.invoice_ids,
    )
    await audit(
        exchange, "flow.promise", f"promise:{promise.id}", promised_date=effect.date.isoformat()
    )


# --- people --------------------------------------------------------------------------------------


async def _hand_off(exchange: Exchange) -> None:
    await alert(
        exchange,
        HANDOFF,
        total_cents=exchange.ctx.balance_cents,
        currency=exchange.ctx.currency,
    )
    await audit(exchange, "flow.handoff", f"debtor:{exchange.debtor.id}")


async def _relay(exchange: Exchange, effect: AlertStaff) -> None:
    attachments = tuple(a for a in effect.data.get("attachments", ()) if isinstance(a, dict))
    await alert(
        exchange,
        RELAY,
        text=str(effect.data.get("text", "")),
        attachments=attachment_summary(attachments),
    )
    await audit(exchange, "flow.relay", f"debtor:{exchange.debtor.id}")


async def _words(exchange: Exchange, effect: AlertStaff) -> None:
    """Staff hear at once of abuse, a wrong address or a partial payment said in words."""
    reason = str(effect.data.get("reason", ""))
    await alert(exchange, WORDS, reason=reason, text=str(effect.data.get("text", "")))
    await audit(exchange, f"flow.words.{reason}", f"debtor:{exchange.debtor.id}")


async def _opt_out(exchange: Exchange) -> None:
    point_id = exchange.message.contact_point_id  # type: ignore[attr-defined]
    if point_id is None:
        return
    await ContactPoint.filter(id=point_id).update(opted_out_at=exchange.now)
    reachable = await ContactPoint.filter(
        debtor_id=exchange.debtor.id, opted_out_at__isnull=True, unreachable_at__isnull=True
    ).count()
    await audit(exchange, "flow.opt_out", f"contact_point:{point_id}", reachable_left=reachable)
    if reachable == 0:
        await alert(
            exchange,
            OPTED_OUT_EVERYWHERE,
            total_cents=exchange.ctx.balance_cents,
            currency=exchange.ctx.currency,
        )
