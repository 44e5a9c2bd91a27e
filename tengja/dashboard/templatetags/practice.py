"""The practice's navigation (templates/dashboard/practice_nav.html), on every
/practice/ page: how many session requests wait for an answer."""

from django import template

from tengja.bookings.request_selectors import requests_open_count_of_user

register = template.Library()


@register.simple_tag(takes_context=True)
def open_requests_count(context: template.Context) -> int:
    """Requests open and not yet expired: the overview's own count
    (bookings.views.practice: the same rows), else one query."""
    counted = context.get("open_requests")
    if isinstance(counted, int):
        return counted
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return requests_open_count_of_user(user=request.user)
