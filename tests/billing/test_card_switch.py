"""A payment in progress belongs to the card it was started with (issue #26):
choosing another card, or removing that card, cancels it at the provider; its
old bank page then charges nothing and says so; a removed card is never charged;
and money the bank takes for a cancelled payment all the same goes back. With
the local provider, and with recorded Stripe responses (tests/billing/stripe_double.py)."""

import pytest
from django.core import mail
from django.urls import reverse

from tengja.billing.models import Invoice, LocalIntent, Payment, PaymentMethod, Refund
from tengja.billing.providers import get_provider
from tengja.billing.services import (
    BillingError,
    card_add,
    card_remove,
    event_process,
    invoice_pay,
    new_payment_key,
    payment_charge,
)
from tests.billing.conftest import AUTHENTICATE, GOOD, add_card
from tests.billing.stripe_double import recorded, signed
from tests.conftest import race, requires_postgres


def pay(client, invoice, card):
    return client.post(
        reverse("billing:pay", args=[invoice.code]),
        {"card": card.code, "payment_key": new_payment_key()},
    )


def shown(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


# ------------------------------------------------------------------ local provider


def test_choosing_another_card_cancels_the_payment_in_progress(
    client, alice, invoice, django_capture_on_commit_callbacks
):
    asks, good = add_card(alice, AUTHENTICATE), add_card(alice, GOOD)
    client.force_login(alice)
    response = pay(client, invoice, asks)
    old = Payment.objects.get()
    assert response["Location"] == reverse("billing:local_authenticate", args=[old.provider_ref])

    # Back on the bill: the page says what choosing another card does.
    body = shown(client.get(reverse("billing:pay", args=[invoice.code])))
    assert "A payment with your Visa •••• 3184 is waiting for your bank's confirmation." in body
    assert "that payment is then cancelled, and nothing is taken from it" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = pay(client, invoice, good)
    # The card chosen pays; the old page is not where the client is sent.
    assert response["Location"] == reverse("billing:invoice", args=[invoice.code])
    old.refresh_from_db()
    assert (old.status, old.cancel_reason) == ("cancelled", "card_changed")
    assert LocalIntent.objects.get(intent_id=old.provider_ref).status == "canceled"
    new = Payment.objects.get(status="succeeded")
    assert new.method == good
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    [receipt] = [m for m in mail.outbox if "Receipt" in m.subject]
    assert "Visa •••• 4242" in receipt.body and "3184" not in receipt.body

    # The old bank page, completed now, takes nothing and says why.
    page = shown(client.get(reverse("billing:local_authenticate", args=[old.provider_ref])))
    assert "This payment with Visa •••• 3184 was cancelled because you chose" in page
    assert "Complete authentication" not in page
    response = client.post(
        reverse("billing:local_authenticate", args=[old.provider_ref]),
        {"outcome": "complete"},
        follow=True,
    )
    body = shown(response)
    assert "This payment with Visa •••• 3184 was cancelled because you chose to pay with" in body
    assert "Thank you" not in body
    assert "Visa •••• 4242" in body  # the bill says which card paid it
    old.refresh_from_db()
    assert old.status == "cancelled" and old.succeeded_at is None
    assert LocalIntent.objects.get(intent_id=old.provider_ref).status == "canceled"
    assert Payment.objects.filter(status="succeeded").count() == 1
    assert not Refund.objects.exists()


def test_the_same_card_again_continues_its_payment(client, alice, invoice):
    asks = add_card(alice, AUTHENTICATE)
    client.force_login(alice)
    first = pay(client, invoice, asks)
    again = pay(client, invoice, asks)
    assert first["Location"] == again["Location"]
    assert Payment.objects.get().status == "requires_action"
    assert LocalIntent.objects.count() == 2  # the card's own set-up, and one charge


def test_a_removed_card_is_never_charged_and_its_old_page_says_so(
    client, alice, invoice, django_capture_on_commit_callbacks
):
    """The issue's journey: start with 3184, leave its bank page, remove 3184, pay
    with the card left, then complete the old page."""
    asks, good = add_card(alice, AUTHENTICATE), add_card(alice, GOOD)
    client.force_login(alice)
    pay(client, invoice, asks)
    old = Payment.objects.get()
    response = client.post(reverse("billing:card_remove", args=[asks.code]), follow=True)
    assert "Your Visa •••• 3184 has been removed." in shown(response)
    old.refresh_from_db()
    assert (old.status, old.cancel_reason) == ("cancelled", "card_removed")
    assert LocalIntent.objects.get(intent_id=old.provider_ref).status == "canceled"

    # The old page first: nothing is taken, the bill is still open.
    response = client.post(
        reverse("billing:local_authenticate", args=[old.provider_ref]),
        {"outcome": "complete"},
        follow=True,
    )
    body = shown(response)
    assert "This payment with Visa •••• 3184 was cancelled because you removed the card." in body
    assert "The bill is still open: pay it with another card." in body
    assert body.count("because you removed the card") == 1  # said once, not twice
    invoice.refresh_from_db()
    assert invoice.status == "open"

    with django_capture_on_commit_callbacks(execute=True):
        response = pay(client, invoice, good)
    assert response["Location"] == reverse("billing:invoice", args=[invoice.code])
    body = shown(client.get(response["Location"]))
    assert "Visa •••• 4242" in body and "3184" not in body
    paid = Payment.objects.get(status="succeeded")
    assert paid.method == good
    [receipt] = [m for m in mail.outbox if "Receipt" in m.subject]
    assert "Visa •••• 4242" in receipt.body and "3184" not in receipt.body
    assert "Visa •••• 4242" in receipt.alternatives[0][0]
    assert not Refund.objects.exists()


def test_a_card_removed_half_way_through_paying(alice, invoice):
    """Removed after the payment was recorded and before the provider was asked:
    the charge call that follows takes nothing."""
    asks = add_card(alice, AUTHENTICATE)
    started = Payment.objects.create(
        invoice=invoice,
        method=asks,
        amount=invoice.amount,
        currency=invoice.currency,
        idempotency_key=f"pay-{invoice.code}-{new_payment_key()}",
        provider="local",
    )
    card_remove(method=asks)
    started.refresh_from_db()
    assert (started.status, started.cancel_reason) == ("cancelled", "card_removed")
    with pytest.raises(BillingError, match="That card has been removed"):
        payment_charge(payment=started)
    # A charge call that was already on its way reaches the provider after the cancel.
    result = get_provider("local").charge(
        user=alice,
        provider_ref=asks.provider_ref,
        amount=started.amount,
        currency=started.currency,
        idempotency_key=started.idempotency_key,
        return_url="http://testserver/",
    )
    assert result.status == "canceled"
    assert not LocalIntent.objects.filter(kind="payment").exclude(status="canceled").exists()
    # And the removed card cannot start another.
    with pytest.raises(BillingError, match="That card has been removed"):
        invoice_pay(invoice=invoice, method=asks, payment_key=new_payment_key())
    assert Payment.objects.count() == 1


def test_a_yes_from_the_bank_just_before_the_cancel_is_refunded_once(
    alice, invoice, django_capture_on_commit_callbacks
):
    asks, good = add_card(alice, AUTHENTICATE), add_card(alice, GOOD)
    old = invoice_pay(invoice=invoice, method=asks, payment_key=new_payment_key())
    # The client completed the bank's page in another tab a moment before.
    LocalIntent.objects.filter(intent_id=old.provider_ref).update(status="succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        invoice_pay(invoice=invoice, method=good, payment_key=new_payment_key())
    old.refresh_from_db()
    assert old.status == "cancelled" and old.succeeded_at is not None
    refund = Refund.objects.get()
    assert (refund.payment, refund.status, refund.reason) == (old, "succeeded", "payment_cancelled")
    assert LocalIntent.objects.get(intent_id=old.provider_ref).status == "refunded"
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.get(status="succeeded").method == good
    # Its event arriving late changes nothing more.
    event = {
        "id": "evt_late",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": old.provider_ref,
                "amount": old.amount,
                "amount_received": old.amount,
                "currency": "isk",
            }
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        event_process(provider="local", payload=event)
    assert Refund.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == "paid"


# ------------------------------------------------------------------ Stripe


@pytest.fixture
def stripe_cards(stripe_api, alice):
    visa = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    mastercard = card_add(user=alice, data={"payment_method": "pm_card_mastercard"})
    stripe_api.requests.clear()
    return visa, mastercard


def posted(stripe_api) -> list[str]:
    return [r[1] for r in stripe_api.requests if r[0] == "POST"]


def test_stripe_choosing_another_card_cancels_the_intent_first(
    stripe_api, stripe_cards, client, alice, invoice
):
    visa, mastercard = stripe_cards
    stripe_api.intent_outcome = "requires_action"
    old = invoice_pay(invoice=invoice, method=visa, payment_key=new_payment_key())
    assert (old.status, old.provider_ref) == ("requires_action", "pi_3ds")
    stripe_api.intent_outcome = "succeeded"
    new = invoice_pay(invoice=invoice, method=mastercard, payment_key=new_payment_key())
    assert new.status == "succeeded" and new.method == mastercard
    assert posted(stripe_api) == [
        "/v1/payment_intents",
        "/v1/payment_intents/pi_3ds/cancel",  # before the new card is charged
        "/v1/payment_intents",
    ]
    cancel = stripe_api.requests[1]
    assert cancel[2]["Idempotency-Key"] == f"cancel-{old.idempotency_key}"
    assert cancel[3]["cancellation_reason"] == ["requested_by_customer"]
    old.refresh_from_db()
    assert (old.status, old.cancel_reason) == ("cancelled", "card_changed")

    # Stripe's own word that it is cancelled is acknowledged, and changes nothing.
    body, header = signed(
        recorded("payment_intent.canceled", intent="pi_3ds", key=old.idempotency_key)
    )
    response = client.post(
        reverse("billing:stripe_webhook"),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert (response.status_code, response.content) == (200, b"cancelled")
    assert Invoice.objects.get().status == "paid"


def test_stripe_removing_the_card_cancels_its_intent(stripe_api, stripe_cards, alice, invoice):
    visa, _mastercard = stripe_cards
    stripe_api.intent_outcome = "requires_action"
    old = invoice_pay(invoice=invoice, method=visa, payment_key=new_payment_key())
    card_remove(method=visa)
    assert posted(stripe_api) == [
        "/v1/payment_intents",
        "/v1/payment_methods/pm_card_visa/detach",
        "/v1/payment_intents/pi_3ds/cancel",
    ]
    old.refresh_from_db()
    assert (old.status, old.cancel_reason) == ("cancelled", "card_removed")
    assert Invoice.objects.get().status == "open"


def test_stripe_too_late_to_cancel_gives_the_money_back(
    stripe_api, stripe_cards, client, alice, invoice, django_capture_on_commit_callbacks
):
    visa, mastercard = stripe_cards
    stripe_api.intent_outcome = "requires_action"
    old = invoice_pay(invoice=invoice, method=visa, payment_key=new_payment_key())
    stripe_api.intent_outcome, stripe_api.cancel_outcome = "succeeded", "too_late"
    with django_capture_on_commit_callbacks(execute=True):
        invoice_pay(invoice=invoice, method=mastercard, payment_key=new_payment_key())
    old.refresh_from_db()
    assert old.status == "cancelled" and old.succeeded_at is not None
    refund = Refund.objects.get()
    assert (refund.payment, refund.status, refund.reason) == (old, "succeeded", "payment_cancelled")
    [asked] = [r for r in stripe_api.requests if r[1] == "/v1/refunds"]
    assert asked[3]["payment_intent"] == ["pi_3ds"]
    [returned] = [m for m in mail.outbox if "is being returned" in m.subject]
    assert "This payment had been cancelled, but your bank took it all the same." in (returned.body)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    # Stripe's event for that success, coming after, is no second refund.
    body, header = signed(
        recorded("payment_intent.succeeded", intent="pi_3ds", key=old.idempotency_key)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("billing:stripe_webhook"),
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
    assert Refund.objects.count() == 1
    assert len([r for r in stripe_api.requests if r[1] == "/v1/refunds"]) == 1
    assert Payment.objects.filter(status="succeeded").count() == 1


def test_stripe_a_success_reported_after_the_cancel_is_refunded(
    stripe_api, stripe_cards, client, alice, invoice, django_capture_on_commit_callbacks
):
    """Stripe charges nothing once an intent is cancelled; should it still report a
    success (events out of order, a cancel it never got), the money goes back."""
    visa, _mastercard = stripe_cards
    stripe_api.intent_outcome = "requires_action"
    old = invoice_pay(invoice=invoice, method=visa, payment_key=new_payment_key())
    card_remove(method=visa)
    body, header = signed(
        recorded("payment_intent.succeeded", intent="pi_3ds", key=old.idempotency_key)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:stripe_webhook"),
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
    assert (response.status_code, response.content) == (200, b"refunded")
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert Refund.objects.get().status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == "open"  # still the client's to pay, with a card they have
    assert not [m for m in mail.outbox if "Receipt" in m.subject]


def test_stripe_a_payment_the_bank_is_processing_is_not_switched_or_its_card_removed(
    stripe_api, stripe_cards, alice, invoice
):
    visa, mastercard = stripe_cards
    stripe_api.intent_outcome = "processing"
    old = invoice_pay(invoice=invoice, method=visa, payment_key=new_payment_key())
    assert old.status == "pending"
    with pytest.raises(BillingError, match="still being processed by the bank"):
        invoice_pay(invoice=invoice, method=mastercard, payment_key=new_payment_key())
    with pytest.raises(BillingError, match="still processing"):
        card_remove(method=visa)
    visa.refresh_from_db()
    old.refresh_from_db()
    assert visa.removed_at is None and old.status == "pending"
    assert Payment.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_paying_with_a_card_while_it_is_removed_never_deadlocks_or_keeps_its_money(
    alice, professional, kind
):
    """Pay and remove the same card at once, many times over: one waits for the
    other; the payment is refused, cancelled, or made before the card was gone,
    and a removed card's payment never stays taken."""
    from datetime import timedelta

    from django.utils import timezone

    from tengja.bookings.services import booking_invite

    for attempt in range(6):
        start = timezone.now() + timedelta(days=3, hours=attempt)
        booking = booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )
        invoice = Invoice.objects.get(booking=booking)
        card = add_card(alice, AUTHENTICATE if attempt % 2 else GOOD)
        results = race(
            [
                lambda i=invoice, c=card: invoice_pay(
                    invoice=i, method=c, payment_key=new_payment_key()
                ),
                lambda c=card: card_remove(method=c),
            ],
            expected=BillingError,
        )
        assert not [
            r for r in results if isinstance(r, Exception) and not isinstance(r, BillingError)
        ]
        invoice.refresh_from_db()
        for payment in Payment.objects.filter(invoice=invoice):
            assert payment.status in ("succeeded", "cancelled"), payment.status
            if payment.status == "cancelled" and payment.succeeded_at:
                assert payment.refunds.exists()  # taken after all: going back
        paid = Payment.objects.filter(invoice=invoice, status="succeeded").exists()
        assert invoice.status == ("paid" if paid else "open")
        assert not LocalIntent.objects.filter(
            kind="payment", status="requires_action", payment_method_ref=card.provider_ref
        ).exists()  # no bank page of a removed card is left able to take money


@pytest.mark.parametrize(
    "language, said",
    [
        (
            "en",
            {
                "confirm": "Removing it cancels the payment waiting on bill {number}: "
                "nothing is taken.",
                "after": "Your Visa •••• 3184 has been removed. The payment waiting on bill "
                "{number} is cancelled: nothing is taken.",
            },
        ),
        (
            "is",
            {
                "confirm": "Ef þú fjarlægir kortið fellur greiðslan vegna reiknings {number} "
                "niður: ekkert er tekið af því.",
                "after": "Kortið þitt Visa •••• 3184 hefur verið fjarlægt. Greiðslan vegna "
                "reiknings {number} fellur niður: ekkert er tekið af kortinu.",
            },
        ),
    ],
)
def test_removing_a_card_says_its_payment_in_progress_is_cancelled(
    client, alice, invoice, language, said
):
    alice.language = language
    alice.save(update_fields=["language"])
    asks = add_card(alice, AUTHENTICATE)
    client.force_login(alice)
    pay(client, invoice, asks)
    remove = reverse("billing:card_remove", args=[asks.code])
    number = invoice.display_number
    assert said["confirm"].format(number=number) in shown(client.get(remove))
    response = client.post(remove, follow=True)
    assert said["after"].format(number=number) in shown(response)
    assert Payment.objects.get().status == "cancelled"


@pytest.mark.parametrize("number", [GOOD, "4000 0025 0000 3155"])
def test_a_card_added_from_the_pay_page_is_the_one_chosen_there(client, alice, invoice, number):
    """After "Use a new card" the pay page chose the old card again, whose payment
    waits for the bank (issue #26): the card just added is chosen (also one its
    bank asks about first)."""
    asks = add_card(alice, AUTHENTICATE)
    client.force_login(alice)
    pay(client, invoice, asks)
    pay_page = reverse("billing:pay", args=[invoice.code])
    assert f'value="{asks.code}" checked' in shown(client.get(pay_page))
    response = client.post(
        reverse("billing:card_add"),
        {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123", "next": pay_page},
    )
    if "authenticate" in response["Location"]:
        intent_id = response["Location"].split("/")[-2]
        response = client.post(
            reverse("billing:local_authenticate", args=[intent_id]),
            {"outcome": "complete", "next": pay_page},
        )
    new = PaymentMethod.objects.exclude(pk=asks.pk).get()
    assert response["Location"] == f"{pay_page}?card={new.code}"
    body = shown(client.get(response["Location"]))
    assert f'value="{new.code}" checked' in body
    assert f'value="{asks.code}" checked' not in body
    # From Payments, adding a card goes back to Payments as before.
    response = client.post(
        reverse("billing:card_add"),
        {"number": GOOD, "exp_month": 11, "exp_year": 2041, "cvc": "123", "next": "/payments/"},
    )
    assert response["Location"] == "/payments/"
