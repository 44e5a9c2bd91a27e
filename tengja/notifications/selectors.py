from django.db.models import QuerySet

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.notifications.models import Notification


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related(
        "booking__session_type",
        "booking__professional__user",
        "booking__client",
        "booking__invitation",  # until the client accepts, the professional sees the address
        "invoice",
    )


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_for_user(*, user: User, code: str) -> Notification | None:
    return (
        Notification.objects.filter(user=user, code=code)
        .select_related("booking", "invoice")
        .first()
    )


def feed_bookings(*, user: User, since) -> list[Booking]:
    from django.db.models import Q

    return list(
        Booking.objects.filter(Q(client=user) | Q(professional__user=user), ends_at__gte=since)
        .select_related("session_type", "professional__user", "client", "invitation")
        .order_by("starts_at")
    )
