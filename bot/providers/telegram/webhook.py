"""Telegram inbound: the python-telegram-bot Application, without its Updater, behind our ASGI app.

Updates arrive either on `POST /telegram/webhook` (the body read up to its size limit, 413 past
it; then checked against TELEGRAM_WEBHOOK_SECRET, 403 otherwise; then its shape,
bot/providers/telegram/shapes.py, and an authentic update that does not fit is parked and answered
200) or, with no public URL, by long polling (polling.py). Either way each update is fed to
the Application, whose handlers turn a text, a button press, a photo or a document into an
`InboundEvent` for `bot.receive.receive`, the one inbound path. `/start <token>` becomes an event
that links the chat to a debtor through a signed deep-link token (bot.inbound_commands,
bot.linking); an unlinked chat never sees a debtor's data. A debtor's
button press is acknowledged (answerCallbackQuery) in the webhook's own response, or by a call of
its own when polling.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Literal, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import ConfigError
from bot.handlers import staff
from bot.inbound import InboundEvent
from bot.models import Channel
from bot.parking import park
from bot.providers.telegram.events import button_event, direct_kind, message_event, sent_at
from bot.providers.telegram.sender import TelegramSender, make_bot, retry_after_seconds
from bot.providers.telegram.shapes import UpdateShape, check_update, update_kind
from bot.receive import receive
from bot.runtime import Runtime
from bot.web import WebPart
from bot.webhooks import Malformed, NotHandled, load_json, read_body, refuse

log = logging.getLogger(__name__)

PROVIDER = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BACKOFF_SECONDS = 60.0
WEBHOOK_ATTEMPTS = 4
# Telegram's rule for the webhook secret token.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]

# While the webhook handles an update: a Bot API call for Telegram to make on our behalf, sent back
# as the webhook's response body ("making requests when getting updates" in the Bot API). Set by
# the webhook, filled by a handler; unset when polling.
_webhook_reply: ContextVar[dict[str, Any] | None] = ContextVar("webhook_reply", default=None)
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


class TelegramInbound:
    """The Application's handler callbacks, bound to the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.failed_updates: set[int] = set()
        self.init_lock = asyncio.Lock()

    def _language(self, update: Update) -> str:
        """The user's Telegram language (for a chat we do not know yet)."""
        user = update.effective_user
        return (user.language_code or "")[:2] if user else ""

    async def on_start(self, update: Update, context: Context) -> None:
        """/start [TOKEN]: the deep link, into the one inbound path (bot.inbound_commands links
        the chat). The token is kept on the stored row only until it is handled."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        event = InboundEvent(
            channel=Channel.TELEGRAM,
            address=str(chat.id),
            provider_event_id=str(update.update_id),
            received_at=message.date,
            start=True,
            start_token=context.args[0] if context.args else "",
            language=self._language(update),
        )
        await receive(self.runtime, event)

    async def on_message(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        await receive(self.runtime, message_event(update.update_id, message, message.date))

    async def on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        chat_id = query.message.chat.id if query.message else query.from_user.id
        event = button_event(update.update_id, chat_id, query.data)
        received = await receive(self.runtime, event)
        if received is None:
            return  # a retried delivery: it was answered the first time
        webhook_reply = _webhook_reply.get()
        if webhook_reply is not None:
            # Stops the button's spinner with no request of our own, so button presses take
            # nothing from the bot's 30 messages/s that the replies need.
            webhook_reply.update(method="answerCallbackQuery", callback_query_id=query.id)
            return
        try:
            # Stops the button's spinner. Best effort: the reply is already on its way, and an
            # unanswered query only spins until Telegram gives up on it.
            await query.answer()
        except TelegramError as exc:
            log.warning("could not answer telegram button press %s: %s", query.id, exc)

    async def on_error(self, update: object, context: Context) -> None:
        log.error("telegram update failed", exc_info=context.error)
        if isinstance(update, Update):
            self.failed_updates.add(update.update_id)


def build_application(runtime: Runtime) -> TelegramApplication:
    """The Application without an Updater; it shares the sender's bot (one rate limiter)."""
    sender = runtime.senders.get(Channel.TELEGRAM)
    bot = sender.bot if isinstance(sender, TelegramSender) else make_bot(runtime.settings)
    application: TelegramApplication = Application.builder().bot(bot).updater(None).build()
    inbound = TelegramInbound(runtime)
    application.bot_data["inbound"] = inbound
    debtor_chats = filters.ALL
    staff_chat = runtime.settings.telegram_staff_chat_id
    if staff_chat is not None:
        # The staff group has its own handlers; a debtor flow must never answer there.
        debtor_chats = ~filters.Chat(chat_id=staff_chat)
    application.add_handler(CommandHandler("start", inbound.on_start, filters=debtor_chats))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & (filters.TEXT | filters.PHOTO | filters.Document.ALL)
            & debtor_chats,
            inbound.on_message,
        )
    )
    application.add_handler(CallbackQueryHandler(inbound.on_button))
    staff.register(application, runtime)  # group -1: the staff chat never reaches a debtor flow
    application.add_error_handler(inbound.on_error)
    return application


