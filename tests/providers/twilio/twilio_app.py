"""The app under test wired to a fake Twilio: real senders, real webhooks, all over 127.0.0.1."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from bot import web
from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.models import Channel, ContactPoint, Debtor
from bot.policy import load_policy
from bot.providers.twilio.sms import SmsSender
from bot.providers.twilio.whatsapp import WhatsAppSender
from bot.runtime import Runtime
from tests.providers.twilio.fake_twilio import FakeTwilio
from tests.support.live_server import serve

SMS_FROM = "+390212345678"
WHATSAPP_FROM = "+390287654321"
DEBTOR_PHONE = "+393331234567"


@dataclass
class TwilioStack:
    fake: FakeTwilio
    settings: Settings
    runtime: Runtime
    app_url: str

    async def inbound(self, params: dict[str, str], **kwargs: str):  # type: ignore[no-untyped-def]
        return await self.fake.post_webhook(
            self.app_url, self.settings.public_base_url, "/twilio/inbound", params, **kwargs
        )

    async def status(self, params: dict[str, str], **kwargs: str):  # type: ignore[no-untyped-def]
        return await self.fake.post_webhook(
            self.app_url, self.settings.public_base_url, "/twilio/status", params, **kwargs
        )


def twilio_settings(settings: Settings, fake: FakeTwilio, **extra: object) -> Settings:
    return settings.model_copy(
        update={
            "twilio_account_sid": fake.account_sid,
            "twilio_auth_token": fake.auth_token,
            "twilio_api_base_url": fake.base_url,
            "twilio_sms_from": SMS_FROM,
            "twilio_whatsapp_from": WHATSAPP_FROM,
            **extra,
        }
    )


# The stack's clock stands still here: the tests' invoices are dated relative to it, never to today.
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # a Monday, 11:00 in Rome


@contextlib.asynccontextmanager
async def twilio_stack(
    settings: Settings, now: dt.datetime = NOW, **extra: object
) -> AsyncIterator[TwilioStack]:
    fake = await FakeTwilio().start()
    live = twilio_settings(settings, fake, **extra)
    senders = {channel: SandboxSender(channel) for channel in Channel}
    senders[Channel.SMS] = SmsSender.from_settings(live)  # type: ignore[assignment]
    senders[Channel.WHATSAPP] = WhatsAppSender.from_settings(live)  # type: ignore[assignment]
    runtime = Runtime(
        settings=live,
        policy=load_policy(live.policy_file),
        senders=senders,  # type: ignore[arg-type]
        now=lambda: now,
    )
    # Only the Twilio routes: this suite tests them, not the other handlers.
    previous = list(web.WEB_PART_MODULES)
    web.WEB_PART_MODULES[:] = ["bot.providers.twilio.webhook"]
    try:
        app = web.create_app(runtime)
    finally:
        web.WEB_PART_MODULES[:] = previous
    try:
        async with serve(app) as url:
            yield TwilioStack(fake=fake, settings=live, runtime=runtime, app_url=url)
    finally:
        await runtime.close()
        await fake.stop()


async def debtor_with(
    channel: Channel,
    address: str = DEBTOR_PHONE,
    language: str = "it",
    ref: str = "D-001",
    opted_in: bool = True,
) -> ContactPoint:
    """A debtor with one contact point, its opt-in recorded unless `opted_in` is False."""
    debtor = await Debtor.create(external_ref=ref, name="Rossi Impianti S.r.l.", language=language)
    point = await ContactPoint.create(
        debtor=debtor,
        channel=channel,
        address=address,
        opted_in_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if opted_in else None,
        opt_in_source="test data" if opted_in else "",
    )
    await point.fetch_related("debtor")
    return point


def whatsapp_runtime(
    settings: Settings,
    fake: FakeTwilio,
    clock: Callable[[], dt.datetime],
    content_sids: dict[str, str],
) -> Runtime:
    """A runtime on `clock` with the real WhatsApp sender against `fake` (and its approved
    templates), sandboxes on the other channels."""
    from tests.support.scheduler_data import make_runtime

    live = twilio_settings(settings, fake, twilio_whatsapp_content_sids=content_sids)
    senders: dict[Channel, Any] = {channel: SandboxSender(channel) for channel in Channel}
    senders[Channel.WHATSAPP] = WhatsAppSender.from_settings(live)
    return make_runtime(live, clock, senders, company_name="Forniture Bianchi S.p.A.")  # type: ignore[arg-type]
