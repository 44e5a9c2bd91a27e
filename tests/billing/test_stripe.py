"""The Stripe provider against recorded Stripe responses, served over real HTTP
on this machine (Stripe's servers cannot be reached from here), and webhooks
signed with the Stripe library's own scheme."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import stripe
from django.urls import reverse

from tengja.billing.models import Payment, PaymentMethod, ProviderEvent
from tengja.billing.providers import ProviderError
from tengja.billing.providers.stripe import StripeProvider
from tengja.billing.services import card_add, invoice_pay, new_payment_key

WEBHOOK_SECRET = "whsec_test_secret"
CARD = {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2031}
RECORDED = {
    ("GET", "/v1/payment_methods/pm_card_visa"): (
        200,
        {
            "id": "pm_card_visa",
            "object": "payment_method",
            "type": "card",
            "customer": None,
            "card": CARD,
        },
    ),
    ("POST", "/v1/customers"): (
        200,
        {"id": "cus_Q1", "object": "customer", "email": "alice@example.com"},
    ),
    ("POST", "/v1/payment_methods/pm_card_visa/attach"): (
        200,
        {
            "id": "pm_card_visa",
            "object": "payment_method",
            "type": "card",
            "customer": "cus_Q1",
            "card": CARD,
        },
    ),
    ("POST", "/v1/setup_intents"): (
        200,
        {"id": "seti_1", "object": "setup_intent", "client_secret": "seti_1_secret_x"},
    ),
}
INTENTS = {
    "succeeded": (200, {"id": "pi_ok", "object": "payment_intent", "status": "succeeded"}),
    "requires_action": (
        200,
        {
            "id": "pi_3ds",
            "object": "payment_intent",
            "status": "requires_action",
            "next_action": {
                "type": "redirect_to_url",
                "redirect_to_url": {"url": "https://hooks.stripe.com/3d_secure_2/test"},
            },
        },
    ),
    "declined": (
        402,
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "payment_intent": {"id": "pi_declined"},
            }
        },
    ),
}


class RecordedStripe(BaseHTTPRequestHandler):
    intent_outcome = "succeeded"
    requests: list = []

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = parse_qs(self.rfile.read(length).decode()) if length else {}
        path = self.path.split("?")[0]
        type(self).requests.append((self.command, path, dict(self.headers), body))
        if (self.command, path) == ("POST", "/v1/payment_intents"):
            status, payload = INTENTS[type(self).intent_outcome]
        else:
            status, payload = RECORDED.get(
                (self.command, path),
                (404, {"error": {"type": "invalid_request_error", "message": "No such resource"}}),
            )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Request-Id", "req_test")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _reply

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stripe_api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedStripe)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    RecordedStripe.requests = []
    RecordedStripe.intent_outcome = "succeeded"
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_recorded"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_recorded"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield RecordedStripe
    server.shutdown()


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


def signed(payload: dict, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, int(time.time())
    )
    return body, header


def event(event_id: str, kind: str, intent_id: str) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {"object": {"id": intent_id, "object": "payment_intent"}},
    }


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
