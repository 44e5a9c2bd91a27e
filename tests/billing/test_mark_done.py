"""Marking a session done, and charging it now, later, or not at all (issue 28)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice, LocalIntent, Payment, PaymentMethod
from tengja.billing.providers.local import LocalProvider
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import (
    BillingError,
    invoice_charge_now,
    invoice_issue,
    new_payment_key,
)
from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_mark_done
from tengja.notifications.models import Notification
from tests.billing.conftest import AUTHENTICATE, CHARGE_DECLINED, add_card
from tests.conftest import race, requires_postgres
from tests.factories import BookingFactory


def started(professional, kind, client, *, ago=timedelta(minutes=55), **fields) -> Booking:
    """A session of `professional` with `client` that started `ago`, with its bill."""
    starts_at = timezone.now() - ago
    booking = BookingFactory(
        professional=professional,
        session_type=kind,
        client=client,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        **fields,
    )
    invoice_issue(booking=booking)
    return booking


@pytest.fixture
def session(professional, kind, alice) -> Booking:
    return started(professional, kind, alice)


@pytest.fixture
def charges(monkeypatch) -> list[str]:
    """The idempotency key of every charge the provider is asked for."""
    keys: list[str] = []
    charge = LocalProvider.charge

    def recording(self, **kwargs):
        keys.append(kwargs["idempotency_key"])
        return charge(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "charge", recording)
    return keys


def done(client, booking, **data):
    data.setdefault("payment_key", new_payment_key())
    return client.post(reverse("billing:session_done", args=[booking.code]), data, follow=True)


def said(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def bill(booking) -> Invoice:
    invoice = invoice_standing(booking=booking)
    assert invoice is not None
    return invoice


def test_only_the_professional_may_mark_done(client, session, alice, bob, other_professional, hr):
    url = reverse("billing:session_done", args=[session.code])
    for person in (alice, bob, other_professional.user, hr):
        client.force_login(person)
        assert client.post(url, {"payment": "later"}).status_code == 404
    client.logout()
    assert client.post(url, {"payment": "later"}).status_code == 302  # to sign in
    session.refresh_from_db()
    assert session.completed_at is None
    client.force_login(session.professional.user)
    assert client.get(url).status_code == 405  # never a GET that changes anything
    assert client.post(reverse("billing:session_charge", args=[session.code])).status_code == 302
    client.force_login(alice)
    assert client.post(reverse("billing:session_charge", args=[session.code])).status_code == 404
    with pytest.raises(BookingError, match="Only the session's professional"):
        booking_mark_done(booking=session, by=alice)


def test_not_before_the_start_when_cancelled_or_twice(client, professional, kind, alice):
    client.force_login(professional.user)
    future = started(professional, kind, alice, ago=-timedelta(hours=2))
    response = done(client, future, payment="later")
    assert "has not started yet" in said(response)
    cancelled = started(
        professional, kind, alice, ago=timedelta(hours=3), status=Booking.Status.CANCELLED
    )
    assert "has been cancelled" in said(done(client, cancelled, payment="later"))
    session = started(professional, kind, alice)
    assert "marked done" in said(done(client, session, payment="later"))
    first = Booking.objects.get(pk=session.pk).completed_at
    assert first is not None
    assert "already marked done" in said(done(client, session, payment="later"))
    assert Booking.objects.get(pk=session.pk).completed_at == first
    assert Booking.objects.filter(completed_at__isnull=False).count() == 1


def test_charge_now_pays_the_bill_with_the_clients_default_card(
    client, session, alice, charges, mailoutbox, django_capture_on_commit_callbacks
):
    add_card(alice)
    client.force_login(session.professional.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = done(client, session, payment="now")
    assert "was charged to Alice Andersen's card. The bill is paid." in said(response)
    assert bill(session).status == Invoice.Status.PAID
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert len(charges) == 1
    assert Booking.objects.get(pk=session.pk).state() == Booking.State.DONE
    # Nothing more to charge: no form offers it again.
    body = client.get(reverse("bookings:detail", args=[session.code])).content.decode()
    assert reverse("billing:session_charge", args=[session.code]) not in body
    assert reverse("billing:session_done", args=[session.code]) not in body


def test_charge_later_leaves_the_bill_open_to_charge_from_the_session_page(
    client, session, alice, charges
):
    client.force_login(session.professional.user)
    response = done(client, session, payment="later")
    assert "Its bill stays open" in said(response)
    assert bill(session).status == Invoice.Status.OPEN and not charges
    body = response.content.decode()
    charge_url = reverse("billing:session_charge", args=[session.code])
    assert charge_url in body  # "Charge now", later
    add_card(alice)
    key = new_payment_key()
    for _click in range(2):  # a double click sends the form's key twice
        response = client.post(charge_url, {"payment_key": key}, follow=True)
    assert "The bill is paid" in said(response) or "not open" in said(response)
    assert bill(session).status == Invoice.Status.PAID
    assert Payment.objects.count() == 1 and len(set(charges)) == 1


def test_a_double_submitted_mark_done_form_charges_once(client, session, alice, charges):
    add_card(alice)
    client.force_login(session.professional.user)
    key = new_payment_key()
    first = done(client, session, payment="now", payment_key=key)
    second = done(client, session, payment="now", payment_key=key)
    assert "The bill is paid" in said(first)
    assert "already marked done" in said(second)
    assert Payment.objects.count() == 1 and LocalIntent.objects.count() == 1
    assert len(set(charges)) == 1


def test_the_same_charge_key_again_gives_the_same_payment(session, alice, charges):
    add_card(alice)
    session = booking_mark_done(booking=session, by=session.professional.user)
    key = new_payment_key()
    by = session.professional.user
    first = invoice_charge_now(booking=session, by=by, payment_key=key)
    second = invoice_charge_now(booking=session, by=by, payment_key=key)
    assert first.pk == second.pk and Payment.objects.count() == 1
    with pytest.raises(BillingError, match="not open for payment"):
        invoice_charge_now(booking=session, by=by, payment_key=new_payment_key())
    assert len(charges) == 1


def test_no_card_leaves_the_bill_open_and_asks_the_client(client, session, alice, charges):
    client.force_login(session.professional.user)
    due = Notification.objects.filter(user=alice, kind=Notification.Kind.PAYMENT_DUE).count()
    response = done(client, session, payment="now")
    assert (
        "Alice Andersen has no saved card, so nothing was charged. The bill stays open, "
        "and we have asked them to pay it." in said(response)
    )
    assert Booking.objects.get(pk=session.pk).completed_at is not None
    assert bill(session).status == Invoice.Status.OPEN
    assert not Payment.objects.exists() and not charges
    assert (
        Notification.objects.filter(user=alice, kind=Notification.Kind.PAYMENT_DUE).count()
        == due + 1
    )


def test_a_bank_that_wants_authentication_leaves_the_bill_to_the_client(client, session, alice):
    add_card(alice, AUTHENTICATE)
    client.force_login(session.professional.user)
    response = done(client, session, payment="now")
    # Charged without the client there: their bank declines rather than waits.
    assert (
        "Nothing was charged to Alice Andersen's card: The bank wants the card holder to "
        "confirm this payment, so it was not taken. The bill stays open"
    ) in said(response)
    assert bill(session).status == Invoice.Status.OPEN
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED and payment.off_session
    assert Notification.objects.filter(
        user=alice, kind=Notification.Kind.PAYMENT_DUE, invoice=bill(session)
    ).exists()
    client.force_login(alice)
    # The client pays it themselves, with the same card, confirming at their bank.
    card = PaymentMethod.objects.get(user=alice)
    client.post(
        reverse("billing:pay", args=[bill(session).code]),
        {"card": card.code, "payment_key": new_payment_key()},
    )
    assert Payment.objects.filter(status=Payment.Status.REQUIRES_ACTION, off_session=False).exists()


def test_a_declined_card_is_said_plainly(client, session, alice):
    add_card(alice, CHARGE_DECLINED)
    client.force_login(session.professional.user)
    response = done(client, session, payment="now")
    assert "Nothing was charged to Alice Andersen's card: Your card was declined." in said(response)
    assert bill(session).status == Invoice.Status.OPEN


def test_skipping_payment_needs_a_reason_and_voids_the_bill(client, session, alice):
    client.force_login(session.professional.user)
    response = done(client, session, payment="skip", reason="  ")
    assert "Say why you are not charging for this session." in said(response)
    response = done(client, session, payment="skip", reason="x" * 201)
    assert "at most 200 characters" in said(response)
    response = done(client, session)
    assert "Choose what happens to the payment." in said(response)
    session.refresh_from_db()
    assert session.completed_at is None and bill(session).status == Invoice.Status.OPEN
    response = done(client, session, payment="skip", reason="First session, free")
    assert "It is not charged" in said(response)
    session.refresh_from_db()
    assert session.payment_skipped_reason == "First session, free"
    assert bill(session).status == Invoice.Status.VOID
    # The client sees no charge and nothing to pay; the reason is the professional's.
    client.force_login(alice)
    page = client.get(reverse("bookings:detail", args=[session.code])).content.decode()
    assert "No charge" in page and "First session, free" not in page
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "No charge" in home
    response = client.post(
        reverse("billing:pay", args=[bill(session).code]),
        {"card": add_card(alice).code, "payment_key": new_payment_key()},
        follow=True,
    )
    assert "chose not to charge for this session" in said(response)
    assert not Payment.objects.exists()


def test_a_paid_bill_cannot_be_skipped(session, alice):
    add_card(alice)
    from tengja.billing.services import invoice_pay

    invoice_pay(invoice=bill(session), method=alice.payment_methods.get(), payment_key="a" * 32)
    with pytest.raises(BookingError, match="cannot be skipped"):
        booking_mark_done(
            booking=session, by=session.professional.user, payment_skipped_reason="oops"
        )
    assert Booking.objects.get(pk=session.pk).completed_at is None


def test_a_paid_or_credit_session_is_just_done(client, professional, kind, alice):
    client.force_login(professional.user)
    credit = started(
        professional, kind, alice, paid_with=Booking.PaidWith.CREDITS, credits=1, price_amount=0
    )
    page = client.get(reverse("bookings:detail", args=[credit.code])).content.decode()
    assert reverse("billing:session_done", args=[credit.code]) in page
    assert 'name="payment"' not in page  # nothing to choose
    assert "marked done" in said(done(client, credit))
    assert Booking.objects.get(pk=credit.pk).state() == Booking.State.DONE
    with pytest.raises(BillingError, match="paid with credits"):
        invoice_charge_now(booking=credit, by=professional.user, payment_key=new_payment_key())


def test_a_late_cancelled_session_stays_chargeable(client, professional, kind, alice):
    add_card(alice)
    late = started(
        professional,
        kind,
        alice,
        ago=timedelta(hours=3),
        status=Booking.Status.CANCELLED,
        late_cancellation=True,
        cancel_reason=Booking.CancelReason.NO_SHOW,
    )
    in_time = started(
        professional, kind, alice, ago=timedelta(hours=5), status=Booking.Status.CANCELLED
    )
    client.force_login(professional.user)
    page = client.get(reverse("bookings:detail", args=[late.code])).content.decode()
    assert reverse("billing:session_charge", args=[late.code]) in page
    assert "No-show" in page
    response = client.post(
        reverse("billing:session_charge", args=[late.code]),
        {"payment_key": new_payment_key()},
        follow=True,
    )
    assert "The bill is paid" in said(response)
    response = client.post(
        reverse("billing:session_charge", args=[in_time.code]),
        {"payment_key": new_payment_key()},
        follow=True,
    )
    assert "nothing to charge" in said(response)
    # A session not yet done is marked done first.
    session = started(professional, kind, alice)
    with pytest.raises(BillingError, match="Mark the session done"):
        invoice_charge_now(booking=session, by=professional.user, payment_key=new_payment_key())


def test_the_call_page_offers_mark_as_done_to_the_professional_only(client, session, alice):
    url = reverse("video:join", args=[session.code])
    client.force_login(session.professional.user)
    assert reverse("billing:session_done", args=[session.code]) in client.get(url).content.decode()
    client.force_login(alice)
    assert "billing:session_done" not in client.get(url).content.decode()
    assert (
        reverse("billing:session_done", args=[session.code]) not in client.get(url).content.decode()
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_charge_now_requests_charge_once(charges):
    professional_session = BookingFactory(
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() - timedelta(minutes=10),
    )
    invoice_issue(booking=professional_session)
    add_card(professional_session.client)
    by = professional_session.professional.user
    professional_session = booking_mark_done(booking=professional_session, by=by)
    same = new_payment_key()
    keys = [same, same, new_payment_key()]  # a double submit, and a second tab
    results = race(
        [
            lambda key=key: invoice_charge_now(booking=professional_session, by=by, payment_key=key)
            for key in keys
        ],
        expected=BillingError,
    )
    assert len(results) == 3
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert Payment.objects.count() == 1
    assert Invoice.objects.get().status == Invoice.Status.PAID
    assert LocalIntent.objects.count() == 1 and len(set(charges)) == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_mark_done_posts_charge_once(charges):
    from django.test import Client

    booking = BookingFactory(
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() - timedelta(minutes=10),
    )
    invoice_issue(booking=booking)
    add_card(booking.client)
    key = new_payment_key()
    url = reverse("billing:session_done", args=[booking.code])

    def post():
        browser = Client()
        browser.force_login(booking.professional.user)
        return browser.post(url, {"payment": "now", "payment_key": key}).status_code

    assert race([post, post]) == [302, 302]
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert Invoice.objects.get().status == Invoice.Status.PAID
    assert len(set(charges)) == 1


def test_an_invited_client_without_an_account_has_no_card_to_charge(
    client, professional, kind, django_capture_on_commit_callbacks
):
    from tengja.bookings.services import booking_invite

    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=timezone.now() + timedelta(days=1),
            email="new.person@example.com",
        )
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() - timedelta(hours=1),
    )
    client.force_login(professional.user)
    response = done(client, booking, payment="now")
    assert "new.person@example.com has not accepted the invitation yet" in said(response)
    assert bill(booking).status == Invoice.Status.OPEN
    assert not Payment.objects.exists()


def test_the_clients_void_bill_says_no_charge(client, session, alice):
    booking_mark_done(
        booking=session, by=session.professional.user, payment_skipped_reason="Goodwill"
    )
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[bill(session).code])).content.decode()
    assert "No charge: the professional chose not to charge for this session" in page
    assert "Goodwill" not in page


def test_a_client_paying_with_another_card_is_not_interrupted(session, alice):
    from tengja.billing.services import invoice_pay

    add_card(alice)  # the default
    other = add_card(alice, AUTHENTICATE)
    theirs = invoice_pay(invoice=bill(session), method=other, payment_key=new_payment_key())
    assert theirs.status == Payment.Status.REQUIRES_ACTION  # at their bank's page
    session = booking_mark_done(booking=session, by=session.professional.user)
    with pytest.raises(BillingError, match="paying this bill with another card right now"):
        invoice_charge_now(
            booking=session, by=session.professional.user, payment_key=new_payment_key()
        )
    theirs.refresh_from_db()
    assert theirs.status == Payment.Status.REQUIRES_ACTION and Payment.objects.count() == 1
