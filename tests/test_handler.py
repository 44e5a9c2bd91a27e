"""Tengja's ASGI handler (tengja.lib.handler) runs a request's synchronous
middleware and view in one thread, with no trip back to the event loop between
them, in one trip to that thread, on threads used again, and is the one the
server runs."""

import asyncio
import threading

import pytest
from asgiref import sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.http import StreamingHttpResponse
from django.urls import path

from tengja.lib.handler import SyncChainASGIHandler


def count_calls(monkeypatch, cls) -> list:
    calls = []
    original = cls.__call__

    def counted(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", counted)
    return calls


@pytest.fixture
def loop_returns(monkeypatch):
    """How many times the request's thread handed work back to the event loop."""
    return count_calls(monkeypatch, sync.AsyncToSync)


@pytest.fixture
def thread_trips(monkeypatch):
    """How many times a request's work was handed from the event loop to a thread."""
    return count_calls(monkeypatch, sync.SyncToAsync)


@pytest.fixture
def events():
    """request_started and request_finished, in order with what the client got."""
    seen = []

    def started(**kwargs):
        seen.append("started")

    def finished(**kwargs):
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    yield seen
    request_started.disconnect(started)
    request_finished.disconnect(finished)


def scope_for(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
    }


async def get(app, path: str) -> tuple[int, dict, bytes]:
    communicator = ApplicationCommunicator(app, scope_for(path))
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=10)
    body = b""
    while True:
        message = await communicator.receive_output(timeout=10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(timeout=10)  # the response closed, request_finished sent
    return start["status"], {k.lower(): v for k, v in start["headers"]}, body


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_goes_through_every_middleware_without_a_trip_back(loop_returns):
    status, headers, body = await get(SyncChainASGIHandler(), "/accounts/terms/")
    assert status == 200 and b"Terms" in body
    # The middleware ran: the security headers, the CSRF cookie of the footer's form.
    assert b"content-security-policy" in headers and b"x-content-type-options" in headers
    assert b"csrftoken" in headers.get(b"set-cookie", b"")
    assert loop_returns == []
    # Django's own handler, for comparison, goes back once per request.
    status, _, _ = await get(ASGIHandler(), "/accounts/terms/")
    assert status == 200 and len(loop_returns) == 1


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_request_keeps_one_thread_which_the_next_request_uses_again():
    seen = []

    def started(**kwargs):
        seen.append(("started", threading.current_thread()))

    def finished(**kwargs):
        seen.append(("finished", threading.current_thread()))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        app = SyncChainASGIHandler()
        for _ in range(2):
            status, _, _ = await get(app, "/accounts/terms/")
            assert status == 200
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert [kind for kind, _ in seen] == ["started", "finished"] * 2
    threads = {thread for _, thread in seen}
    # request_finished hands the request's database connection back on the thread
    # that holds it; the second request did not start a thread of its own.
    assert len(threads) == 1 and threading.main_thread() not in threads
    assert len(app._idle) == 1


def test_the_server_runs_tengjas_handler():
    from tengja.asgi import application, django_asgi_app

    assert isinstance(django_asgi_app, SyncChainASGIHandler)
    assert application.application_mapping["http"].app is django_asgi_app


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_is_one_trip_to_its_thread_and_closed_before_it_is_sent(thread_trips, events):
    sent = []

    async def receive():
        if not sent:
            return {"type": "http.request", "body": b""}
        await asyncio.Event().wait()  # the client stays

    async def send(message):
        sent.append(message)
        events.append(message["type"])

    await SyncChainASGIHandler()(scope_for("/accounts/terms/"), receive, send)

    assert sent[0]["status"] == 200 and b"Terms" in sent[1]["body"]
    # request_finished (the database connection back to the pool) before the
    # first byte: the page was whole when the view returned.
    assert events == ["started", "finished", "http.response.start", "http.response.body"]
    assert len(thread_trips) == 1
    # Django's own handler goes to a thread more than once per request.
    thread_trips.clear()
    status, _, _ = await get(ASGIHandler(), "/accounts/terms/")
    assert status == 200 and len(thread_trips) > 1


def stream_view(request):
    return StreamingHttpResponse(iter([b"one,", b"two,", b"three"]))


def endless_view(request):
    async def chunks():  # Django reads a synchronous iterator whole before sending
        while True:
            yield b"x" * 1000
            await asyncio.sleep(0)

    return StreamingHttpResponse(chunks())


urlpatterns = [path("stream/", stream_view), path("endless/", endless_view)]


@pytest.mark.asyncio
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
async def test_a_streaming_response_is_closed_after_it_is_sent(events):
    status, _, body = await get(SyncChainASGIHandler(), "/stream/")

    assert status == 200 and body == b"one,two,three"
    assert events == ["started", "finished"]  # finished after the body (get() waits for it)


@pytest.mark.asyncio
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
async def test_a_stream_stops_when_its_client_goes(events):
    chunks = 0
    gone = asyncio.Event()
    asked = []

    async def receive():
        asked.append(True)
        if len(asked) == 1:
            return {"type": "http.request", "body": b""}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal chunks
        if message["type"] == "http.response.body":
            chunks += 1
            if chunks == 3:
                gone.set()
        await asyncio.sleep(0)

    await asyncio.wait_for(SyncChainASGIHandler()(scope_for("/endless/"), receive, send), 10)

    assert 3 <= chunks < 1000  # it stopped soon after
    assert events == ["started", "finished"]
