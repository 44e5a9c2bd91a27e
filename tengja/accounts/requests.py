"""The request a signed-in view is given, for type annotations."""

from django.http import HttpRequest

from tengja.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """For annotations only: the request of a view behind `login_required`, whose
    user is signed in (never AnonymousUser). Django builds plain HttpRequests. It
    lives with the user (not in tengja.lib, which names no domain)."""

    user: User
