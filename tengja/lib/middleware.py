from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control


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

    # Django reads process_exception off the middleware; mypy allows no attributes on functions.
    middleware.process_exception = process_exception  # type: ignore[attr-defined]
    return middleware


def private_responses_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """What a signed-in person is sent shows their data (at the least the header's
    name and notices), and so does a page reached by a secret link (an invitation,
    a confirmation, the calendar feed: a URL with a `token`): no browser or proxy
    keeps it (`private, no-store`), for the back button after signing out, a
    shared computer, a misconfigured proxy. A response that says itself how it
    may be kept is left as it is; static files are answered before this runs
    (WhiteNoise) and public pages seen by visitors keep their own caching."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control") and (
            request.user.is_authenticated
            or "token" in getattr(request.resolver_match, "kwargs", {})
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def permissions_policy_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """Every response turns off the browser's powerful features
    (settings.PERMISSIONS_POLICY); a view that needs one sends its own header
    (the call page: `permissions_policy_with`)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = permissions_policy_with()
        return response

    return middleware


def permissions_policy_with(**allowed: str) -> str:
    """The Permissions-Policy header: settings.PERMISSIONS_POLICY, with `allowed`'s
    features (underscores for dashes) given the allowlists there, e.g.
    camera='(self)'."""
    policy = dict(settings.PERMISSIONS_POLICY)
    policy.update({name.replace("_", "-"): value for name, value in allowed.items()})
    return ", ".join(f"{name}={value}" for name, value in policy.items())
