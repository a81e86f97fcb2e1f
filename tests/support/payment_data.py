"""Builders shared by the payment tests: debtors, invoices, plans, and our app's pay routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette

from bot.config import Settings
from bot.handlers import pay
from bot.models import (
    Debtor,
    Instalment,
    Invoice,
    InvoiceStatus,
    Message,
    PaymentPlan,
    PlanStatus,
)
from bot.policy import load_policy
from bot.providers.stripe import webhook as stripe
from bot.runtime import Runtime

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


async def make_debtor(
    ref: str = "C001", name: str = "Rossi S.r.l.", language: str = "it"
) -> Debtor:
    return await Debtor.create(external_ref=ref, name=name, language=language)


async def make_invoice(
    debtor: Debtor, number: str, cents: int, *, days_overdue: int = 10, **fields: object
) -> Invoice:
    due = TODAY - dt.timedelta(days=days_overdue)
    return await Invoice.create(
        number=number,
        debtor=debtor,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        amount_cents=cents,
        **fields,
    )


async def make_plan(
    debtor: Debtor, invoices: Sequence[Invoice], amounts: Sequence[int]
) -> tuple[PaymentPlan, list[Instalment]]:
    for invoice in invoices:
        invoice.status = InvoiceStatus.IN_PLAN
        await invoice.save()
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.ACTIVE,
        total_cents=sum(amounts),
        instalment_count=len(amounts),
        first_due_date=TODAY,
        invoice_ids=[invoice.id for invoice in invoices],
    )
    instalments = [
        await Instalment.create(
            plan=plan, seq=seq, due_date=TODAY + dt.timedelta(days=30 * (seq - 1)), amount_cents=a
        )
        for seq, a in enumerate(amounts, start=1)
    ]
    return plan, instalments


def local(settings: Settings) -> Settings:
    """A local instance (no PUBLIC_BASE_URL): where the pay page offers the sandbox checkout."""
    return settings.model_copy(update={"public_base_url": ""})


def make_runtime(settings: Settings) -> Runtime:
    return Runtime(settings=settings, policy=load_policy(settings.policy_file), now=lambda: NOW)


@asynccontextmanager
async def pay_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """Our pay pages and Stripe webhook, served in-process, with their shutdown hooks run."""
    parts = [pay.web_part(runtime), stripe.web_part(runtime)]
    app = Starlette(routes=[route for part in parts for route in part.routes])
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="https://sollecito.example"
        ) as client:
            yield client
    finally:
        for part in parts:
            for hook in part.on_shutdown:
                await hook()


async def messages(template: str) -> list[Message]:
    return await Message.filter(template=template).order_by("id")


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]
