"""Tengja's ASGI handler (tengja.lib.handler) runs a request's synchronous
middleware and view in one thread, with no trip back to the event loop between
them, on threads used again, and is the one the server runs."""

import threading

import pytest
from asgiref import sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started

from tengja.lib.handler import SyncChainASGIHandler


@pytest.fixture
def loop_returns(monkeypatch):
    """How many times the request's thread handed work back to the event loop."""
    calls = []
    original = sync.AsyncToSync.__call__

    def counted(self, *args, **kwargs):
        calls.append(self.awaitable)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted)
    return calls


async def get(app, path: str) -> tuple[int, dict, bytes]:
    scope = {
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
    communicator = ApplicationCommunicator(app, scope)
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