# One Application per runtime (a process builds one runtime at start-up).
_applications: dict[int, tuple[Runtime, TelegramApplication]] = {}


def application_for(runtime: Runtime) -> TelegramApplication:
    known = _applications.get(id(runtime))
    if known is not None and known[0] is runtime:
        return known[1]
    application = build_application(runtime)
    _applications[id(runtime)] = (runtime, application)
    return application


def _inbound(application: TelegramApplication) -> TelegramInbound:
    inbound: TelegramInbound = application.bot_data["inbound"]
    return inbound


async def ensure_initialized(application: TelegramApplication) -> None:
    """Initialize once (getMe); safe to call from concurrent requests."""
    async with _inbound(application).init_lock:
        await application.initialize()


async def handle_update(application: TelegramApplication, update: Update) -> bool:
    """Feed one update to the Application; False when a handler failed on it."""
    await ensure_initialized(application)
    await application.process_update(update)
    failed = _inbound(application).failed_updates
    if update.update_id in failed:
        failed.discard(update.update_id)
        return False
    return True


def secret_matches(expected: str, given: str) -> bool:
    """No configured secret means no webhook: fail closed."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def handle_directly(
    application: TelegramApplication,
    kind: Literal["message", "button"],
    shape: UpdateShape,
    reply: dict[str, Any],
) -> bool:
    """A debtor's message or button press (telegram_events.direct_kind) handled as the
    Application would, without decoding it into python-telegram-bot's objects; False when it
    failed. A button press is answered in `reply`, the webhook's response."""
    await ensure_initialized(application)  # as handle_update: unreachable, Telegram retries
    runtime = _inbound(application).runtime
    try:
        if kind == "message":
            message = shape.message
            assert message is not None
            event = message_event(shape.update_id, message, sent_at(message.date))
            await receive(runtime, event)
            return True
        query = shape.callback_query
        assert query is not None
        chat_id = query.message.chat.id if query.message is not None else query.sender.id
        if await receive(runtime, button_event(shape.update_id, chat_id, query.data)) is not None:
            reply.update(method="answerCallbackQuery", callback_query_id=query.id)
    except Exception:
        log.error("telegram update failed", exc_info=True)  # as on_error logs the Application's
        return False
    return True


def read_update(raw: bytes) -> tuple[dict[str, Any], UpdateShape]:
    """An authentic body as JSON and its checked shape (shapes.py); Malformed otherwise."""
    payload = load_json(raw, "update")
    shape = check_update(payload)
    assert isinstance(payload, dict)  # the shape is an object's
    return payload, shape


def decode_update(application: TelegramApplication, raw: bytes) -> Update:
    """An authentic body as an Update: its shape checked first (shapes.py), then decoded by
    python-telegram-bot. Raises Malformed when it does not fit."""
    payload, shape = read_update(raw)
    return ptb_update(application, payload, shape)


