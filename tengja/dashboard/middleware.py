from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tengja.dashboard.context_processors import header_depends_on, read_ahead
from tengja.lib import versions


def versions_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    """Each request reads a version's token once (tengja.lib.versions.request_scope),
    the header's with the first ones the page asks for, and the kept header and
    footer with the page's first fragment: one round trip to the cache for all
    of a kept page's tokens and fragments."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        signed_in = user.is_authenticated
        with versions.request_scope(
            also=header_depends_on(user.pk) if signed_in else [],
            ahead=(lambda: read_ahead(request)) if signed_in else None,
        ):
            return get_response(request)

    return middleware
