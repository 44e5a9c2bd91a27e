from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking


def future_sessions_count(*, user: User) -> int:
    """Sessions still to come that deleting the account would cancel."""
    return Booking.objects.filter(
        client=user, status=Booking.Status.CONFIRMED, starts_at__gt=timezone.now()
    ).count()
