"""The ASGI app (Starlette): it mounts the routes each inbound handler offers.

Each handler module that speaks HTTP has a `web_part(runtime) -> WebPart` function; this module
only collects them, adds health, and runs their start-up and shut-down hooks in the lifespan.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from tortoise import connections

from bot.receive import answer_unhandled_inbound
from bot.reply_sending import finish_sending
from bot.runtime import Runtime

Hook = Callable[[], Awaitable[None]]

# Modules that offer routes, each with web_part(runtime). Order does not matter.
WEB_PART_MODULES: list[str] = [
    "bot.providers.telegram.webhook",
    "bot.providers.twilio.webhook",
    "bot.providers.stripe.webhook",
    "bot.handlers.pay",
]


@dataclass
class WebPart:
    routes: list[BaseRoute]
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)


async def health(request: Request) -> JSONResponse:
    """Liveness plus a database round trip: a load balancer can route on it."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # any database failure makes the process unhealthy
        return JSONResponse({"status": "error", "database": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(runtime: Runtime) -> Starlette:
    parts = [importlib.import_module(name).web_part(runtime) for name in WEB_PART_MODULES]
    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    for part in parts:
        routes.extend(part.routes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for part in parts:
            for hook in part.on_startup:
                await hook()
        # Messages a previous process stored and died before applying (a STOP among them).
        await answer_unhandled_inbound(runtime)
        try:
            yield
        finally:
            await finish_sending()  # before the parts close their provider clients
            for part in reversed(parts):
                for hook in part.on_shutdown:
                    await hook()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app
