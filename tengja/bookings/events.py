"""Who else hears of a change to a booking, and in which order.

The booking services publish each change inside their transaction; the apps
that depend on bookings hear of it, in order, so that what they write commits
or rolls back with the booking. They depend on bookings, not the other way
round, so bookings imports none of them: the one place that says who listens
is `tengja.wiring.subscribers`, which hands them over at start-up (`subscribe`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured

from tengja.bookings.models import Booking, BookingRequest


class Kind(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    INVITATION_RESENT = "invitation_resent"
    # Marked done by the professional; with payment_skipped_reason, not billed.
    DONE = "done"


@dataclass(frozen=True)
class BookingEvent:
    kind: Kind
    booking: Booking
    previous_starts_at: datetime | None = None  # for MOVED
    # For BOOKED and MOVED: who made the booking (the professional invites, a client
    # books in a hub) or moved it, so the one who did not is the one to tell.
    by: Booking.Role | None = None
    # The sessions changed together with this one (a series booked, or "this and
    # all following" moved or cancelled), by id, the first one's e-mail speaking
    # for all: one e-mail for the lot instead of one per session.
    group: tuple[int, ...] = ()

    @property
    def speaks_for_group(self) -> bool:
        """Whether this event's e-mail (and in-app notice) tells of the whole group."""
        return not self.group or self.group[0] == self.booking.pk


Subscriber = Callable[[BookingEvent], None]

_subscribers: tuple[Subscriber, ...] | None = None


def subscribe(*subscribers: Subscriber) -> None:
    """Who hears of each change, in order (all at once, so running it again
    changes nothing): tengja.wiring's AppConfig.ready."""
    global _subscribers
    _subscribers = subscribers


def subscribers() -> tuple[Subscriber, ...]:
    if _subscribers is None:
        # Never a change that nobody hears of: no credit back, no bill, no e-mail.
        raise ImproperlyConfigured("No booking subscribers: is tengja.wiring installed?")
    return _subscribers


def publish(event: BookingEvent) -> None:
    for subscriber in subscribers():
        subscriber(event)


# ------------------------------------------------------------------ session requests


class RequestKind(StrEnum):
    MADE = "made"  # the client asked: the professional is told
    ACCEPTED = "accepted"  # booked (the BOOKED event of its session tells the client)
    DECLINED = "declined"
    EXPIRED = "expired"  # nobody answered in time
    WITHDRAWN = "withdrawn"  # the client took it back


@dataclass(frozen=True)
class RequestEvent:
    """A change to a session request (tengja.bookings.requests), published inside
    its transaction, heard in the order of `REQUEST_SUBSCRIBERS`."""

    kind: RequestKind
    booking_request: BookingRequest


RequestSubscriber = Callable[[RequestEvent], None]

_request_subscribers: tuple[RequestSubscriber, ...] | None = None


def subscribe_requests(*subscribers: RequestSubscriber) -> None:
    global _request_subscribers
    _request_subscribers = subscribers


def request_subscribers() -> tuple[RequestSubscriber, ...]:
    if _request_subscribers is None:
        # Never a request that nobody hears of: the professional would not know.
        raise ImproperlyConfigured("No request subscribers: is tengja.wiring installed?")
    return _request_subscribers


def publish_request(event: RequestEvent) -> None:
    for subscriber in request_subscribers():
        subscriber(event)
