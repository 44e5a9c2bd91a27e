from django.db.models import Q, QuerySet
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking


def bookings_upcoming_for_user(*, user: User, limit: int) -> QuerySet[Booking]:
    """Confirmed sessions not yet over, in which the user is the client or the professional."""
    return (
        Booking.objects.filter(
            Q(client=user) | Q(professional__user=user),
            status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related("session_type", "professional__user", "client")
        .order_by("starts_at")[:limit]
    )
