from django.http import HttpRequest

from tengja.lib.limits import sign_in_failed


def lockout_username(request: HttpRequest, credentials: dict | None) -> str:
    """The address a sign-in attempt names, in lower case, so that changing the
    case of an address does not buy an attacker a fresh set of attempts."""
    source = credentials if credentials is not None else request.POST
    return (source.get("username") or "").strip().lower()


def sign_in_failure_counted(
    sender, credentials: dict, request: HttpRequest | None = None, **kwargs
) -> None:
    """django-axes counts failures of one address from one client address; this
    counts every failure from one client address, whatever the account, so that
    trying one password on many accounts (spraying) is stopped too."""
    if request is not None:
        sign_in_failed(request=request)
