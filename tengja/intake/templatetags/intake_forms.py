"""The forms a session's client must still complete, for the session page.

A template tag, so that bookings' page shows them without bookings importing
intake (the layers of tests/bookings/test_events.py)."""

from django import template

from tengja.bookings.models import Booking
from tengja.intake.responses import forms_for_session

register = template.Library()


@register.inclusion_tag("intake/response_session.html", takes_context=True)
def session_forms(context: template.Context, booking: Booking) -> dict:
    return {"forms": forms_for_session(booking=booking, user=context["user"])}
