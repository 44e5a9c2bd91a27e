"""A session paid with Wellbeing Hub credits is never e-mailed as if it cost money:
every e-mail (text and HTML, English and Icelandic), its calendar file and the
in-app notices say what the session page says ("Paid with 1 credit"), also once
the credit has come back or been spent by a cancellation."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tengja.bookings.services import booking_cancel, booking_move
from tengja.bookings.slots import free_slots
from tengja.hubs.services import hub_book
from tengja.notifications.services import deliveries_send_due

# What a price looks like in either language: "ISK 15,000", "15.000 kr.", "EUR".
# Whole words only, and in what is read, not in markup: a random code or token in a
# link may hold the letters ISK or EUR.
MONEY = re.compile(r"\b(ISK|EUR)\b|\bkr\.|15[.,]000|€")


def read(html: str) -> str:
    """The words of a page or an e-mail, without its tags."""
    return re.sub(r"<[^>]+>", " ", html)


def to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


def bodies(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


def ics_of(message) -> Calendar:
    [found] = [a for a in message.attachments if a[0] == "invite.ics"]
    content = found[1] if isinstance(found[1], bytes) else found[1].encode()
    return Calendar.from_ical(content)


def says_no_money(message) -> None:
    for body in bodies(message):
        assert not MONEY.search(read(body)), body
    [event] = ics_of(message).walk("VEVENT") if message.attachments else [{}]
    assert not MONEY.search(str(event.get("DESCRIPTION", "")))


@pytest.fixture
def slot(offer):
    """A free time more than a day ahead, so reminders are planned."""
    pro = offer.professional
    slots = free_slots(
        professionals=[pro],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[pro.pk]
    return next(s for s in slots if s.starts_at > timezone.now() + timedelta(days=2))


@pytest.fixture(params=["en", "is"])
def language(request, member, offer):
    """The member and the professional both read this language."""
    member.user.language = request.param
    member.user.save()
    offer.professional.user.language = request.param
    offer.professional.user.save()
    return request.param


def hub_booking(member, offer, slot, capture):
    mail.outbox.clear()
    with capture(execute=True):
        return hub_book(membership=member, offer=offer, starts_at=slot.starts_at)


PAID_WITH = {"en": "Paid with {n} credit", "is": "Greitt með {n} inneign"}


def test_the_confirmations_say_credits_not_a_price(
    member, offer, slot, language, django_capture_on_commit_callbacks
):
    booking = hub_booking(member, offer, slot, django_capture_on_commit_callbacks)
    [mine] = to(member.user.email)
    for body in bodies(mine):
        assert PAID_WITH[language].format(n=1) in body, body
    says_no_money(mine)
    [event] = ics_of(mine).walk("VEVENT")
    assert f"/sessions/{booking.code}/" in str(event["DESCRIPTION"])

    # The professional's notice of the booking says how many credits, and no price.
    [theirs] = to(offer.professional.user.email)
    expected = {"en": "1 credit from the client's Wellbeing Hub", "is": "1 inneign"}[language]
    text, html = bodies(theirs)
    assert expected in text
    assert expected.replace("'", "&#x27;") in html or expected in html
    says_no_money(theirs)


def test_a_session_of_two_credits_says_two(
    member, offer, slot, hub, django_capture_on_commit_callbacks
):
    hub.credits_per_session = 2
    hub.save()
    hub_booking(member, offer, slot, django_capture_on_commit_callbacks)
    [mine] = to(member.user.email)
    assert "Paid with 2 credits" in mine.body
    [theirs] = to(offer.professional.user.email)
    assert "2 credits from the client's Wellbeing Hub" in theirs.body


def test_reminders_and_a_move_say_no_price(
    member, offer, slot, language, django_capture_on_commit_callbacks, time_machine
):
    booking = hub_booking(member, offer, slot, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(
            booking=booking,
            by=offer.professional.user,
            starts_at=booking.starts_at + timedelta(days=1),
        )
    [moved] = to(member.user.email)
    says_no_money(moved)
    mail.outbox.clear()
    booking.refresh_from_db()
    time_machine.move_to(booking.starts_at - timedelta(hours=23))
    deliveries_send_due()
    reminders = to(member.user.email) + to(offer.professional.user.email)
    assert len(reminders) == 2
    for message in reminders:
        says_no_money(message)


def test_a_credit_session_cancelled_in_time_says_its_credit_came_back_page_and_mail(
    client, member, offer, slot, language, django_capture_on_commit_callbacks
):
    booking = hub_booking(member, offer, slot, django_capture_on_commit_callbacks)
    client.force_login(member.user)
    client.get(reverse("bookings:detail", args=[booking.code]))  # kept as it was
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=offer.professional.user)
    [mine] = to(member.user.email)
    expected = {
        "en": "Its 1 credit has been returned to your Wellbeing Hub balance.",
        "is": "1 inneign",
    }[language]
    for body in bodies(mine):
        assert expected in body, body
    says_no_money(mine)
    says_no_money(to(offer.professional.user.email)[0])

    page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    returned = {"en": "1 credit, given back", "is": "1 inneign, skilað aftur"}[language]
    assert returned in page
    # One word for it on the page (issue #26: "endurgreidd" above, "skilað" under Cost).
    said = {
        "en": "This session has been cancelled, and its 1 credit returned.",
        "is": "1 inneign sem fór í hann hefur verið skilað aftur.",
    }[language]
    assert said in page and "endurgreidd" not in page
    assert not MONEY.search(read(page.split("<main", 1)[1]))
    # The in-app notice of it, and the list of sessions, say no price either.
    notices = client.get(reverse("notifications:list")).content.decode()
    assert booking.session_type.name in notices
    assert not MONEY.search(read(notices.split("<main", 1)[1]))


def test_a_late_cancellation_spends_the_credit_and_says_nothing_is_payable(
    client, member, offer, slot, django_capture_on_commit_callbacks, time_machine
):
    booking = hub_booking(member, offer, slot, django_capture_on_commit_callbacks)
    time_machine.move_to(booking.starts_at - timedelta(hours=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=member.user)
    [mine] = to(member.user.email)
    for body in bodies(mine):
        assert "so its 1 credit is spent" in body
    says_no_money(mine)
    [theirs] = to(offer.professional.user.email)
    assert "so its 1 credit stays spent" in theirs.body
    says_no_money(theirs)

    client.force_login(member.user)
    page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert "so its 1 credit is spent" in page
    assert "stays payable" not in page
    assert "Paid with 1 credit" in page


def test_a_session_paid_by_bill_still_says_its_price(
    book, alice, django_capture_on_commit_callbacks
):
    book(alice.email)
    [mine] = to(alice.email)
    assert "Cost: ISK\xa015,000" in mine.body or "Cost: ISK 15,000" in mine.body
