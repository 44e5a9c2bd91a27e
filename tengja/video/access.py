from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import JOIN_WINDOW_BEFORE, Booking


@dataclass(frozen=True)
class Seat:
    """Who is entering which call, and as whom."""

    booking_code: str
    role: str  # "client" or "professional"
    name: str
    other_name: str


def room_open(booking: Booking, now: datetime | None = None) -> bool:
    """From 15 minutes before the start until a short grace after the end, if not cancelled."""
    now = now or timezone.now()
    grace = timedelta(minutes=settings.VIDEO_GRACE_MINUTES)
    return (
        not booking.is_cancelled
        and booking.starts_at - JOIN_WINDOW_BEFORE <= now < booking.ends_at + grace
    )


def seat_for(*, user: User, code: str, now: datetime | None = None) -> Seat | None:
    """The user's seat in the call of booking `code`, or None: only the session's
    client and professional, only while the room is open."""
    if not user.is_authenticated:
        return None
    booking = (
        Booking.objects.select_related("professional__user", "client").filter(code=code).first()
    )
    if booking is None or booking.client_id is None or not room_open(booking, now):
        return None
    if booking.client_id == user.pk:
        return Seat(code, "client", user.name, booking.professional.user.name)
    if booking.professional.user_id == user.pk:
        return Seat(code, "professional", user.name, booking.client.name)
    return None
