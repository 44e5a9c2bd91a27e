"""Who hears of a change to a bill, and in which order (as tengja.bookings.events
does for sessions). Billing imports none of its subscribers; they are named here."""

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from django.utils.module_loading import import_string

from tengja.billing.models import Invoice, Payment, Refund


class Kind(StrEnum):
    PAYMENT_DUE = "payment_due"  # a bill issued to a client with an account
    PAYMENT_RECEIVED = "payment_received"
    REFUNDED = "refunded"  # money given back, by us or in the provider's dashboard
    DISPUTE_OPENED = "dispute_opened"  # the client's bank disputes a payment
    DISPUTE_CLOSED = "dispute_closed"


@dataclass(frozen=True)
class BillingEvent:
    kind: Kind
    invoice: Invoice
    payment: Payment | None = None
    refund: Refund | None = None


SUBSCRIBERS = ("tengja.notifications.services.on_billing_event",)


@cache
def subscribers() -> tuple:
    return tuple(import_string(path) for path in SUBSCRIBERS)


def publish(event: BillingEvent) -> None:
    """Inside the transaction that changed the bill: what subscribers write commits
    or rolls back with it."""
    for subscriber in subscribers():
        subscriber(event)
