"""Django's ASGI handler, running a request's middleware and view in one thread.

Tengja's middleware and views are synchronous. Django's ASGI handler builds its
middleware chain for async, so with synchronous middleware a request went from
the event loop to a thread for the middleware, back to the event loop at the
innermost synchronous middleware (`async_to_sync`), and to the thread again for
the view: four hand-overs through the event loop per request, each waiting for
the loop's turn under load. Here the chain is built as WSGI builds it and run
in one `sync_to_async` call, so a request crosses once each way. Everything
else (reading the body, the request_started/finished signals, sending and
streaming the response, the client disconnecting) is Django's own.
"""

from asgiref.sync import sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # Thread-sensitive: the request's own thread (ThreadSensitiveContext), the
        # one its database connection belongs to and request_finished closes.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
