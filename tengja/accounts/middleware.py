import zoneinfo
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation

from tengja.accounts.models import time_zone_names
from tengja.accounts.selectors import second_factor_required, two_factor_enabled

TIME_ZONE_COOKIE = "tengja_tz"


def request_time_zone(request: HttpRequest) -> str:
    """The profile's zone for a signed-in user; the browser's (set by JS) for a visitor."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.time_zone
    candidate = unquote(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
    return candidate if candidate in time_zone_names() else settings.TIME_ZONE


def preferences_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """Activate the signed-in user's language and time zone for the request.

    Runs after LocaleMiddleware, which has already picked a language for a
    visitor from the language cookie or the browser's Accept-Language.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language in dict(settings.LANGUAGES):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        timezone.activate(zoneinfo.ZoneInfo(request_time_zone(request)))
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware


# What a person who must set up two-step sign-in can still reach.
SECOND_FACTOR_EXEMPT = {
    "accounts:two_factor",
    "accounts:logout",
    "accounts:set_language",
    "accounts:terms",
    "health",
}


def second_factor_required_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """With REQUIRE_2FA_FOR_STAFF, a professional or HR admin signed in without a
    second step goes to set it up before anything else; one who has it but whose
    session never passed it (signed in before, elsewhere) signs in again."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_view(request: HttpRequest, view_func, view_args, view_kwargs):
        if not settings.REQUIRE_2FA_FOR_STAFF:
            return None
        user = request.user
        # django_otp's OTPMiddleware (untyped) gives the user is_verified.
        if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return None
        match = request.resolver_match
        if match is None or match.view_name in SECOND_FACTOR_EXEMPT:
            return None
        if not second_factor_required(user=user):
            return None
        if two_factor_enabled(user=user):
            logout(request)
            return redirect_to_login(request.get_full_path())
        return redirect("accounts:two_factor")

    # Django reads process_view off the middleware; mypy allows no attributes on functions.
    middleware.process_view = process_view  # type: ignore[attr-defined]
    return middleware
