"""Shared builders for the pure conversation tests: a policy, a debtor's context, a driver."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.conversations.replies import label_words, render_reply
from bot.flows.context import FlowContext, Input, OpenInvoice, Outcome
from bot.flows.states import initial_state, step
from bot.payments.bank import BankTransfer
from bot.policy import Policy, load_policy
from bot.registry.statement import statement

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)  # a Monday
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
# What the engine fills in after applying the effects: a pay link's URL, the statement asked for
# (here one with nothing open and nothing received: the pure tests hold no payments).
FILLED = {
    "pay_url": "https://sollecito.example/pay/TESTTOKEN",
    "statement": statement(
        "Debitore", "REF", [], [], [], today=TODAY, zone="Europe/Rome"
    ).as_context(),
    "pdf": False,
}


def policy(**instalments: Any) -> Policy:
    base = load_policy(ROOT / "policy.toml")
    if instalments:
        base = base.model_copy(
            update={"instalments": base.instalments.model_copy(update=instalments)}
        )
    return base


def context(
    invoices: tuple[OpenInvoice, ...] | None = None,
    *,
    language: str = "it",
    rules: Policy | None = None,
    discount_offered: bool = False,
    bank: BankTransfer | None = None,
    now: dt.datetime = NOW,
) -> FlowContext:
    if invoices is None:
        invoices = (
            OpenInvoice("FT-2026-101", 120_000, dt.date(2026, 10, 31)),
            OpenInvoice("FT-2026-117", 30_050, dt.date(2026, 11, 15)),
        )
    return FlowContext(
        language=language,
        invoices=invoices,
        policy=rules or policy(),
        today=now.date(),
        now=now,
        discount_offered=discount_offered,
        bank=bank,
        label_words=label_words(language),
    )


def texts(outcome: Outcome, language: str) -> list[str]:
    # babel puts no-break spaces in amounts ("500,00\xa0€"); tests compare with plain spaces.
    return [render_reply(reply, language, FILLED).replace("\xa0", " ") for reply in outcome.replies]


@dataclass
class Chat:
    """Drives one debtor's conversation step by step, keeping the state like the engine would."""

    ctx: FlowContext
    state: dict[str, Any] = field(default_factory=initial_state)
    effects: list[Any] = field(default_factory=list)
    last: Outcome | None = None

    def send(self, text: str = "", *, option: str = "", attachments: tuple = ()) -> list[str]:
        self.last = step(
            self.state, Input(option=option, text=text, attachments=attachments), self.ctx
        )
        self.state = self.last.new_state
        self.effects.extend(self.last.effects)
        return texts(self.last, self.ctx.language)

    @property
    def stage(self) -> str:
        return f"{self.state['flow']}.{self.state['stage']}"

    @property
    def option_keys(self) -> list[str]:
        assert self.last is not None
        return [o.key for o in self.last.replies[-1].options]

    def later(self, **delta: float) -> None:
        """Let time pass: the context moves on, the state stays."""
        now = self.ctx.now + dt.timedelta(**delta)
        self.ctx = replace(self.ctx, now=now, today=now.date())
