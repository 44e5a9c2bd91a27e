"""Refunds are decided in the transaction and asked of the provider after commit,
with one idempotency key, retried with backoff; the money paths lock the
invoice before the payment, so a cancellation and a webhook never deadlock."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice, LocalIntent, Payment, Refund
from tengja.billing.services import (
    REFUND_BACKOFF,
    event_process,
    invoice_pay,
    new_payment_key,
    refund_send,
    refunds_sweep,
)
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel, booking_invite
from tests.billing.conftest import AUTHENTICATE, add_card
from tests.billing.test_payments import intent_event
from tests.conftest import race, requires_postgres


def paid(alice, invoice, **card):
    payment = invoice_pay(
        invoice=invoice, method=add_card(alice, **card), payment_key=new_payment_key()
    )
    assert payment.status == "succeeded"
    return payment


def test_the_provider_down_does_not_stop_a_cancellation(
    stripe_api, client, alice, invoice, django_capture_on_commit_callbacks
):
    from tengja.billing.services import card_add

    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    stripe_api.refund_outcome = "down"
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("bookings:cancel", args=[invoice.booking.code]))
    assert response.status_code == 302
    assert Booking.objects.get().is_cancelled
    invoice.refresh_from_db()
    assert invoice.status == "refund_pending"
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts, refund.claimed_at) == ("pending", 1, None)
    assert refund.due_at > timezone.now() + REFUND_BACKOFF[0] - timedelta(seconds=5)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Refund pending" in page

    # A minute later the provider answers: the same key, and the bill says refunded.
    stripe_api.refund_outcome = "succeeded"
    with time_machine.travel(refund.due_at + timedelta(seconds=1)):
        assert refund_send(refund_id=refund.pk) == "refunded"
    keys = [r[2]["Idempotency-Key"] for r in stripe_api.requests if r[1] == "/v1/refunds"]
    assert len(keys) >= 2 and set(keys) == {f"refund-{payment.code}"}
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == "refunded" and payment.status == "refunded"
    assert Refund.objects.get().provider_ref == "re_1"
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Refunded" in page and "Refund pending" not in page


def test_after_the_last_retry_the_refund_is_marked_failed_and_kept_visible(
    stripe_api, alice, invoice, django_capture_on_commit_callbacks
):
    from tengja.billing.services import card_add

    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    stripe_api.refund_outcome = "down"
    booking_cancel(booking=invoice.booking, by=alice)
    refund = Refund.objects.get()
    when = timezone.now()
    outcomes = []
    for _ in range(len(REFUND_BACKOFF) + 1):
        when = Refund.objects.get().due_at + timedelta(seconds=1)
        with time_machine.travel(when):
            outcomes.append(refund_send(refund_id=refund.pk))
    assert outcomes == ["retry"] * len(REFUND_BACKOFF) + ["failed"]
    refund.refresh_from_db()
    assert refund.status == "failed" and "went wrong" in refund.last_error.lower()
    assert Invoice.objects.get().status == "refund_pending"  # not pretending


def test_a_cancellation_that_rolls_back_asks_for_no_refund(alice, invoice):
    payment = paid(alice, invoice)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        booking_cancel(booking=invoice.booking, by=alice)
        raise Abort
    assert not Refund.objects.exists()
    assert LocalIntent.objects.get(intent_id=payment.provider_ref).status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_refund_whose_task_was_lost_is_found_by_the_sweep(alice, invoice):
    paid(alice, invoice)
    booking_cancel(booking=invoice.booking, by=alice)  # the on-commit enqueue never runs
    refund = Refund.objects.get()
    assert refund.status == "pending"
    # Claimed by a worker that then died: after the timeout it is asked again.
    Refund.objects.filter(pk=refund.pk).update(claimed_at=timezone.now())
    assert refunds_sweep() == 0
    # A live worker's call to the provider can take up to about 80 s: left to it.
    with time_machine.travel(timezone.now() + timedelta(seconds=90)):
        assert refunds_sweep() == 0
    # Within minutes, not a quarter of an hour, the money is asked for again.
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert refunds_sweep() == 1  # the immediate test backend sends it at once
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert Invoice.objects.get().status == "refunded"


def test_a_refund_is_sent_once_however_often_it_is_asked(alice, invoice):
    paid(alice, invoice)
    booking_cancel(booking=invoice.booking, by=alice)
    refund = Refund.objects.get()
    assert refund_send(refund_id=refund.pk) == "refunded"
    assert refund_send(refund_id=refund.pk) == "taken"
    assert Refund.objects.get().attempts == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancellation_and_the_banks_answer_at_once_never_deadlock(alice, professional, kind):
    """The client cancels while the bank's 'yes' arrives for the same bill. Both
    lock the invoice first, so one waits for the other; either way the client's
    money comes back exactly once and nothing is left half-done."""
    for attempt in range(8):
        start = timezone.now() + timedelta(days=3, hours=attempt)
        booking = booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )
        invoice = Invoice.objects.get(booking=booking)
        payment = invoice_pay(
            invoice=invoice, method=add_card(alice, AUTHENTICATE), payment_key=new_payment_key()
        )
        assert payment.status == "requires_action"
        LocalIntent.objects.filter(intent_id=payment.provider_ref).update(status="succeeded")
        results = race(
            [
                lambda b=booking: booking_cancel(booking=b, by=alice),
                lambda p=payment: event_process(
                    provider="local",
                    payload=intent_event(f"evt_race_{p.code}", "payment_intent.succeeded", p),
                ),
            ]
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        invoice.refresh_from_db()
        payment.refresh_from_db()
        # Cancelled first: the bill was voided, the payment cancelled with it, and
        # the late "yes" is given back. Paid first: the bill was paid, then
        # refunded. Either way, once.
        assert (invoice.status, payment.status) in (
            (Invoice.Status.VOID, Payment.Status.CANCELLED),
            (Invoice.Status.REFUNDED, Payment.Status.REFUNDED),
        )
        assert Refund.objects.filter(payment=payment, status="succeeded").count() == 1
        assert Booking.objects.get(pk=booking.pk).is_cancelled
