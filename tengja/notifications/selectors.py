from django.db.models import Prefetch, QuerySet

from tengja.accounts.models import User
from tengja.bookings.models import Booking, BookingRequest
from tengja.measures.models import MeasureRequest
from tengja.notifications.models import Notification


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first, with what their text needs.

    The sessions come in a second query: one query joining all eight tables took
    PostgreSQL 6 ms to plan against 0.4 ms to run; two take about 3 ms in all."""
    return (
        Notification.objects.filter(user=user)
        .select_related("invoice")
        .prefetch_related(
            Prefetch(
                "booking",
                Booking.objects.select_related(
                    "session_type",
                    "professional__user",
                    "client",
                    "invitation",  # until the client accepts, the professional sees the address
                    "request",  # "Request accepted"
                ),
            ),
            Prefetch(
                "booking_request",
                BookingRequest.objects.select_related(
                    "session_type", "professional__user", "client"
                ),
            ),
            # Notices of questionnaires: one more query, only when the page shows one.
            Prefetch(
                "measure_request",
                MeasureRequest.objects.select_related("professional__user", "client"),
            ),
        )
    )


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_for_user(*, user: User, code: str) -> Notification | None:
    return (
        Notification.objects.filter(user=user, code=code)
        .select_related("booking", "invoice", "booking_request", "measure_request__client")
        .first()
    )


def feed_bookings(*, user: User, since) -> list[Booking]:
    from django.db.models import Q

    return list(
        Booking.objects.filter(Q(client=user) | Q(professional__user=user), ends_at__gte=since)
        .select_related("session_type", "professional__user", "client", "invitation")
        .order_by("starts_at")
    )
