"""A cancellation e-mail tells each person what happened to the bill or credit; a
session a hub member books reaches its professional."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.billing.selectors import invoice_standing
from tengja.billing.services import card_add, invoice_pay, new_payment_key
from tengja.bookings.services import booking_cancel
from tengja.bookings.slots import free_slots
from tengja.hubs.services import hub_book
from tengja.notifications.models import Notification


def to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


def cancel(booking, by, capture):
    mail.outbox.clear()
    with capture(execute=True):
        return booking_cancel(booking=booking, by=by)


def test_the_client_is_told_the_bill_is_voided_not_that_the_slot_is_free(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email, timedelta(days=3))
    cancel(booking, professional.user, django_capture_on_commit_callbacks)
    [message] = to(alice.email)
    assert "Helga Sigurðardóttir has cancelled this session" in message.body
    assert "Its bill has been cancelled: you owe nothing" in message.body
    assert "you owe nothing" in message.alternatives[0][0]
    assert "free again" not in message.body
    # The professional gets a copy (for their calendar) that speaks to them.
    [copy] = to(professional.user.email)
    assert "You have cancelled this session" in copy.body
    assert "The time is free again." in copy.body


def test_a_paid_session_cancelled_in_time_says_refunded(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email, timedelta(days=3))
    year = timezone.now().year + 1
    card = card_add(
        user=alice,
        data={"number": "4242424242424242", "exp_month": 12, "exp_year": year, "cvc": "123"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        invoice_pay(
            invoice=invoice_standing(booking=booking), method=card, payment_key=new_payment_key()
        )
    cancel(booking, alice, django_capture_on_commit_callbacks)
    [message] = to(alice.email)
    assert "You have cancelled this session" in message.body
    assert "is being refunded to your card" in message.body


def test_a_late_cancellation_says_it_stays_payable_in_icelandic_too(
    book, alice, professional, django_capture_on_commit_callbacks
):
    alice.language = "is"
    alice.save()
    booking = book(alice.email, timedelta(hours=5))
    cancel(booking, alice, django_capture_on_commit_callbacks)
    [message] = to(alice.email)
    assert "greiða" in message.body  # "stays payable", in Icelandic
    assert "free again" not in message.body
    [copy] = to(professional.user.email)
    assert "It was cancelled within the notice period, so it stays payable." in copy.body


@pytest.fixture
def hub_session(member, offer, django_capture_on_commit_callbacks):
    pro = offer.professional
    slot = free_slots(
        professionals=[pro],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[pro.pk][2]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return hub_book(membership=member, offer=offer, starts_at=slot.starts_at)


def test_a_hub_booking_tells_the_professional_by_email_and_in_the_app(hub_session, member, offer):
    pro = offer.professional.user
    [message] = to(pro.email)
    assert "Emma Employee has booked a session with you" in message.body
    assert "1 credit from the client's Wellbeing Hub" in message.body
    assert f"/sessions/{hub_session.code}/" in message.body
    assert "/invitations/" not in message.body
    assert any(a[0] == "invite.ics" for a in message.attachments)
    notice = Notification.objects.get(user=pro)
    assert notice.kind == Notification.Kind.BOOKED and notice.booking == hub_session
    # The member's own confirmation does not say someone else booked it.
    [mine] = to(member.user.email)
    assert "Your session with Dr. Sól is booked." in mine.body


def test_the_professionals_notice_names_the_client(client, hub_session, offer):
    client.force_login(offer.professional.user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert re.search(r"New booking: Talk with Emma Employee", body)


def test_invitations_the_professional_sends_do_not_notify_them(book, alice, professional):
    book(alice.email)
    assert to(professional.user.email) == []
    assert not Notification.objects.filter(user=professional.user).exists()


def test_a_hub_session_cancelled_in_time_returns_the_credit_late_spends_it(
    hub_session, member, offer, django_capture_on_commit_callbacks
):
    cancel(hub_session, offer.professional.user, django_capture_on_commit_callbacks)
    [message] = to(member.user.email)
    assert "returned to your Wellbeing Hub balance" in message.body


def test_a_late_hub_cancellation_says_the_credit_is_spent(
    member, offer, django_capture_on_commit_callbacks, time_machine
):
    pro = offer.professional
    slot = free_slots(
        professionals=[pro],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[pro.pk][0]
    with django_capture_on_commit_callbacks(execute=True):
        booking = hub_book(membership=member, offer=offer, starts_at=slot.starts_at)
    time_machine.move_to(slot.starts_at - timedelta(hours=2))
    cancel(booking, member.user, django_capture_on_commit_callbacks)
    [message] = to(member.user.email)
    assert "so its 1 credit is spent" in message.body
