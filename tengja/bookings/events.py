"""Who else hears of a change to a booking.

Apps that depend on bookings (notifications now; billing and hubs later)
subscribe from their AppConfig.ready(); the booking services publish inside
their transaction, so what a subscriber writes commits or rolls back with the
booking. This keeps dependencies pointing one way (bookings knows nothing of
its subscribers) while both ends stay explicit and greppable, unlike a
Django signal connected somewhere out of sight.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tengja.bookings.models import Booking


@dataclass(frozen=True)
class BookingEvent:
    kind: str  # "booked", "moved", "cancelled", "invitation_resent"
    booking: Booking
    previous_starts_at: datetime | None = None


Subscriber = Callable[[BookingEvent], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def publish(event: BookingEvent) -> None:
    for subscriber in _subscribers:
        subscriber(event)
