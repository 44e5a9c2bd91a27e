"""Required details on the pages of sessions: `{% load client_details %}`.

`{% details_card bookings %}` asks the signed-in client for what their
professionals still wait for (Home, the session page); `{% details_missing
booking as missing %}` is what the session's professional still waits for.
Each is one query at most, however many sessions (none when no professional of
them requires anything)."""

from collections.abc import Sequence
from urllib.parse import urlencode

from django import template
from django.utils.functional import Promise

from tengja.bookings.models import Booking
from tengja.intake.details import details_asks, details_missing_by_pair, labels

register = template.Library()


@register.inclusion_tag("intake/details_card.html", takes_context=True)
def details_card(context: template.Context, bookings: Booking | Sequence[Booking]) -> dict:
    user = context["user"]
    rows = [bookings] if isinstance(bookings, Booking) else list(bookings)
    asks = details_asks(user=user, bookings=rows) if user.is_authenticated else []
    # Back to this page once given (Home, or the session with its Join button).
    request = context.get("request")
    back = f"?{urlencode({'next': request.get_full_path()})}" if request is not None else ""
    return {"asks": asks, "back": back}


@register.simple_tag
def details_missing(booking: Booking) -> list[Promise]:
    if booking.client_id is None:
        return []
    missing = details_missing_by_pair([booking])
    return labels(missing.get((booking.professional_id, booking.client_id), []))
