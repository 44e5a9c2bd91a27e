"""How many HTTP requests a server process works on at once."""

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpConcurrencyLimit:
    """Let at most `limit` HTTP requests into Django at once; the others wait their
    turn, in order of arrival, in the event loop, where waiting costs nothing.

    Django runs a request's synchronous middleware and view in a thread started
    for that request. With nothing in front, every request that arrives gets one
    at once: under load a process ran hundreds of threads that took turns on the
    GIL while each held one of the database pool's connections, so the pool ran
    dry and requests failed after its timeout. A request keeps its place until
    its response starts: a slow client downloading a file holds nobody up.
    WebSocket connections are not counted.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.semaphore = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.semaphore.acquire()
        holding = True

        def release() -> None:
            nonlocal holding
            if holding:
                holding = False
                self.semaphore.release()

        async def send_and_release(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            release()