def ptb_update(
    application: TelegramApplication, payload: dict[str, Any], shape: UpdateShape
) -> Update:
    """A checked update decoded by python-telegram-bot; Malformed when it cannot read it."""
    try:
        return Update.de_json(payload, application.bot)
    except Exception as exc:
        # python-telegram-bot decodes the fields we do not check, and what it raises for one it
        # cannot read is not part of its API (TypeError, AttributeError, OverflowError...).
        kind = update_kind(payload)
        problem = f"update {shape.update_id} does not decode ({type(exc).__name__})"
        raise Malformed(kind, problem) from None


async def replay(runtime: Runtime, kind: str, raw: bytes) -> str:
    """A parked update, once more through the Application (python -m bot events replay)."""
    if not runtime.settings.telegram_enabled:
        raise refuse(503, "Telegram is not configured (TELEGRAM_BOT_TOKEN)")
    application = application_for(runtime)
    update = decode_update(application, raw)
    if not await handle_update(application, update):
        raise NotHandled(f"a handler failed on update {update.update_id}; see the log")
    return "handled"


def web_part(runtime: Runtime) -> WebPart:
    settings = runtime.settings
    application = application_for(runtime) if settings.telegram_enabled else None
    staff_chat = settings.telegram_staff_chat_id

    async def webhook(request: Request) -> Response:
        raw = await read_body(request, PROVIDER)
        given = request.headers.get(SECRET_HEADER, "")
        if not secret_matches(settings.telegram_webhook_secret, given):
            return Response("forbidden", status_code=403)
        if application is None:
            return Response("telegram is not configured", status_code=503)
        try:
            payload, shape = read_update(raw)
            # A debtor's plain message or button press needs no python-telegram-bot objects.
            kind = direct_kind(payload, shape, staff_chat)
            update = ptb_update(application, payload, shape) if kind is None else None
        except Malformed as problem:
            await park(runtime, PROVIDER, problem, raw)
            return Response(status_code=200)  # Telegram must not deliver it again
        # A 5xx makes Telegram deliver again; the stored provider id stops double handling.
        reply: dict[str, Any] = {}
        token = _webhook_reply.set(reply)
        try:
            if kind is not None:
                ok = await handle_directly(application, kind, shape, reply)
            else:
                assert update is not None
                ok = await handle_update(application, update)
        except TelegramError as exc:  # getMe failed: we cannot reach Telegram at all just now
            log.warning("telegram update %s not handled: %s", shape.update_id, exc)
            return Response(status_code=503)
        finally:
            _webhook_reply.reset(token)
        if ok and reply:
            return JSONResponse(reply)
        return Response(status_code=200 if ok else 500)

    async def start() -> None:
        if application is None:
            return
        try:
            await ensure_initialized(application)
        except NetworkError as exc:
            # Telegram unreachable at start-up: the first update initializes instead.
            log.warning("telegram not reachable at start-up (%s); will retry on first update", exc)

    async def stop() -> None:
        if application is not None:
            await application.shutdown()

    return WebPart(
        routes=[Route(WEBHOOK_PATH, webhook, methods=["POST"])],
        on_startup=[start],
        on_shutdown=[stop],
    )


async def register_webhook(runtime: Runtime, application: TelegramApplication) -> str:
    """setWebhook to PUBLIC_BASE_URL/telegram/webhook with the secret; returns the URL."""
    settings = runtime.settings
    if not settings.public_base_url:
        raise ConfigError("PUBLIC_BASE_URL must be set to register the Telegram webhook")
    if not SECRET_PATTERN.fullmatch(settings.telegram_webhook_secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET: expected 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    url = settings.public_base_url + WEBHOOK_PATH
    await _with_backoff(
        lambda: application.bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        ),
        attempts=WEBHOOK_ATTEMPTS,
        ensure=lambda: ensure_initialized(application),
    )
    log.info("telegram webhook registered at %s", url)
    return url


async def _with_backoff(
    call: Callable[[], Awaitable[object]],
    *,
    attempts: int,
    ensure: Callable[[], Awaitable[None]],
) -> None:
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            await ensure()
            await call()
            return
        except (NetworkError, RetryAfter) as exc:
            if attempt == attempts:
                raise
            wait = retry_after_seconds(exc) if isinstance(exc, RetryAfter) else delay
            log.warning("telegram: %s; retrying in %.0f s", exc, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
