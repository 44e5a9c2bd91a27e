"""At most HTTP_CONCURRENCY requests at once in Django (tengja.lib.concurrency)."""

import asyncio

import pytest

from tengja.lib.concurrency import HttpConcurrencyLimit


class SlowApp:
    """An ASGI app that counts how many requests it is working on at once."""

    def __init__(self, *, body_chunks: int = 1) -> None:
        self.running = 0
        self.most = 0
        self.started: list[int] = []
        self.body_chunks = body_chunks

    async def __call__(self, scope, receive, send) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        self.started.append(scope["n"])
        await asyncio.sleep(0.01)
        self.running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(self.body_chunks):
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.body", "body": b""})


async def noop_receive():
    return {"type": "http.request", "body": b""}


async def noop_send(message) -> None:
    pass


@pytest.mark.asyncio
async def test_requests_beyond_the_limit_wait_and_go_in_order():
    app = SlowApp()
    limited = HttpConcurrencyLimit(app, limit=2)
    await asyncio.gather(
        *(limited({"type": "http", "n": n}, noop_receive, noop_send) for n in range(6))
    )
    assert app.most == 2
    assert app.started == list(range(6))


@pytest.mark.asyncio
async def test_a_slow_download_does_not_hold_its_place():
    app = SlowApp(body_chunks=3)
    limited = HttpConcurrencyLimit(app, limit=1)
    slow_client = asyncio.Event()

    async def slow_send(message) -> None:
        if message["type"] == "http.response.body":
            await slow_client.wait()

    download = asyncio.create_task(limited({"type": "http", "n": 0}, noop_receive, slow_send))
    await asyncio.wait_for(limited({"type": "http", "n": 1}, noop_receive, noop_send), 1)
    assert not download.done()
    slow_client.set()
    await download


@pytest.mark.asyncio
async def test_a_failing_request_gives_its_place_back():
    async def failing(scope, receive, send) -> None:
        raise RuntimeError("boom")

    limited = HttpConcurrencyLimit(failing, limit=1)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(limited({"type": "http"}, noop_receive, noop_send), 1)


@pytest.mark.asyncio
async def test_websockets_are_not_counted():
    entered = asyncio.Event()
    leave = asyncio.Event()

    async def app(scope, receive, send) -> None:
        if scope["type"] == "websocket":
            entered.set()
            await leave.wait()

    limited = HttpConcurrencyLimit(app, limit=1)
    socket = asyncio.create_task(limited({"type": "websocket"}, noop_receive, noop_send))
    await entered.wait()
    await asyncio.wait_for(limited({"type": "http"}, noop_receive, noop_send), 1)
    leave.set()
    await socket
