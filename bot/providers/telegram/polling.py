"""Telegram by long polling, for a process with no public URL (`python -m bot run` on a laptop):
getUpdates in a loop, each update fed to the same Application as the webhook's
(bot/providers/telegram/webhook.py), confirmed by offset once handled; a failing update is fetched
again a few times, then skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from telegram.error import RetryAfter, TelegramError

from bot.providers.telegram.sender import retry_after_seconds
from bot.providers.telegram.webhook import (
    ALLOWED_UPDATES,
    MAX_BACKOFF_SECONDS,
    TelegramApplication,
    ensure_initialized,
    handle_update,
)
from bot.runtime import Runtime

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 30
# A polled update whose handling fails is fetched again this many times before it is skipped.
UPDATE_ATTEMPTS = 3
T = TypeVar("T")


async def run_polling(
    runtime: Runtime,
    application: TelegramApplication,
    stop: asyncio.Event,
    *,
    timeout: int = POLL_TIMEOUT_SECONDS,
) -> None:
    """Long polling until `stop` is set: getUpdates, feed each update, confirm by offset."""
    delay = 1.0
    offset = 0
    webhook_removed = False
    failures: dict[int, int] = {}
    while not stop.is_set():
        try:
            await ensure_initialized(application)
            if not webhook_removed:
                # Telegram refuses getUpdates while a webhook is set.
                await application.bot.delete_webhook()
                webhook_removed = True
            updates = await _unless_stopped(
                application.bot.get_updates(
                    offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES
                ),
                stop,
            )
        except RetryAfter as exc:
            await _sleep_unless_stopped(retry_after_seconds(exc), stop)
            continue
        except TelegramError as exc:  # network trouble, 5xx, a conflicting poller
            log.warning("telegram polling: %s; retrying in %.0f s", exc, delay)
            await _sleep_unless_stopped(delay, stop)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
            continue
        delay = 1.0
        for update in updates or ():
            if not await handle_update(application, update):
                failures[update.update_id] = failures.get(update.update_id, 0) + 1
                if failures[update.update_id] < UPDATE_ATTEMPTS:
                    # Not confirmed: getUpdates hands it out again after a pause.
                    await _sleep_unless_stopped(delay, stop)
                    break
                log.error(
                    "telegram update %s failed %d times; skipped", update.update_id, UPDATE_ATTEMPTS
                )
            failures.pop(update.update_id, None)
            offset = update.update_id + 1


async def _unless_stopped(call: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Await `call` unless `stop` is set first (then cancel it and return None)."""
    request = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if request.done():
        return request.result()
    request.cancel()
    return None


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return


@dataclass
class Polling:
    """A running long-polling loop; `await polling.stop()` ends it."""

    task: asyncio.Task[None]
    stop_event: asyncio.Event

    async def stop(self) -> None:
        self.stop_event.set()
        await self.task


def start_polling(
    runtime: Runtime, application: TelegramApplication, *, timeout: int = POLL_TIMEOUT_SECONDS
) -> Polling:
    stop_event = asyncio.Event()
    task = asyncio.create_task(run_polling(runtime, application, stop_event, timeout=timeout))
    return Polling(task=task, stop_event=stop_event)
