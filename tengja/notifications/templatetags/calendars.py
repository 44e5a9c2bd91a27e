"""Add-to-calendar links for a session page. A template tag, so that bookings'
templates can offer them while bookings itself knows nothing of notifications."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django import template

from tengja.bookings.models import Booking
from tengja.notifications.ics import booking_description, booking_summary

register = template.Library()

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"


def _utc(moment: datetime, fmt: str) -> str:
    return moment.astimezone(UTC).strftime(fmt)


def calendar_links(booking: Booking, *, for_professional: bool) -> dict[str, str]:
    """Google Calendar's and Outlook's 'new event' addresses, filled in, in UTC
    (each app shows it in its own zone), in the active language."""
    title = booking_summary(booking, for_professional=for_professional)
    details = booking_description(booking)
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{_utc(booking.starts_at, '%Y%m%dT%H%M%SZ')}/"
        f"{_utc(booking.ends_at, '%Y%m%dT%H%M%SZ')}",
        "details": details,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": _utc(booking.starts_at, "%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(booking.ends_at, "%Y-%m-%dT%H:%M:%SZ"),
        "body": details,
    }
    return {"google": f"{GOOGLE}?{urlencode(google)}", "outlook": f"{OUTLOOK}?{urlencode(outlook)}"}


@register.inclusion_tag("notifications/add_to_calendar.html", takes_context=True)
def add_to_calendar(context, booking: Booking) -> dict:
    viewer = context["request"].user
    is_professional = booking.role_of(viewer) == Booking.Role.PROFESSIONAL
    return {"booking": booking, **calendar_links(booking, for_professional=is_professional)}
