"""The Stripe provider against recorded Stripe responses (tests/billing/stripe_double.py)."""

import pytest
import stripe
from django.urls import reverse

from tengja.billing.models import Payment, PaymentMethod, ProviderEvent
from tengja.billing.providers import ProviderError
from tengja.billing.providers.stripe import StripeProvider
from tengja.billing.services import card_add, invoice_pay, new_payment_key
from tests.billing.stripe_double import WEBHOOK_SECRET, event, signed


def test_a_card_from_elements_is_attached_and_only_its_summary_kept(stripe_api, alice):
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    assert (card.provider, card.provider_ref, card.brand, card.last4) == (
        "stripe",
        "pm_card_visa",
        "Visa",
        "4242",
    )
    posts = [r for r in stripe_api.requests if r[0] == "POST"]
    assert [r[1] for r in posts] == ["/v1/customers", "/v1/payment_methods/pm_card_visa/attach"]
    assert all(r[2].get("Idempotency-Key") for r in posts)
    assert stripe_api.requests[0][2]["Authorization"] == "Bearer sk_test_recorded"


def test_a_card_reference_that_is_not_stripes_is_refused(stripe_api, alice):
    from tengja.billing.services import BillingError

    with pytest.raises(BillingError, match="could not be saved"):
        card_add(user=alice, data={"payment_method": "4242424242424242"})
    assert not PaymentMethod.objects.exists()
    assert stripe_api.requests == []


def test_charge_carries_the_payment_idempotency_key(stripe_api, alice, invoice):
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    assert payment.status == "succeeded" and payment.provider_ref == "pi_ok"
    [intent] = [r for r in stripe_api.requests if r[1] == "/v1/payment_intents"]
    assert intent[2]["Idempotency-Key"] == payment.idempotency_key
    assert intent[3]["amount"] == ["18000"] and intent[3]["currency"] == ["isk"]
    assert intent[3]["confirm"] == ["true"]


def test_a_charge_without_the_client_there_says_so_to_stripe(stripe_api, alice, invoice):
    """ "Charge now": off_session, no return address; a bank that wants the holder
    to confirm declines, and the bill stays open for the client to pay."""
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    stripe_api.intent_outcome = "authentication_required"
    payment = invoice_pay(
        invoice=invoice, method=card, payment_key=new_payment_key(), off_session=True
    )
    [intent] = [r for r in stripe_api.requests if r[1] == "/v1/payment_intents"]
    assert intent[3]["off_session"] == ["true"] and "return_url" not in intent[3]
    assert payment.status == "failed" and payment.provider_ref == "pi_offsession"
    assert payment.failure_message == (
        "The bank wants the card holder to confirm this payment, so it was not taken."
    )
    invoice.refresh_from_db()
    assert invoice.status == "open"
    # The client's own payment is on session: sent to their bank to confirm.
    stripe_api.intent_outcome = "requires_action"
    again = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    [_, second] = [r for r in stripe_api.requests if r[1] == "/v1/payment_intents"]
    assert "off_session" not in second[3] and second[3]["return_url"]
    assert again.status == "requires_action"


def test_3d_secure_redirects_to_the_bank(stripe_api, client, alice, invoice):
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    stripe_api.intent_outcome = "requires_action"
    client.force_login(alice)
    response = client.post(
        reverse("billing:pay", args=[invoice.code]),
        {"card": card.code, "payment_key": new_payment_key()},
    )
    assert response["Location"] == "https://hooks.stripe.com/3d_secure_2/test"
    assert Payment.objects.get().status == "requires_action"


def test_a_declined_card(stripe_api, alice, invoice):
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    stripe_api.intent_outcome = "declined"
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    assert payment.status == "failed"
    assert payment.failure_message == "Your card was declined."
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_stripe_unreachable_leaves_the_bill_open_with_a_clear_message(settings, alice, invoice):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    provider = StripeProvider()
    provider.client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": settings.STRIPE_API_BASE}, max_network_retries=0
    )
    with pytest.raises(ProviderError, match="could not be reached"):
        provider.card_save(user=alice, data={"payment_method": "pm_card_visa"})


def test_webhook_with_a_good_signature_settles_the_payment_once(stripe_api, client, alice, invoice):
    card = card_add(user=alice, data={"payment_method": "pm_card_visa"})
    stripe_api.intent_outcome = "requires_action"
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    body, header = signed(event("evt_1", "payment_intent.succeeded", payment.provider_ref))
    url = reverse("billing:stripe_webhook")
    for expected in ("succeeded", "duplicate"):
        response = client.post(
            url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        assert response.status_code == 200
        assert response.content.decode() == expected
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert ProviderEvent.objects.count() == 1


@pytest.mark.parametrize("how", ["wrong secret", "tampered", "missing"])
def test_webhook_with_a_bad_signature_is_refused(stripe_api, client, alice, invoice, how):
    body, header = signed(
        event("evt_bad", "payment_intent.succeeded", "pi_x"),
        "whsec_other" if how == "wrong secret" else WEBHOOK_SECRET,
    )
    if how == "tampered":
        body = body.replace(b"pi_x", b"pi_y")
    headers = {} if how == "missing" else {"HTTP_STRIPE_SIGNATURE": header}
    response = client.post(
        reverse("billing:stripe_webhook"), body, content_type="application/json", **headers
    )
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_card_page_carries_the_setup_intent_and_allows_stripe_js(stripe_api, client, alice):
    client.force_login(alice)
    response = client.get(reverse("billing:card_add"))
    body = response.content.decode()
    assert 'data-client-secret="seti_1_secret_x"' in body
    assert 'data-publishable-key="pk_test_recorded"' in body
    assert "https://js.stripe.com/v3/" in body
    assert 'name="number"' not in body  # no card number field of ours
