"""Who hears of a change to a bill, and in which order (as tengja.bookings.events
does for sessions). Billing imports none of its subscribers: tengja.wiring
names them and hands them over at start-up (`subscribe`)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured

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


Subscriber = Callable[[BillingEvent], None]

_subscribers: tuple[Subscriber, ...] | None = None


def subscribe(*subscribers: Subscriber) -> None:
    """Who hears of each change, in order: tengja.wiring's AppConfig.ready."""
    global _subscribers
    _subscribers = subscribers


def subscribers() -> tuple[Subscriber, ...]:
    if _subscribers is None:
        raise ImproperlyConfigured("No billing subscribers: is tengja.wiring installed?")
    return _subscribers


def publish(event: BillingEvent) -> None:
    """Inside the transaction that changed the bill: what subscribers write commits
    or rolls back with it."""
    for subscriber in subscribers():
        subscriber(event)
