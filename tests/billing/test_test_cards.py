"""The local provider's cards are Stripe's test cards, behaving as Stripe documents
them, so that switching providers changes nothing a person sees."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import PaymentMethod, Refund
from tengja.billing.providers import CardAuthentication
from tengja.billing.services import (
    BillingError,
    card_add,
    invoice_pay,
    new_payment_key,
    refund_send,
)
from tests.billing.conftest import GOOD, add_card


def card(number: str) -> dict:
    return {"number": number, "exp_month": 12, "exp_year": timezone.now().year + 2, "cvc": "123"}


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000 0000 0000 9995", "Your card has insufficient funds."),
        ("4000 0000 0000 9987", "Your card was declined."),
        ("4000 0000 0000 9979", "Your card was declined."),
        ("4000 0000 0000 0069", "Your card has expired."),
        ("4000 0000 0000 0127", "Your card's security code is incorrect."),
        ("4000 0000 0000 0119", "An error occurred while processing your card."),
    ],
)
def test_a_declined_card_is_never_saved_nor_made_the_default(alice, number, message):
    default = add_card(alice)
    with pytest.raises(BillingError, match=message):
        card_add(user=alice, data=card(number))
    assert list(PaymentMethod.objects.values_list("pk", "is_default")) == [(default.pk, True)]


def test_the_declined_card_on_the_form_says_why_on_the_card_number(client, alice):
    client.force_login(alice)
    response = client.post(reverse("billing:card_add"), card("4000 0000 0000 0002"))
    assert response.status_code == 400
    assert "Your card was declined." in response.content.decode()
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize("number", ["4000 0027 6000 3184", "4000 0025 0000 3155"])
def test_a_card_that_asks_for_authentication_is_saved_once_its_holder_authenticates(
    client, alice, number
):
    client.force_login(alice)
    response = client.post(
        reverse("billing:card_add") + "?next=/payments/", card(number) | {"next": "/payments/"}
    )
    assert not PaymentMethod.objects.exists()  # not before the bank's check
    page = client.get(response["Location"])
    assert "Confirm your card" in page.content.decode()
    response = client.post(response["Location"], {"outcome": "complete", "next": "/payments/"})
    assert response["Location"] == "/payments/"
    saved = PaymentMethod.objects.get()
    assert (saved.last4, saved.is_default) == (number[-4:], True)


def test_failing_the_authentication_saves_nothing(client, alice):
    client.force_login(alice)
    location = client.post(reverse("billing:card_add"), card("4000 0027 6000 3184"))["Location"]
    response = client.post(location, {"outcome": "fail"}, follow=True)
    assert "We are unable to authenticate your payment method." in response.content.decode()
    assert not PaymentMethod.objects.exists()
    # The same check cannot be answered twice, nor by someone else.
    assert client.post(location, {"outcome": "complete"}).status_code == 404


def test_another_persons_card_check_is_404(client, alice, bob):
    pending = card_add(user=alice, data=card("4000 0027 6000 3184"))
    assert isinstance(pending, CardAuthentication)
    client.force_login(bob)
    assert client.get(pending.action_url).status_code == 404
    assert client.post(pending.action_url, {"outcome": "complete"}).status_code == 404
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(
    ("number", "status", "message"),
    [
        (GOOD, "succeeded", ""),
        ("4000 0000 0000 0341", "failed", "Your card was declined."),
        ("4000 0025 0000 3155", "succeeded", ""),  # set up with 3-D Secure: no second check
        ("4000 0027 6000 3184", "requires_action", ""),
        ("4000 0082 6000 3178", "requires_action", ""),
    ],
)
def test_charges_behave_as_stripe_documents(alice, invoice, number, status, message):
    payment = invoice_pay(
        invoice=invoice, method=add_card(alice, number), payment_key=new_payment_key()
    )
    assert (payment.status, payment.failure_message) == (status, message)


def test_authenticated_then_declined_for_want_of_funds(client, alice, invoice):
    payment = invoice_pay(
        invoice=invoice,
        method=add_card(alice, "4000 0082 6000 3178"),
        payment_key=new_payment_key(),
    )
    client.force_login(alice)
    response = client.post(
        reverse("billing:local_authenticate", args=[payment.provider_ref]),
        {"outcome": "complete"},
        follow=True,
    )
    assert "Your card has insufficient funds." in response.content.decode()
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == "failed" and invoice.status == "open"


def test_a_refund_to_a_card_whose_refunds_fail_is_retried_not_lost(alice, invoice):
    from tengja.bookings.services import booking_cancel

    invoice_pay(
        invoice=invoice,
        method=add_card(alice, "4000 0000 0000 5126"),
        payment_key=new_payment_key(),
    )
    booking_cancel(booking=invoice.booking, by=alice)
    refund = Refund.objects.get()
    assert refund_send(refund_id=refund.pk) == "retry"
    refund.refresh_from_db()
    assert refund.status == "pending" and refund.attempts == 1


def test_removing_a_card_asks_first(client, alice):
    saved = add_card(alice)
    client.force_login(alice)
    url = reverse("billing:card_remove", args=[saved.code])
    page = client.get(url).content.decode()
    assert "Remove your Visa •••• 4242?" in page
    saved.refresh_from_db()
    assert saved.removed_at is None
    assert url in client.get(reverse("billing:payments")).content.decode()
    client.post(url)
    saved.refresh_from_db()
    assert saved.removed_at is not None
