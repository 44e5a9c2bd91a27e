from functools import cache

from django.http import HttpRequest

from tengja.professionals.models import Professional
from tengja.professionals.selectors import professional_of_request


def professionals(request: HttpRequest) -> dict:
    """The signed-in user's own professional profile (or None), looked up at most
    once per request, for the header's Practice link and the professional's Home."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def own_professional() -> Professional | None:
        return professional_of_request(request)

    return {"own_professional": own_professional}
