"""A stand-in for Stripe's API at the HTTP level: recorded Stripe responses
served over real HTTP on this machine (Stripe's servers cannot be reached from
here), and webhook events signed with the Stripe library's own scheme."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import stripe

WEBHOOK_SECRET = "whsec_test_secret"
CARD = {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2031}
CARD_2 = {"brand": "mastercard", "last4": "4444", "exp_month": 9, "exp_year": 2032}
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
    ("GET", "/v1/payment_methods/pm_card_mastercard"): (
        200,
        {
            "id": "pm_card_mastercard",
            "object": "payment_method",
            "type": "card",
            "customer": None,
            "card": CARD_2,
        },
    ),
    ("POST", "/v1/payment_methods/pm_card_mastercard/attach"): (
        200,
        {
            "id": "pm_card_mastercard",
            "object": "payment_method",
            "type": "card",
            "customer": "cus_Q1",
            "card": CARD_2,
        },
    ),
    ("POST", "/v1/payment_methods/pm_card_visa/detach"): (
        200,
        {
            "id": "pm_card_visa",
            "object": "payment_method",
            "type": "card",
            "customer": None,
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
    "processing": (200, {"id": "pi_slow", "object": "payment_intent", "status": "processing"}),
    # Charged without the holder there (off_session), a card that wants them to
    # confirm: Stripe declines, and the intent waits for another payment method.
    "authentication_required": (
        402,
        {
            "error": {
                "type": "card_error",
                "code": "authentication_required",
                "message": "Your card was declined. This transaction requires authentication.",
                "payment_intent": {"id": "pi_offsession", "status": "requires_payment_method"},
            }
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

# POST /v1/payment_intents/{id}/cancel, as Stripe answers it.
CANCELS = {
    "canceled": (
        200,
        {
            "id": "{intent}",
            "object": "payment_intent",
            "status": "canceled",
            "cancellation_reason": "requested_by_customer",
        },
    ),
    # The holder confirmed at the bank a moment before: too late to cancel.
    "too_late": (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "payment_intent_unexpected_state",
                "message": "You cannot cancel this PaymentIntent because it has a status of "
                "succeeded. Only a PaymentIntent with one of the following statuses may be "
                "canceled: requires_payment_method, requires_capture, requires_confirmation, "
                "requires_action, processing.",
                "payment_intent": {
                    "id": "{intent}",
                    "object": "payment_intent",
                    "status": "succeeded",
                },
            }
        },
    ),
}

REFUNDS = {
    "succeeded": (200, {"id": "re_1", "object": "refund", "status": "succeeded"}),
    "down": (500, {"error": {"type": "api_error", "message": "Something went wrong."}}),
}


class RecordedStripe(BaseHTTPRequestHandler):
    intent_outcome = "succeeded"
    refund_outcome = "succeeded"
    cancel_outcome = "canceled"
    requests: list = []

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = parse_qs(self.rfile.read(length).decode()) if length else {}
        path = self.path.split("?")[0]
        type(self).requests.append((self.command, path, dict(self.headers), body))
        if (self.command, path) == ("POST", "/v1/payment_intents"):
            status, payload = INTENTS[type(self).intent_outcome]
        elif (self.command, path) == ("POST", "/v1/refunds"):
            status, payload = REFUNDS[type(self).refund_outcome]
        elif self.command == "POST" and re.fullmatch(r"/v1/payment_intents/\w+/cancel", path):
            status, payload = CANCELS[type(self).cancel_outcome]
            intent = path.split("/")[3]
            payload = json.loads(json.dumps(payload).replace("{intent}", intent))
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
    RecordedStripe.refund_outcome = "succeeded"
    RecordedStripe.cancel_outcome = "canceled"
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_recorded"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_recorded"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield RecordedStripe
    server.shutdown()


def signed(payload: dict, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, int(time.time())
    )
    return body, header


def event(event_id: str, kind: str, intent_id: str, amount: int = 18000) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "currency": "isk",
            }
        },
    }


EVENTS = Path(__file__).parent / "events"


def recorded(name: str, **values: str) -> dict:
    """An event as Stripe sent it (tests/billing/events/<name>.json), with the
    {placeholders} filled in: the ids this test's payment has."""
    text = (EVENTS / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)
