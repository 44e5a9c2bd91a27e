"""When a session is, for calendars and e-mails: add-to-calendar links for a
session page (a template tag, so that bookings' templates can offer them while
bookings itself knows nothing of notifications), and `session_when`, the date
and times booking e-mails give."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format

from tengja.bookings.models import Booking
from tengja.notifications.ics import booking_description, booking_location, booking_summary

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
    if booking.is_on_site:
        google["location"] = outlook["location"] = booking_location(booking)
    return {"google": f"{GOOGLE}?{urlencode(google)}", "outlook": f"{OUTLOOK}?{urlencode(outlook)}"}


@register.inclusion_tag("notifications/add_to_calendar.html", takes_context=True)
def add_to_calendar(context, booking: Booking) -> dict:
    viewer = context["request"].user
    is_professional = booking.role_of(viewer) == Booking.Role.PROFESSIONAL
    return {"booking": booking, **calendar_links(booking, for_professional=is_professional)}


@register.simple_tag
def session_when(booking: Booking) -> str:
    """When a session is, as e-mails say it: its date, its start and end times
    and the zone ("Tuesday 24 November 2026, 14:00 to 14:50 (Atlantic/Reykjavik)",
    with an en dash between the times), in the active language and zone.

    An e-mail says it in its text and again in its HTML; Django's date formatting
    costs 30 µs a call, so it is worked out once per e-mail (kept on the session,
    for the language, zone and times it was worked out for)."""
    if not isinstance(booking, Booking):
        return ""  # as a filter says nothing of a missing variable
    zone = timezone.get_current_timezone_name()
    key = (translation.get_language(), zone, booking.starts_at, booking.ends_at)
    said = booking.__dict__.setdefault("_said_when", {})
    if key not in said:
        starts = timezone.localtime(booking.starts_at)
        ends = timezone.localtime(booking.ends_at)
        said[key] = (
            f"{date_format(starts, 'DATE_FORMAT')}, {time_format(starts, 'TIME_FORMAT')}"
            f"–{time_format(ends, 'TIME_FORMAT')} ({zone})"
        )
    return said[key]
