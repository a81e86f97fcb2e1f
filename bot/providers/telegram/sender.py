"""Telegram sending through python-telegram-bot (the only module besides the Telegram handler
that imports `telegram`).

Outbound requests go through PTB's AIORateLimiter (20 messages per minute per group, a RetryAfter
waited out once) with an even overall pace just under Telegram's 30 messages per second. Reply
options become an inline keyboard whose button data is the option key. An image attachment goes
out with sendPhoto, anything else with sendDocument. Telegram's errors become `SendError`s: a
blocked bot is UNREACHABLE, flood control and network trouble are RETRY, a group that became a
supergroup is followed to its new chat id once.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram import Message as TelegramMessage
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import Attachment, Option, OutgoingMessage, SendError, SendOutcome
from bot.config import Settings
from bot.models import Channel
from bot.reachability import move_address

log = logging.getLogger(__name__)

# Telegram's limits: callback data is at most 64 bytes, a caption at most 1024 characters.
CALLBACK_DATA_MAX_BYTES = 64
CAPTION_MAX_CHARS = 1024
# Concurrent HTTP connections to the Bot API; the rate limiter, not the pool, sets the pace.
CONNECTION_POOL_SIZE = 16
# How many times the rate limiter itself waits out a RetryAfter before we report RETRY.
FLOOD_RETRIES = 1
# Telegram allows about 30 messages per second overall. PTB's default limiter lets a burst of 30
# through on top of the steady rate, so a one-second window can see nearly 60; we pace evenly
# instead, a little under 30/s, so no one-second window ever holds more than 30 (see EvenPace).
MESSAGES_PER_SECOND = 29.0

ChatMigratedHook = Callable[[str, str], Awaitable[object]]


async def _move_telegram_chat(old_chat_id: str, new_chat_id: str) -> object:
    return await move_address(Channel.TELEGRAM, old_chat_id, new_chat_id)


class EvenPace:
    """Lets one request through at a time, on a grid 1/rate apart, never 31 in a second.

    A leaky bucket of capacity one (aiolimiter) loses every moment a sender wakes up late, so the
    pace drifts down under CPU load; a plain grid catches up after a stall with a burst. This keeps
    to the grid, owes at most `max_lag`, never lets two requests closer than `min_gap`, and checks
    that the last `limit` requests span more than a second plus `margin`, which leaves room for
    network jitter. While Telegram has asked us to wait (`paused` is clear) nobody takes a slot, so
    the requests do not bunch up once the wait is over.
    """

    def __init__(
        self,
        rate: float,
        paused: asyncio.Event,
        *,
        limit: int = 30,
        margin: float = 0.02,
        max_lag_slots: float = 3.0,
        min_gap_slots: float = 0.87,
    ) -> None:
        self.interval = 1 / rate
        self.min_gap = self.interval * min_gap_slots
        self.max_lag = self.interval * max_lag_slots
        self.window = 1.0 + margin
        self._not_paused = paused
        self._lock = asyncio.Lock()
        self._next_slot = 0.0
        self._recent: collections.deque[float] = collections.deque(maxlen=limit)

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                await self._not_paused.wait()
                now = loop.time()
                slot = max(self._next_slot, now - self.max_lag)
                if self._recent:
                    slot = max(slot, self._recent[-1] + self.min_gap)
                if len(self._recent) == self._recent.maxlen:
                    slot = max(slot, self._recent[0] + self.window)
                if slot > now:
                    await asyncio.sleep(slot - now)
                # A pause that began while we slept would hold this request back after its slot,
                # and it would then go out together with the next ones: take a new slot instead.
                if self._not_paused.is_set():
                    break
            self._recent.append(loop.time())
            self._next_slot = slot + self.interval

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class PacedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (per-group limits, RetryAfter handling) with an even overall pace."""

    def __init__(self, *, messages_per_second: float, max_retries: int) -> None:
        super().__init__(max_retries=max_retries)
        # The overall limiter is what AIORateLimiter applies to every request aimed at a chat;
        # the event is the one it clears while it waits out a RetryAfter (PTB 22 internals).
        self._base_limiter = EvenPace(  # type: ignore[assignment]
            messages_per_second, paused=self._retry_after_event
        )


def make_bot(settings: Settings, *, flood_retries: int = FLOOD_RETRIES) -> ExtBot[None]:
    """A PTB bot for our token and API base URL (PTB appends the token to the base URL)."""
    return ExtBot(
        token=settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_url.removesuffix("/bot") + "/file/bot",
        request=HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE),
        rate_limiter=PacedRateLimiter(
            messages_per_second=MESSAGES_PER_SECOND, max_retries=flood_retries
        ),
    )


def inline_keyboard(options: Sequence[Option]) -> InlineKeyboardMarkup | None:
    """One button per row (labels can be long); the button data is the option key."""
    if not options:
        return None
    for option in options:
        if len(option.key.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(
                f"option key {option.key!r} is longer than Telegram's "
                f"{CALLBACK_DATA_MAX_BYTES}-byte callback data"
            )
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(option.label, callback_data=option.key)] for option in options]
    )


