"""The Stripe tests' local Stripe API server and the settings that point the real client at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests.providers.stripe.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture
async def fake() -> AsyncIterator[FakeStripe]:
    server = FakeStripe()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def live_settings(settings: Settings, fake: FakeStripe) -> Settings:
    """Settings with the fake's address, key and webhook secret (test_stripe.py adds methods)."""
    return settings.model_copy(
        update={
            "stripe_api_key": API_KEY,
            "stripe_api_base": fake.base_url,
            "stripe_webhook_secret": WEBHOOK_SECRET,
        }
    )
