"""The calendar files read right: in the reader's language, and as RFC 5546 wants
an invitation or a cancellation to be, checked by two independent parsers."""

import vobject
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from tengja.bookings.services import booking_cancel
from tengja.notifications.feed import feed_token_for


def attachment(message) -> bytes:
    [found] = [a for a in message.attachments if a[0] == "invite.ics"]
    return found[1] if isinstance(found[1], bytes) else found[1].encode()


def both(ics: bytes):
    """The file as icalendar and as vobject read it."""
    return Calendar.from_ical(ics), vobject.readOne(ics.decode())


def test_an_invitation_names_the_professional_as_organizer_on_the_no_reply_address(
    book, alice, professional, settings
):
    settings.DEFAULT_FROM_EMAIL = "Tengja <no-reply@tengja.example>"
    book(alice.email)
    calendar, card = both(attachment(mail.outbox[-1]))

    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:no-reply@tengja.example"
    assert event["ORGANIZER"].params["CN"] == "Helga Sigurðardóttir"
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{alice.email}"
    assert attendee.params["CN"] == "Alice Andersen"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"

    assert card.method.value == "REQUEST"
    assert card.vevent.organizer.value == "mailto:no-reply@tengja.example"
    assert card.vevent.organizer.params["CN"] == ["Helga Sigurðardóttir"]
    [vattendee] = card.vevent.attendee_list
    assert vattendee.value == f"mailto:{alice.email}"
    assert vattendee.params["RSVP"] == ["FALSE"]
    assert card.vevent.uid.value == str(event["UID"])
    assert card.vevent.dtstart.value == event["DTSTART"].dt
    # The professional's own address appears nowhere in the client's copy.
    assert professional.user.email not in attachment(mail.outbox[-1]).decode()


def test_an_invited_address_without_an_account_is_the_attendee(book):
    book("new.person@example.com")
    calendar, card = both(attachment(mail.outbox[-1]))
    [event] = calendar.walk("VEVENT")
    assert str(event["ATTENDEE"]) == "mailto:new.person@example.com"
    assert "CN" not in event["ATTENDEE"].params
    assert card.vevent.attendee.value == "mailto:new.person@example.com"


def test_a_cancellation_carries_organizer_and_attendee_too(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=alice)  # the professional is told
    message = mail.outbox[-1]
    assert message.to == [professional.user.email]
    calendar, card = both(attachment(message))
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert event["ORGANIZER"].params["CN"] == "Helga Sigurðardóttir"
    assert str(event["ATTENDEE"]) == f"mailto:{professional.user.email}"
    # The professional's copy is titled with the client.
    assert "Alice Andersen" in str(event["SUMMARY"])
    assert card.method.value == "CANCEL"
    assert card.vevent.status.value == "CANCELLED"
    assert card.vevent.attendee.value == f"mailto:{professional.user.email}"


def test_the_attachment_speaks_the_recipients_language(book, alice):
    alice.language = "is"
    alice.save()
    book(alice.email)
    calendar, card = both(attachment(mail.outbox[-1]))
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Individual session – Helga Sigurðardóttir"
    assert str(event["DESCRIPTION"]).startswith("Síða tímans og myndfundur: ")
    assert card.vevent.summary.value == str(event["SUMMARY"])


def test_the_feed_speaks_its_owners_language_and_invites_no_replies(client, alice, book):
    alice.language = "is"
    alice.save()
    book(alice.email)
    url = reverse("notifications:feed", args=[alice.pk, feed_token_for(user=alice)])
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content
    calendar, card = both(body)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]).endswith("– Helga Sigurðardóttir")
    assert "METHOD" not in calendar and "ATTENDEE" not in event
    assert card.vevent.summary.value == str(event["SUMMARY"])
