"""iCalendar files: one event per booking, with a stable UID, so a calendar app
updates (or cancels) its copy instead of adding another."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from tengja.accounts.models import User
from tengja.bookings.models import Booking


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.code}@tengja"


def booking_event(booking: Booking, *, for_professional: bool) -> Event:
    event = Event()
    other = booking.client.display_name if for_professional and booking.client else None
    with_name = other or booking.professional.user.name
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add(
        "summary",
        _("%(type)s with %(name)s") % {"type": booking.session_type.name, "name": with_name},
    )
    url = settings.SITE_URL + reverse("bookings:detail", kwargs={"code": booking.code})
    event.add("url", url)
    event.add("description", _("Session page and video: %(url)s") % {"url": url})
    event.add("status", "CANCELLED" if booking.is_cancelled else "CONFIRMED")
    return event


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Tengja//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Tengja")
    if method:
        calendar.add("method", method)
    return calendar


def calendar_for(bookings: list[Booking], *, viewer: User) -> bytes:
    """The private feed: each session as its viewer (client or professional) sees it."""
    calendar = _calendar()
    for booking in bookings:
        is_professional = booking.role_of(viewer) == Booking.Role.PROFESSIONAL
        calendar.add_component(booking_event(booking, for_professional=is_professional))
    return calendar.to_ical()


def booking_ics(booking: Booking, *, for_professional: bool) -> bytes:
    """The attachment of a confirmation, change (REQUEST) or cancellation (CANCEL)."""
    calendar = _calendar("CANCEL" if booking.is_cancelled else "REQUEST")
    calendar.add_component(booking_event(booking, for_professional=for_professional))
    return calendar.to_ical()
