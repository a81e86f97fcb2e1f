"""The long-running processes started from the command line.

- `serve_web`: the web process (`python -m bot serve`): the ASGI app under uvicorn; registers the
  Telegram webhook when PUBLIC_BASE_URL is set.
- `run_all`: the all-in-one process (`python -m bot run`): the web app, the clock and the outbox
  worker in one event loop, and Telegram by long polling when no public URL is set.

Both stop cleanly on SIGINT/SIGTERM: uvicorn finishes its requests, the worker its batch, the
clock its job, the poller its getUpdates, and then the database closes.

Every command runs on `run_main`: uvloop where it exists (not on Windows), else asyncio's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import uvicorn

from bot.runtime import Runtime
from bot.web import create_app

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_main(main: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to the end on the fastest event loop installed.

    uvloop roughly halves the loop's own share of the web process's CPU (bench/send.py).
    """
    try:
        import uvloop
    except ImportError:  # Windows: uvloop does not exist there
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process decides when everything stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(runtime: Runtime) -> _Server:
    settings = runtime.settings
    config = uvicorn.Config(
        create_app(runtime),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        # Behind a proxy the public scheme and client address come from X-Forwarded-*.
        proxy_headers=True,
        lifespan="on",
    )
    return _Server(config)


def _settle_start_up_objects() -> None:
    """Hide what start-up built from the garbage collector for the rest of the process's life.

    Modules, templates, the ORM's metadata, holiday and phone-number tables live as long as the
    process; without this every full collection walks them again, a 50-90 ms pause at 300
    updates/s (bench/send.py) that lands on whichever requests are in flight.
    """
    gc.collect()
    gc.freeze()


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`: the process finishes what it is doing and closes cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _until_stopped(server: _Server, stop: asyncio.Event) -> None:
    await stop.wait()
    server.should_exit = True


async def _register_webhook_if_public(runtime: Runtime) -> None:
    settings = runtime.settings
    if not (settings.telegram_enabled and settings.public_base_url):
        return
    from bot.providers.telegram.webhook import application_for, register_webhook

    url = await register_webhook(runtime, application_for(runtime))
    log.info("telegram webhook registered at %s", url)


async def serve_web(runtime: Runtime, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    server = _server(runtime)
    await _register_webhook_if_public(runtime)
    _settle_start_up_objects()
    watcher = asyncio.create_task(_until_stopped(server, stop))
    try:
        await server.serve()
    finally:
        stop.set()
        await watcher


async def run_all(runtime: Runtime, stop: asyncio.Event | None = None) -> None:
    from scheduler.clock import run_clock
    from scheduler.dispatch import run_worker

    settings = runtime.settings
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    server = _server(runtime)
    tasks = [
        asyncio.create_task(server.serve(), name="web"),
        asyncio.create_task(run_clock(runtime, stop=stop), name="clock"),
        asyncio.create_task(run_worker(runtime, stop=stop), name="worker"),
        asyncio.create_task(_until_stopped(server, stop), name="stopper"),
    ]
    polling = None
    if settings.telegram_enabled and not settings.public_base_url:
        from bot.providers.telegram.polling import start_polling
        from bot.providers.telegram.webhook import application_for

        polling = start_polling(runtime, application_for(runtime))
        log.info("telegram: long polling (PUBLIC_BASE_URL is not set)")
    else:
        await _register_webhook_if_public(runtime)
    _settle_start_up_objects()
    log.info(
        "all-in-one: web on http://%s:%s, clock and worker running",
        settings.http_host,
        settings.http_port,
    )
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is not None and task.get_name() != "stopper":
                log.error("%s stopped unexpectedly: %r", task.get_name(), task.exception())
    finally:
        stop.set()
        if polling is not None:
            await polling.stop()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("%s ended with %r", task.get_name(), result)