def provider_id(message: TelegramMessage) -> str:
    """Message ids are per chat in Telegram, so the id we keep names the chat too."""
    return f"{message.chat_id}:{message.message_id}"


def parse_provider_id(value: str) -> tuple[str, int]:
    chat_id, _, message_id = value.rpartition(":")
    return chat_id, int(message_id)


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 hands out int or timedelta depending on an opt-in flag, and warns about the int.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def as_send_error(exc: TelegramError) -> SendError:
    """Telegram's error -> what the dispatcher should do about it."""
    if isinstance(exc, Forbidden):
        return SendError(SendOutcome.UNREACHABLE, f"telegram: {exc.message}")
    if isinstance(exc, RetryAfter):
        wait = retry_after_seconds(exc)
        return SendError(SendOutcome.RETRY, f"telegram: {exc.message}", retry_after=wait)
    if isinstance(exc, InvalidToken):
        # Our configuration, not the debtor's address: another channel can carry the message.
        return SendError(SendOutcome.FALLBACK, f"telegram rejected the bot token: {exc.message}")
    if isinstance(exc, BadRequest):
        lowered = exc.message.lower()
        if "chat not found" in lowered or "user not found" in lowered:
            return SendError(SendOutcome.UNREACHABLE, f"telegram: {exc.message}")
        return SendError(SendOutcome.FALLBACK, f"telegram refused the message: {exc.message}")
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return SendError(SendOutcome.RETRY, f"telegram unreachable: {exc.message}")
    return SendError(SendOutcome.RETRY, f"telegram error: {exc.message}")


@dataclass
class TelegramSender:
    bot: ExtBot[None]
    on_chat_migrated: ChatMigratedHook = _move_telegram_chat
    channel: Channel = Channel.TELEGRAM
    _init_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramSender:
        return cls(bot=make_bot(settings))

    async def send(self, message: OutgoingMessage) -> str:
        try:
            await self._ensure_initialized()
            return await self._deliver(message.address, message)
        except ChatMigrated as exc:
            new_chat_id = str(exc.new_chat_id)
            log.info("telegram chat %s migrated to %s", message.address, new_chat_id)
            await self.on_chat_migrated(message.address, new_chat_id)
            try:
                return await self._deliver(new_chat_id, message)
            except TelegramError as again:
                raise as_send_error(again) from again
        except TelegramError as exc:
            raise as_send_error(exc) from exc

    async def edit(self, sent_id: str, text: str, options: Sequence[Option] = ()) -> None:
        """Change a message we sent (e.g. drop the buttons once one was pressed)."""
        chat_id, message_id = parse_provider_id(sent_id)
        try:
            await self._ensure_initialized()
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=inline_keyboard(options)
            )
        except TelegramError as exc:
            raise as_send_error(exc) from exc

    async def remove_options(self, sent_id: str) -> None:
        chat_id, message_id = parse_provider_id(sent_id)
        try:
            await self._ensure_initialized()
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )
        except TelegramError as exc:
            raise as_send_error(exc) from exc

    async def close(self) -> None:
        await self.bot.shutdown()

    async def _ensure_initialized(self) -> None:
        # Bot.initialize opens the HTTP pools and fetches getMe; concurrent first sends share it.
        async with self._init_lock:
            await self.bot.initialize()

    async def _deliver(self, chat_id: str, message: OutgoingMessage) -> str:
        keyboard = inline_keyboard(message.options)
        attachments = list(message.attachments)
        # One attachment and a short text travel as a single captioned message.
        if len(attachments) == 1 and len(message.text) <= CAPTION_MAX_CHARS:
            sent = await self._send_file(chat_id, attachments[0], message.text, keyboard)
            return provider_id(sent)
        if not message.text and attachments:
            *leading, last = attachments
            for attachment in leading:
                await self._send_file(chat_id, attachment, "", None)
            return provider_id(await self._send_file(chat_id, last, "", keyboard))
        for attachment in attachments:
            await self._send_file(chat_id, attachment, "", None)
        sent = await self.bot.send_message(chat_id, message.text, reply_markup=keyboard)
        return provider_id(sent)

    async def _send_file(
        self,
        chat_id: str,
        attachment: Attachment,
        caption: str,
        keyboard: InlineKeyboardMarkup | None,
    ) -> TelegramMessage:
        upload = InputFile(attachment.content, filename=attachment.filename)
        if attachment.mime_type.startswith("image/"):
            return await self.bot.send_photo(
                chat_id, upload, caption=caption or None, reply_markup=keyboard
            )
        return await self.bot.send_document(
            chat_id, upload, caption=caption or None, reply_markup=keyboard
        )


async def fetch_bot_username(settings: Settings) -> str:
    """The bot's @username from getMe; SendError when Telegram cannot be asked."""
    bot = make_bot(settings)
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:
        raise as_send_error(exc) from exc
