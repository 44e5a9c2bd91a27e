from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: dict | None) -> str:
    """The address a sign-in attempt names, in lower case, so that changing the
    case of an address does not buy an attacker a fresh set of attempts."""
    source = credentials if credentials is not None else request.POST
    return (source.get("username") or "").strip().lower()
