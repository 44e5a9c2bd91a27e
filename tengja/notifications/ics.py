"""iCalendar files: one event per booking, with a stable UID, so a calendar app
updates (or cancels) its copy instead of adding another.

Each file is written in its reader's language. The e-mailed files are iTIP
messages (RFC 5546): a REQUEST or a CANCEL names its ORGANIZER and ATTENDEE.
The organizer is the professional by name (CN) on our no-reply address, the
address the e-mail comes from: calendar apps send a reply (accept, decline) to
the organizer's address, and nobody should get those, since a session is
changed in Tengja and not by answering an invitation (nor should clients
learn a professional's own address from it). Gmail also trusts an invitation
more when the organizer is the sender. The attendee is the reader, already
accepted and asked for no reply (RSVP=FALSE). The private feed and the
session's download are plain calendars (no METHOD), so they carry neither:
a subscribed calendar has nobody to answer.
"""

from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_recipient


def booking_uid(booking: Booking) -> str:
    # Never change it: calendars already hold events under this UID.
    return f"booking-{booking.code}@tengja"


def booking_summary(booking: Booking, *, for_professional: bool) -> str:
    """The event's title in the active language: the type and the other person."""
    other = booking.client_label if for_professional else booking.professional.user.name
    return _("%(type)s with %(name)s") % {"type": booking.session_type.name, "name": other}


def booking_description(booking: Booking) -> str:
    if booking.is_on_site:
        return _("Session page: %(url)s") % {"url": booking_url(booking)}
    return _("Session page and video: %(url)s") % {"url": booking_url(booking)}


def booking_location(booking: Booking) -> str:
    """An on-site session's address as calendars show a place: on one line. (The
    icalendar library escapes it as RFC 5545 says: commas, semicolons,
    backslashes and line ends.)"""
    return ", ".join(booking.location.splitlines())


def booking_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("bookings:detail", kwargs={"code": booking.code})


def booking_event(booking: Booking, *, for_professional: bool) -> Event:
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", booking_summary(booking, for_professional=for_professional))
    event.add("url", booking_url(booking))
    event.add("description", booking_description(booking))
    if booking.is_on_site:
        # A video session has no LOCATION, as before: its place is the URL.
        event.add("location", booking_location(booking))
    event.add("status", "CANCELLED" if booking.is_cancelled else "CONFIRMED")
    return event


def _organizer(booking: Booking) -> vCalAddress:
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["CN"] = vText(booking.professional.user.name)
    organizer.params["ROLE"] = vText("CHAIR")
    return organizer


def _attendee(email: str, name: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    if name:
        attendee.params["CN"] = vText(name)
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("ACCEPTED")
    attendee.params["RSVP"] = vText("FALSE")
    return attendee


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Tengja//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Tengja")
    if method:
        calendar.add("method", method)
    return calendar


def calendar_for(bookings: list[Booking], *, viewer: User) -> bytes:
    """The private feed: each session as its viewer (client or professional) sees
    it, in the viewer's language (the request comes from a calendar server)."""
    calendar = _calendar()
    with translation.override(viewer.language):
        for booking in bookings:
            is_professional = booking.role_of(viewer) == Booking.Role.PROFESSIONAL
            calendar.add_component(booking_event(booking, for_professional=is_professional))
    return calendar.to_ical()


def booking_calendar_file(booking: Booking, *, viewer: User) -> bytes:
    """One session to download from its page, for the viewer, in their language."""
    return calendar_for([booking], viewer=viewer)


def booking_ics(booking: Booking, *, role: str) -> bytes:
    """The attachment of a confirmation, change (REQUEST) or cancellation (CANCEL),
    for the booking's client or professional, in their language."""
    return bookings_ics([booking], role=role)


def bookings_ics(bookings: list[Booking], *, role: str) -> bytes:
    """One attachment for sessions told of together (a series): each its own
    VEVENT with its own UID, all REQUEST or all CANCEL (as the first one is), so a
    calendar app later moves or cancels one of them alone."""
    first = bookings[0]
    email, language, _zone = booking_recipient(first, role)
    for_professional = role == Booking.Role.PROFESSIONAL
    person = first.professional.user if for_professional else first.client
    calendar = _calendar("CANCEL" if first.is_cancelled else "REQUEST")
    with translation.override(language):
        for booking in bookings:
            event = booking_event(booking, for_professional=for_professional)
            event.add("organizer", _organizer(booking))
            event.add("attendee", _attendee(email, person.name if person else ""))
            calendar.add_component(event)
    return calendar.to_ical()
