import zoneinfo
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from tengja.accounts.models import time_zone_names

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
