"""A fake Telegram Bot API server on 127.0.0.1 that speaks the real wire protocol.

python-telegram-bot is pointed at it through its base URL (`<url>/bot`). It serves
/bot<token>/<method> for the methods Sollecito uses, records every call, and can be told to fail:
flood control (429 with parameters.retry_after), a blocked bot (403), a migrated group (400 with
parameters.migrate_to_chat_id) and server errors (5xx). With `max_messages_per_second` it enforces
Telegram's global limit on sent messages over a sliding one-second window, answering 429 beyond it.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_ID = 777000111
BOT_USERNAME = "sollecito_test_bot"
# Methods that post a message into a chat: the ones Telegram's flood limits count.
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, str, bytes]]  # field -> (filename, content type, bytes)
    at: float
    token: str = ""  # which bot made the call (see `allow_token`)
    result: Any = None  # what a successful call answered (the message sent, for a send)


@dataclass
class Fault:
    """An error to answer instead of the method's result, `times` times."""

    status: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)
    chat_id: str | None = None  # only for calls to this chat
    times: int = 1


class FakeTelegram:
    def __init__(self, token: str, *, max_messages_per_second: int | None = None) -> None:
        self.token = token
        self.tokens = {token}  # every bot token answered; others get 401
        self.max_messages_per_second = max_messages_per_second
        self.calls: list[Call] = []
        self.rate_limited = 0  # 429s answered because the global limit was exceeded
        self.delivered: list[Call] = []  # message calls answered with success: what chats show
        self._slow_retry_after: int | None = None
        self._message_calls = 0
        self.webhook: dict[str, Any] = {}
        self._faults: dict[str, list[Fault]] = collections.defaultdict(list)
        self._recent_messages: collections.deque[float] = collections.deque()
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._update_arrived = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.url = ""

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        host, port = sock.getsockname()
        self.url = f"http://{host}:{port}"
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST"])])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.005)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            # A long poll left hanging by a client that went away would hold the shutdown for
            # its whole timeout: wake it.
            self._update_arrived.set()
            self._server.should_exit = True
            await self._task

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL must be (PTB appends the token)."""
        return f"{self.url}/bot"

    # --- what tests tell it ----------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        chat_id: str | int | None = None,
        times: int = 1,
    ) -> None:
        self._faults[method].append(
            Fault(
                status=status,
                description=description,
                parameters=parameters or {},
                chat_id=None if chat_id is None else str(chat_id),
                times=times,
            )
        )

    def flood(self, method: str, retry_after: int, *, times: int = 1) -> None:
        self.fail(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            times=times,
        )

    def allow_token(self, token: str) -> None:
        """Answer another bot too: several processes, each known by its own token."""
        self.tokens.add(token)

    def slow_down(self, retry_after: int) -> None:
        """A slow provider: every other message call is answered 429 with `retry_after`."""
        self._slow_retry_after = retry_after

    def block(self, chat_id: str | int, *, method: str = "sendMessage", times: int = 1) -> None:
        self.fail(
            method, 403, "Forbidden: bot was blocked by the user", chat_id=chat_id, times=times
        )

    def migrate(self, chat_id: str | int, new_chat_id: int, *, method: str = "sendMessage") -> None:
        self.fail(
            method,
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            parameters={"migrate_to_chat_id": new_chat_id},
            chat_id=chat_id,
        )

    def server_error(self, method: str, status: int = 500, *, times: int = 1) -> None:
        self.fail(method, status, "Internal Server Error", times=times)

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling)."""
        self._updates.append(update)
        self._update_arrived.set()

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def texts_to(self, chat_id: str | int) -> list[str]:
        """What a chat has been shown: message texts and captions, in order."""
        shown = []
        for call in self.calls:
            if call.method in MESSAGE_METHODS and call.params.get("chat_id") == str(chat_id):
                shown.append(str(call.params.get("text") or call.params.get("caption") or ""))
        return shown

    # --- the HTTP side ---------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        arrived = time.monotonic()  # before the body is read: the limit counts arrivals
        token = request.path_params["token"]
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        try:
            params, files = await _read_params(request)
        except ClientDisconnect:  # the client went away mid-request (a killed process)
            return _error(400, "Bad Request: the request was not read whole")
        call = Call(method, params, files, arrived, token)
        self.calls.append(call)
        fault = self._take_fault(method, params)
        if fault is not None:
            return _error(fault.status, fault.description, fault.parameters)
        if method in MESSAGE_METHODS and self._over_global_limit(arrived):
            self.rate_limited += 1
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if method in MESSAGE_METHODS and self._slow_retry_after is not None:
            self._message_calls += 1
            if self._message_calls % 2 == 1:
                wait = self._slow_retry_after
                return _error(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        if method == "getUpdates" and self.webhook:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        result = await handler(params, files)
        call.result = result
        if method in MESSAGE_METHODS:
            self.delivered.append(call)
        return JSONResponse({"ok": True, "result": result})

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults.get(method, []):
            if fault.chat_id is not None and fault.chat_id != params.get("chat_id"):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults[method].remove(fault)
            return fault
        return None

    def _over_global_limit(self, arrived: float) -> bool:
        if self.max_messages_per_second is None:
            return False
        while self._recent_messages and self._recent_messages[0] <= arrived - 1.0:
            self._recent_messages.popleft()
        if len(self._recent_messages) >= self.max_messages_per_second:
            return True
        self._recent_messages.append(arrived)
        return False

    # --- methods ---------------------------------------------------------------------------

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sollecito"},
            **content,
        }
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
        return message

    def _file(self, prefix: str) -> dict[str, str]:
        number = next(self._file_ids)
        return {"file_id": f"{prefix}-{number}", "file_unique_id": f"u{prefix}{number}"}

    async def _m_getMe(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Sollecito",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_sendMessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return self._message(params, text=params["text"])

    async def _m_sendPhoto(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        photo = {**self._file("photo"), "width": 300, "height": 300}
        extra = {"caption": params["caption"]} if "caption" in params else {}
        return self._message(params, photo=[photo], **extra)

    async def _m_sendDocument(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        filename, content_type, _ = files["document"]
        document = {**self._file("doc"), "file_name": filename, "mime_type": content_type}
        extra = {"caption": params["caption"]} if "caption" in params else {}
        return self._message(params, document=document, **extra)

    async def _m_editMessageText(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._message(params, text=params["text"])
        message["message_id"] = int(params["message_id"])
        return message

    async def _m_editMessageCaption(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        document = {**self._file("doc"), "file_name": "document.pdf"}
        message = self._message(params, document=document, caption=params.get("caption", ""))
        message["message_id"] = int(params["message_id"])
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._message(params, text="")
        message["message_id"] = int(params["message_id"])
        return message

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> bool:
        return True

    async def _m_setWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = dict(params)
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = {}
        return True

    async def _m_getUpdates(self, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        timeout = float(params.get("timeout", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._update_arrived.clear()
            try:
                await asyncio.wait_for(self._update_arrived.wait(), timeout)
            except TimeoutError:
                return []
        limit = int(params.get("limit", 100))
        return [u for u in self._updates if u["update_id"] >= offset][:limit]


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


async def _read_params(
    request: Request,
) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
    """PTB sends form fields (urlencoded, or multipart with files); JSON bodies work too."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}, {}
    form = await request.form()
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            files[key] = (value.filename or "", value.content_type or "", content)
        else:
            params[key] = value
    # A file attached by reference: PTB sends `photo=attach://<name>` and the part as <name>.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part in files:
                files[key] = files[part]
    return params, files
