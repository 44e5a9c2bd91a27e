"""Stripe's webhooks, as recorded events signed with Stripe's scheme: matched to a
payment by provider and intent, checked against its amount and currency, and
refunds and disputes made in Stripe's dashboard applied to the bill."""

import copy

import pytest
from django.urls import reverse

from tengja.billing.models import Invoice, Payment, ProviderEvent, Refund
from tengja.billing.services import card_add, invoice_pay, new_payment_key
from tengja.notifications.models import Notification
from tests.billing.stripe_double import recorded, signed

URL = reverse("billing:stripe_webhook")


@pytest.fixture
def payment(stripe_api, alice, invoice):
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    stripe_api.intent_outcome = "requires_action"  # settled by the webhook below
    return invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())


def post(client, event: dict):
    body, header = signed(event)
    return client.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def succeeded(payment, **changes) -> dict:
    event = recorded(
        "payment_intent.succeeded", intent=payment.provider_ref, key=payment.idempotency_key
    )
    event["data"]["object"].update(changes)
    return event


def test_a_recorded_success_pays_the_bill_and_tells_both(client, payment):
    response = post(client, succeeded(payment))
    assert (response.status_code, response.content) == (200, b"succeeded")
    assert Invoice.objects.get().status == "paid"
    kinds = set(Notification.objects.values_list("user__email", "kind"))
    assert ("alice@example.com", "payment_received") in kinds
    assert ("helga@example.com", "payment_received") in kinds


@pytest.mark.parametrize(
    "changes",
    [{"amount": 1800, "amount_received": 1800}, {"currency": "eur"}, {"amount_received": 1}],
)
def test_money_that_does_not_match_the_payment_is_recorded_and_refused(
    client, payment, changes, caplog
):
    response = post(client, succeeded(payment, **changes))
    assert (response.status_code, response.content) == (200, b"refused")
    assert Invoice.objects.get().status == "open"
    assert Payment.objects.get().status == "requires_action"
    event = ProviderEvent.objects.get()
    assert event.outcome.startswith("refused: ") and event.processed_at
    assert "refused" in caplog.text


def test_an_event_for_another_providers_payment_is_ignored(client, alice, invoice, settings):
    from tests.billing.conftest import AUTHENTICATE, add_card
    from tests.billing.stripe_double import WEBHOOK_SECRET

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    payment = invoice_pay(
        invoice=invoice, method=add_card(alice, AUTHENTICATE), payment_key=new_payment_key()
    )
    assert payment.provider == "local"
    response = post(client, succeeded(payment))  # Stripe naming the local intent's id
    assert response.content == b"ignored"
    assert Invoice.objects.get().status == "open"


@pytest.mark.parametrize(
    "break_it",
    [
        lambda e: e.pop("id"),
        lambda e: e.update(id="evt_" + "x" * 5000),
        lambda e: e["data"]["object"].update(metadata="not an object"),
        lambda e: e["data"].update(object=["a", "list"]),
        lambda e: e["data"]["object"].update(amount="18000"),
        lambda e: e.update(type=None),
    ],
    ids=["no id", "5,000 characters", "metadata", "object", "amount", "type"],
)
def test_a_signed_but_malformed_event_is_400_and_changes_nothing(client, payment, break_it):
    event = copy.deepcopy(succeeded(payment))
    break_it(event)
    response = post(client, event)
    assert response.status_code == 400
    assert response.content.startswith(b"malformed event")
    assert not ProviderEvent.objects.exists()
    assert Invoice.objects.get().status == "open"


def test_a_refund_made_in_stripes_dashboard_is_applied_and_told(client, alice, payment):
    post(client, succeeded(payment))
    response = post(client, recorded("charge.refunded", intent=payment.provider_ref))
    assert response.content == b"refunded"
    invoice = Invoice.objects.get()
    refund = Refund.objects.get()
    assert invoice.status == "refunded" and Payment.objects.get().status == "refunded"
    assert (refund.reason, refund.amount, refund.status) == ("provider", 18000, "succeeded")
    assert Notification.objects.filter(user=alice, kind="refunded", invoice=invoice).exists()
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Refunded through the payment provider." in page
    # Stripe sends events at least once.
    assert post(client, recorded("charge.refunded", intent=payment.provider_ref)).content == (
        b"duplicate"
    )
    assert Refund.objects.count() == 1


def test_a_partial_refund_in_the_dashboard_leaves_the_bill_paid(client, payment):
    post(client, succeeded(payment))
    event = recorded("charge.refunded", intent=payment.provider_ref)
    event["data"]["object"]["amount_refunded"] = 5000
    event["data"]["object"]["refunded"] = False
    assert post(client, event).content == b"partly refunded"
    assert Invoice.objects.get().status == "paid"
    assert Refund.objects.get().amount == 5000


def test_stripe_confirming_our_own_refund_settles_it(
    stripe_api, client, alice, payment, django_capture_on_commit_callbacks
):
    from tengja.bookings.services import booking_cancel

    post(client, succeeded(payment))
    stripe_api.refund_outcome = "down"  # our request's answer is lost
    booking_cancel(booking=Invoice.objects.get().booking, by=alice)
    assert Invoice.objects.get().status == "refund_pending"
    response = post(client, recorded("charge.refunded", intent=payment.provider_ref))
    assert response.content == b"refunded"
    refund = Refund.objects.get()
    assert (refund.reason, refund.status) == ("cancelled", "succeeded")
    assert Invoice.objects.get().status == "refunded"


@pytest.mark.parametrize(("status", "bill"), [("won", "paid"), ("lost", "refunded")])
def test_a_dispute_is_shown_on_the_bill_and_its_end_applied(client, alice, payment, status, bill):
    post(client, succeeded(payment))
    assert post(
        client, recorded("charge.dispute.created", intent=payment.provider_ref)
    ).content == (b"dispute open")
    assert Payment.objects.get().dispute == "open"
    invoice = Invoice.objects.get()
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Your bank has told us you dispute this payment" in page
    closed = recorded("charge.dispute.closed", intent=payment.provider_ref, status=status)
    assert post(client, closed).content == f"dispute {status}".encode()
    assert Invoice.objects.get().status == bill
    kinds = list(Notification.objects.filter(user=alice).values_list("kind", flat=True))
    assert "dispute_opened" in kinds and "dispute_closed" in kinds
