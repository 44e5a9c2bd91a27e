from tengja.bookings.events import BookingEvent, Kind
from tengja.lib.realtime import group_send_on_commit


def session_group(code: str) -> str:
    """The signalling sockets of one session's call (tengja.video.consumers)."""
    return f"session.{code}"


def on_booking_event(event: BookingEvent) -> None:
    """A cancelled session's call ends for both, once the cancellation has
    committed (see tengja.bookings.events)."""
    if event.kind == Kind.CANCELLED:
        group_send_on_commit(
            session_group(event.booking.code), {"type": "session.end", "reason": "cancelled"}
        )
