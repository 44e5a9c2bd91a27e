"""Who else hears of a questionnaire sent or an answer that needs attention.

As tengja.bookings.events does for sessions: measures publishes inside its
transaction, the apps above it (notifications: the in-app notices) hear of it
in order, and measures imports none of them. tengja.wiring.subscribers names
who listens (`MEASURE_SUBSCRIBERS`) and hands them over at start-up.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured

from tengja.measures.models import MeasureRequest, MeasureResponse


class MeasureKind(StrEnum):
    SENT = "sent"  # the client is asked to answer: the client is told
    # PHQ-9 item 9 answered above 0: the professional who sent it is told
    ATTENTION = "attention"


@dataclass(frozen=True)
class MeasureEvent:
    kind: MeasureKind
    request: MeasureRequest
    response: MeasureResponse | None = None  # for ATTENTION


MeasureSubscriber = Callable[[MeasureEvent], None]

_subscribers: tuple[MeasureSubscriber, ...] | None = None


def subscribe(*subscribers: MeasureSubscriber) -> None:
    """Who hears of each event, in order (all at once): tengja.wiring's AppConfig.ready."""
    global _subscribers
    _subscribers = subscribers


def subscribers() -> tuple[MeasureSubscriber, ...]:
    if _subscribers is None:
        # Never an answer that needs attention that nobody hears of.
        raise ImproperlyConfigured("No measure subscribers: is tengja.wiring installed?")
    return _subscribers


def publish(event: MeasureEvent) -> None:
    for subscriber in subscribers():
        subscriber(event)
