"""The early-payment / settlement discount: the offer's maths and the conversation.

The discount is `percent` of the open balance, rounded half-up to the cent with Decimal; the
debtor pays the balance minus that, by `valid_until` (today + the policy's valid_days,
moved to the next business day when the company does not work then). Above the
policy's threshold (on the balance) the offer goes to staff before any link is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.flows import options as opt
from bot.flows.context import FlowContext, Outcome, ReplySpec, same_day
from bot.flows.effects import ALERT_DISCOUNT_APPROVAL, PAY_DISCOUNT, AlertStaff, MakePayLink
from bot.flows.options import Choice
from bot.flows.stages import MENU, At, Data, Stage, go, say
from bot.policy import Policy


@dataclass(frozen=True)
class Offer:
    amount_cents: int  # what the debtor pays: the balance minus the discount
    percent: Decimal
    valid_until: dt.date
    needs_staff: bool
    discount_cents: int  # what the debtor saves
    balance_cents: int


def discount_cents(balance_cents: int, percent: Decimal) -> int:
    """`percent` of the balance in whole cents, half-up: 2% of 1234.56 EUR -> 24.69 EUR."""
    exact = Decimal(balance_cents) * Decimal(percent) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def discount_offer(
    balance_cents: int,
    today: dt.date,
    policy: Policy,
    business_day: Callable[[dt.date], dt.date] = same_day,
) -> Offer | None:
    """The offer for this balance today; None when the policy has no discount or nothing is due.
    The offer runs `valid_days`, to a business day (`business_day`) the debtor can pay on."""
    rules = policy.discount
    if rules is None or balance_cents <= 0:
        return None
    saved = discount_cents(balance_cents, rules.percent)
    return Offer(
        amount_cents=balance_cents - saved,
        percent=rules.percent,
        valid_until=business_day(today + dt.timedelta(days=rules.valid_days)),
        needs_staff=balance_cents > rules.staff_approval_above_cents,
        discount_cents=saved,
        balance_cents=balance_cents,
    )


def offered(ctx: FlowContext) -> Offer | None:
    """The offer in this conversation: only where the reminder's step offers the discount."""
    if not ctx.discount_offered:
        return None
    return discount_offer(ctx.balance_cents, ctx.today, ctx.policy, ctx.business_day)


# The conversation ---------------------------------------------------------------------------
# discount.offer  "X% off if paid by <date>": accept -> MakePayLink (or staff first), back


def _offer_context(offer: Offer, ctx: FlowContext) -> dict[str, object]:
    return {
        "percent": f"{offer.percent.normalize():f}",
        "amount_cents": offer.amount_cents,
        "discount_cents": offer.discount_cents,
        "balance_cents": offer.balance_cents,
        "valid_until": offer.valid_until,
        "currency": ctx.currency,
    }


def enter(ctx: FlowContext) -> Outcome:
    if offered(ctx) is None:
        return go(MENU, before=[say("flows/discount/not_available.txt")])
    return go(At.DISCOUNT)


def _options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (opt.option(opt.ACCEPT), opt.option(opt.BACK))


def _prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    offer = offered(ctx)
    if offer is None:
        return say("flows/discount/not_available.txt", _options(data, ctx))
    return say("flows/discount/offer.txt", _options(data, ctx), **_offer_context(offer, ctx))


def _choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(MENU)
    if key != opt.ACCEPT:
        return None
    offer = offered(ctx)
    if offer is None:
        return go(MENU, before=[say("flows/discount/not_available.txt")])
    context = _offer_context(offer, ctx)
    if offer.needs_staff:
        alert = AlertStaff(
            ALERT_DISCOUNT_APPROVAL,
            {
                "balance_cents": offer.balance_cents,
                "amount_cents": offer.amount_cents,
                "discount_cents": offer.discount_cents,
                "percent": context["percent"],
                "valid_until": offer.valid_until.isoformat(),
                "currency": ctx.currency,
            },
        )
        waiting = say("flows/discount/sent_to_staff.txt", **context)
        return go(MENU, before=[waiting], effects=[alert], prompt=False)
    link = MakePayLink(PAY_DISCOUNT, offer.amount_cents, offer.valid_until)
    reply = say("flows/discount/link.txt", fills=("pay_url",), **context)
    return go(MENU, before=[reply], effects=[link], prompt=False)


# The stage this module handles; where it may lead is declared in bot/flows/graph.py.
OFFER = Stage(At.DISCOUNT, _options, _prompt, _choose)
