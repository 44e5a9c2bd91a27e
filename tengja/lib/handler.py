"""Django's ASGI handler, running a request's middleware and view in one thread,
on threads that are used again.

Tengja's middleware and views are synchronous. Django's ASGI handler builds its
middleware chain for async, so with synchronous middleware a request went from
the event loop to a thread for the middleware, back to the event loop at the
innermost synchronous middleware (`async_to_sync`), and to the thread again for
the view: four hand-overs through the event loop per request, each waiting for
the loop's turn under load. Here the chain is built as WSGI builds it and run
in one `sync_to_async` call.

Django also started a thread for every request (ThreadSensitiveContext) and
joined it at the end. Here a request takes an idle one, as a threaded WSGI
server does: all of a request's synchronous work (the request_started signal,
the chain, closing the response) still runs on its one thread, the thread its
database connection belongs to and request_finished hands back to the pool.

Everything else (reading the body, the signals, sending and streaming the
response, the client disconnecting) is Django's own.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        # One thread each (an executor of one): only the event loop's thread
        # takes and returns them. HTTP_CONCURRENCY requests work at once, and a
        # few more finish sending: beyond twice that, a thread is let go.
        self._idle: list[ThreadPoolExecutor] = []
        self._keep = 2 * settings.HTTP_CONCURRENCY

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = (
            self._idle.pop()
            if self._idle
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            # A view still running after its client left finishes first: the
            # next request on this thread waits its turn.
            if len(self._idle) < self._keep:
                self._idle.append(thread)
            else:
                thread.shutdown(wait=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # Thread-sensitive: the request's own thread (see above).
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
