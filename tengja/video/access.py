from dataclasses import dataclass
from datetime import datetime

from tengja.accounts.models import User
from tengja.bookings.gates import join_blockers
from tengja.bookings.models import Booking


@dataclass(frozen=True)
class Seat:
    """Who is entering which call, and as whom."""

    booking_code: str
    role: Booking.Role
    name: str
    other_name: str


def seat_for(*, user: User, code: str, now: datetime | None = None) -> Seat | None:
    """The user's seat in the call of booking `code`, or None: only the session's
    client and professional, only while the call is open (Booking.join_window)."""
    if not user.is_authenticated:
        return None
    booking = (
        Booking.objects.select_related("professional__user", "client", "invitation")
        .filter(code=code)
        .first()
    )
    if booking is None or booking.client_id is None or not booking.is_joinable(now):
        return None
    role = booking.role_of(user)
    if role == Booking.Role.CLIENT:
        if join_blockers([booking]):
            return None  # the professional needs something first (tengja.bookings.gates)
        return Seat(code, role, user.name, booking.professional.user.name)
    if role == Booking.Role.PROFESSIONAL:
        return Seat(code, role, user.name, booking.client_label)
    return None
