"""Every e-mail about an on-site session says where it is, in the reader's
language, in its text and its HTML, and offers no call; its calendar file
names the place in LOCATION, escaped as RFC 5545 says. A video session's
e-mails and files are as they were."""

from datetime import timedelta

import pytest
import vobject
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel, booking_create, booking_invite, booking_move
from tengja.notifications.ics import booking_calendar_file
from tengja.notifications.models import Delivery
from tengja.notifications.services import delivery_send
from tests.factories import SessionTypeFactory

# A comma, a semicolon, an ampersand and a second line: each must survive.
ADDRESS = "Laugavegur 26; 3. hæð, Hús & Co\n101 Reykjavík"
ONE_LINE = "Laugavegur 26; 3. hæð, Hús & Co, 101 Reykjavík"

WORDS = {
    "en": {"where": "Where", "no_call": "there is no video call"},
    "is": {"where": "Hvar", "no_call": "enginn myndfundur er í honum"},
}
JOIN = {"en": ("Join video session", "join the video session"), "is": ("Tengjast myndfundi",)}


@pytest.fixture
def on_site(professional):
    return SessionTypeFactory(
        professional=professional, name="At the clinic", mode="in_person", address=ADDRESS
    )


@pytest.fixture
def book_on_site(professional, on_site, django_capture_on_commit_callbacks):
    def book(email: str, starts_in: timedelta = timedelta(days=3)) -> Booking:
        start = (timezone.now() + starts_in).replace(second=0, microsecond=0)
        with django_capture_on_commit_callbacks(execute=True):
            return booking_invite(
                professional=professional, session_type=on_site, starts_at=start, email=email
            )

    return book


def parts(message) -> tuple[str, str]:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return message.body, html


def ics(message) -> bytes:
    [found] = [a for a in message.attachments if a[0] == "invite.ics"]
    return found[1] if isinstance(found[1], bytes) else found[1].encode()


def assert_says_where(message, language: str) -> None:
    text, html = parts(message)
    where = WORDS[language]["where"]
    assert f"{where}: {ONE_LINE}" in text, text
    assert "Laugavegur 26; 3. hæð, Hús &amp; Co<br>101 Reykjavík" in html, html
    for join in JOIN[language]:
        assert join not in text and join not in html


@pytest.mark.parametrize("language", ["en", "is"])
def test_every_email_of_an_on_site_session_says_where(
    language, alice, professional, book_on_site, django_capture_on_commit_callbacks
):
    alice.language = professional.user.language = language
    alice.save()
    professional.user.save()
    booking = book_on_site(alice.email)

    [invitation] = mail.outbox
    assert_says_where(invitation, language)
    text, html = parts(invitation)
    assert WORDS[language]["no_call"] in text and WORDS[language]["no_call"] in html

    for kind, role in (("reminder_24h", "client"), ("reminder_1h", "professional")):
        reminder = Delivery.objects.get(booking=booking, kind=kind, role=role)
        assert delivery_send(delivery_id=reminder.pk, now=reminder.due_at) == "sent"
        assert_says_where(mail.outbox[-1], language)
        assert f"/sessions/{booking.code}/" in mail.outbox[-1].body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(
            booking=booking, by=professional.user, starts_at=booking.starts_at + timedelta(days=1)
        )
    [moved] = mail.outbox
    assert_says_where(moved, language)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=alice)
    assert {address for message in mail.outbox for address in message.to} == {
        alice.email,
        professional.user.email,
    }
    for cancelled in mail.outbox:
        assert_says_where(cancelled, language)


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_professionals_notice_of_a_session_a_client_booked_says_where(
    language, alice, professional, on_site, django_capture_on_commit_callbacks
):
    alice.language = professional.user.language = language
    alice.save()
    professional.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(
            professional=professional,
            session_type=on_site,
            starts_at=(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0),
            client=alice,
            paid_with=Booking.PaidWith.INVOICE,
        )
    [to_professional] = [m for m in mail.outbox if m.to == [professional.user.email]]
    assert_says_where(to_professional, language)
    [to_client] = [m for m in mail.outbox if m.to == [alice.email]]
    assert_says_where(to_client, language)


def test_a_new_address_gets_an_invitation_that_says_where_and_offers_no_call(book_on_site):
    book_on_site("new.person@example.com")
    [message] = mail.outbox
    assert_says_where(message, "en")
    text, _html = parts(message)
    assert "Create your Tengja client account to see the session:" in text
    assert "join it" not in text


def test_the_calendar_file_names_the_place_escaped(alice, book_on_site):
    booking = book_on_site(alice.email)
    raw = ics(mail.outbox[-1]).decode()
    unfolded = raw.replace("\r\n ", "")  # RFC 5545 folds lines at 75 octets
    assert "LOCATION:Laugavegur 26\\; 3. hæð\\, Hús & Co\\, 101 Reykjavík\r\n" in unfolded
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["LOCATION"]) == ONE_LINE
    assert str(event["DESCRIPTION"]) == f"Session page: http://testserver/sessions/{booking.code}/"
    card = vobject.readOne(raw)
    assert card.vevent.location.value == ONE_LINE


def test_a_line_end_in_a_stored_address_is_escaped_too(alice, professional):
    """An address set outside the form (the admin) may keep odd line ends:
    LOCATION stays one property line."""
    kind = SessionTypeFactory(
        professional=professional, mode="in_person", address="A 1;\r\nB, 2\\3\rC"
    )
    booking = Booking.objects.create(
        professional=professional,
        client=alice,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=1),
        price_amount=1,
        currency="ISK",
        location=kind.location,
    )
    raw = booking_calendar_file(booking, viewer=alice).decode()
    [line] = [line for line in raw.split("\r\n") if line.startswith("LOCATION")]
    assert line == "LOCATION:A 1\\;\\, B\\, 2\\\\3\\, C"
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["LOCATION"]) == "A 1;, B, 2\\3, C"


def test_a_video_session_keeps_its_emails_and_calendar_file_as_before(book, alice):
    booking = book(alice.email)
    [message] = mail.outbox
    text, html = parts(message)
    assert "Where" not in html
    assert "Where:" not in text and "You can join the video session" in text
    [event] = Calendar.from_ical(ics(message)).walk("VEVENT")
    assert "LOCATION" not in event
    assert str(event["DESCRIPTION"]).startswith("Session page and video: ")
    reminder = Delivery.objects.get(booking=booking, kind="reminder_1h", role="client")
    delivery_send(delivery_id=reminder.pk, now=reminder.due_at)
    assert "Join video session" in parts(mail.outbox[-1])[1]
