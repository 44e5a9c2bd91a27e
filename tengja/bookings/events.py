"""Who else hears of a change to a booking, and in which order.

The booking services publish each change inside their transaction; the apps
that depend on bookings are listed below, in the order they are told, so that
what they write commits or rolls back with the booking. They are named by
path because they depend on bookings, not the other way round: bookings
imports none of them, and this list is the one place that says who listens.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from django.utils.module_loading import import_string

from tengja.bookings.models import Booking


class Kind(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    INVITATION_RESENT = "invitation_resent"


@dataclass(frozen=True)
class BookingEvent:
    kind: Kind
    booking: Booking
    previous_starts_at: datetime | None = None  # for MOVED
    # For BOOKED and MOVED: who made the booking (the professional invites, a client
    # books in a hub) or moved it, so the one who did not is the one to tell.
    by: Booking.Role | None = None


# In this order: the credit and the bill are settled before anyone is told, so
# what people are told (and what their pages show) is already true.
SUBSCRIBERS = (
    "tengja.hubs.services.on_booking_event",  # a cancelled credit session's credit back
    "tengja.billing.services.on_booking_event",  # the bill issued, voided or refunded
    "tengja.notifications.services.on_booking_event",  # e-mails and in-app notices
    "tengja.video.services.on_booking_event",  # a cancelled session's open call ends
)

Subscriber = Callable[[BookingEvent], None]


@cache
def subscribers() -> tuple[Subscriber, ...]:
    return tuple(import_string(path) for path in SUBSCRIBERS)


def publish(event: BookingEvent) -> None:
    for subscriber in subscribers():
        subscriber(event)
