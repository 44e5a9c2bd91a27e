from functools import cache

from django.http import HttpRequest

from tengja.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict:
    """The unread count for the header, counted only if a page shows it.

    A callable, not a lazy object: templates call it and get a real int, which
    filters and plural rules (Icelandic's takes `n % 10`) can compute with. It
    counts once per request however often a page asks.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread_notifications() -> int:
        return unread_count(user=user)

    return {"unread_notifications": unread_notifications}
