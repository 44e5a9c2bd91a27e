from django.http import HttpRequest

from tengja.dashboard.selectors import header_of_request


def header(request: HttpRequest) -> dict:
    """What the header shows of the signed-in person, read from the database on
    each request that shows it, in one query (dashboard.selectors.header_values):
    the unread counts (notices, conversations), the hub behind the house-and-heart icon, and whether they
    have a practice. Each is a callable that templates call, so a page that shows
    no header asks nothing; it gets a real value (Icelandic's plural rule takes
    `n % 10` of the count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": lambda: header_of_request(request)["unread"],
        "member_hub": lambda: header_of_request(request)["hub"],
        "has_practice": lambda: header_of_request(request)["has_practice"],
        "unread_messages": lambda: header_of_request(request)["unread_messages"],
    }
