from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    # Not "site_name": Django's LoginView puts the request's host under that name.
    return {"product_name": settings.SITE_NAME, "debug": settings.DEBUG}
