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

And Django went to that thread three times per request: for request_started,
for the chain and view, and to close the response once sent. A page's response
is whole when the view returns, so here it is closed there and then (which
sends request_finished and hands the database connection back before the
first byte goes out, not after the last): one trip per request, which was a
fifth of the server's time for a page. A streaming response (a static file, a
download) is Django's: sent while the client is listened to, closed after.

Reading the body, sending and streaming the response and the client
disconnecting from a stream are Django's own.
"""

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.urls import set_script_prefix


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

    async def handle(self, scope, receive, send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            # Thread-sensitive: the request's own thread (see above).
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
        finally:
            body_file.close()
        if not response.streaming:
            await self.send_response(response, send)  # closed already
            return
        # As Django does: stop streaming to a client that has gone, then close.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(self.send_response(response, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if not task.done():
                task.cancel()
            with contextlib.suppress(RequestAborted, asyncio.CancelledError):
                await task
        await sync_to_async(response.close, thread_sensitive=True)()

    def respond(self, scope, body_file) -> HttpResponseBase:
        """The request's synchronous part, in one go: request_started, the
        middleware and view, and request_finished unless the response streams."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # Not used by `handle`. Django's own would await the synchronous chain.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
