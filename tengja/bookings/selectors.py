from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.professionals.models import Professional

# What a session row shows: its type, both people, and (before the client has an
# account) the invited address.
RELATED = ("session_type", "professional__user", "client", "invitation")


def _as_either(user: User) -> Q:
    """Sessions in which the user is the client or the professional. The
    professional's id is a scalar subquery, so the database reads both indexes
    (client, starts_at) and (professional, starts_at) rather than joining every
    booking to its professional to test an OR."""
    own = Subquery(Professional.objects.filter(user=user).values("pk")[:1])
    return Q(client=user) | Q(professional_id=own)


def _with_bill_status(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """Each session with `bill_status`: the status of the bill that stands for it
    (billing.selectors.invoice_standing's), or None. Its Cost line and the cancel
    page say with it that a paid session's payment is refunded, in the same query
    (a scalar subquery; bookings does not import billing, so the model is reached
    through the relation billing declares)."""
    invoices = Booking.invoices.rel.related_model.objects  # type: ignore[attr-defined]
    standing = (
        invoices.filter(booking=OuterRef("pk"), kind="invoice")
        .exclude(status="credited")
        .values("status")[:1]
    )
    return bookings.annotate(bill_status=Subquery(standing))


def booking_for_user(*, user: User, code: str) -> Booking:
    """The booking named in a URL, if the user is its client or its professional; else 404.
    It comes with `bill_status` (see _with_bill_status)."""
    if not user.is_authenticated:
        raise Http404
    booking = (
        _with_bill_status(Booking.objects.select_related(*RELATED))
        .filter(_as_either(user), code=code)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def bookings_upcoming_for_user(*, user: User, limit: int) -> QuerySet[Booking]:
    """Confirmed sessions not yet over, in which the user is the client or the professional."""
    return (
        Booking.objects.filter(
            _as_either(user),
            status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related(*RELATED)
        .order_by("starts_at")[:limit]
    )


def bookings_past_for_user(*, user: User) -> QuerySet[Booking]:
    """Sessions over or cancelled, as client or professional, newest first (to paginate),
    with `bill_status` for their Cost line."""
    return (
        _with_bill_status(Booking.objects.filter(_as_either(user)))
        .filter(Q(ends_at__lte=timezone.now()) | Q(status=Booking.Status.CANCELLED))
        .select_related(*RELATED)
        .order_by("-starts_at")
    )


def bookings_between_for_user(*, user: User, start: datetime, end: datetime) -> list[Booking]:
    """Confirmed sessions overlapping [start, end), for the calendar."""
    return list(
        Booking.objects.filter(
            _as_either(user),
            status=Booking.Status.CONFIRMED,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related(*RELATED)
        .order_by("starts_at")
    )


def bookings_upcoming_for_professional(*, professional: Professional) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            professional=professional,
            status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related(*RELATED)
        .order_by("starts_at")
    )


def connections_for_client(*, user: User) -> QuerySet[Professional]:
    """The professionals the client has had a (not cancelled) session with."""
    return (
        Professional.objects.filter(
            bookings__client=user, bookings__status=Booking.Status.CONFIRMED
        )
        .select_related("user")
        .distinct()
        .order_by("user__name")
    )


def bookings_with_professional_for_client(
    *, user: User, professional: Professional
) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(client=user, professional=professional)
        .select_related(*RELATED)
        .order_by("-starts_at")
    )


def bookings_between_for_professional(
    *, professional: Professional, start: datetime, end: datetime
) -> list[Booking]:
    """All the professional's sessions starting in [start, end), cancelled ones
    too, for their week."""
    return list(
        Booking.objects.filter(professional=professional, starts_at__gte=start, starts_at__lt=end)
        .select_related(*RELATED)
        .order_by("starts_at", "status")
    )
