from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def database_unavailable_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """A lost database connection mid-request: the transaction was rolled back, so
    nothing is half-written; say so and ask for a retry (503) instead of a bare 500."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_exception(request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            response = render(request, "503.html", status=503, using=None)
            response["Retry-After"] = "5"
            return response
        return None

    middleware.process_exception = process_exception
    return middleware
