"""iCalendar files: one event per booking, with a stable UID, so a calendar app
updates (or cancels) its copy instead of adding another."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from tengja.bookings.models import Booking


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.code}@tengja"


def booking_event(booking: Booking, *, for_professional: bool) -> Event:
    event = Event()
    other = booking.client.name if for_professional and booking.client else None
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


def calendar_for(
    bookings: list[Booking], *, for_professional_of: int | None = None, method: str | None = None
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tengja//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Tengja")
    if method:
        calendar.add("method", method)
    for booking in bookings:
        calendar.add_component(
            booking_event(
                booking, for_professional=booking.professional.user_id == for_professional_of
            )
        )
    return calendar.to_ical()


def booking_ics(booking: Booking, *, for_professional: bool) -> bytes:
    """The attachment of a confirmation, change (REQUEST) or cancellation (CANCEL)."""
    method = "CANCEL" if booking.is_cancelled else "REQUEST"
    owner = booking.professional.user_id if for_professional else None
    return calendar_for([booking], for_professional_of=owner, method=method)
