from datetime import datetime

from django.apps import apps
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking, BookingSeries
from tengja.professionals.models import Professional

# What a session row shows: its type, both people, and (before the client has an
# account) the invited address.
RELATED = ("session_type", "professional__user", "client", "invitation")


def sessions_together() -> Q:
    """Bookings that make two people client and professional of each other (as the
    client's page does): the client booked, or accepted the invitation."""
    return Q(invitation__isnull=True) | Q(invitation__accepted_at__isnull=False)


def has_sessions(*, professional: Professional, client: User) -> bool:
    """Whether the two have a session together, past or booked (who may send a
    questionnaire, share scores or hold a conversation). A session cancelled
    before its start does not count: booking a professional's public page and
    cancelling at once must not open a way to message them."""
    return (
        Booking.objects.filter(professional=professional, client=client)
        .filter(sessions_together())
        .exclude(status=Booking.Status.CANCELLED, cancelled_at__lt=F("starts_at"))
        .exists()
    )


def with_state(bookings: QuerySet[Booking], now: datetime | None = None) -> QuerySet[Booking]:
    """Annotate `state_code`: Booking.state in SQL, so lists can filter and count
    by it (activities, the practice page)."""
    now = now or timezone.now()
    State, Reason = Booking.State, Booking.CancelReason
    cancelled = Q(status=Booking.Status.CANCELLED)
    return bookings.annotate(
        state_code=Case(
            When(cancelled & Q(cancel_reason=Reason.MISTAKE), then=Value(State.VOID)),
            When(cancelled & Q(cancel_reason=Reason.NO_SHOW), then=Value(State.NO_SHOW)),
            When(cancelled, then=Value(State.CANCELLED)),
            When(completed_at__isnull=False, then=Value(State.DONE)),
            When(ends_at__lte=now, then=Value(State.ENDED)),
            When(starts_at__lte=now, then=Value(State.IN_PROGRESS)),
            default=Value(State.PLANNED),
            output_field=CharField(),
        )
    )


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
    (a scalar subquery; bookings does not import billing, so the model is found
    by its name in the app registry)."""
    invoices = apps.get_model("billing", "Invoice")._default_manager
    standing = (
        invoices.filter(booking=OuterRef("pk"), kind="invoice")
        .exclude(status="credited")
        .values("status")[:1]
    )
    return bookings.annotate(bill_status=Subquery(standing))


def booking_for_user(*, user: User, code: str) -> Booking:
    """The booking named in a URL, if the user is its client or its professional; else 404.
    It comes with `bill_status` (see _with_bill_status), and `bill_paid_outside`:
    how its bill was paid to the professional outside Tengja, if it was (then a
    cancellation in time is theirs to give back, not a card refund)."""
    if not user.is_authenticated:
        raise Http404
    payments = apps.get_model("billing", "Payment")._default_manager
    paid_outside = (
        payments.filter(
            invoice__booking=OuterRef("pk"),
            invoice__kind="invoice",
            provider="manual",
            status__in=["succeeded", "refunded"],
        )
        .exclude(invoice__status="credited")
        .values("manual_method")[:1]
    )
    booking = (
        _with_bill_status(Booking.objects.select_related(*RELATED))
        .annotate(bill_paid_outside=Subquery(paid_outside))
        .filter(_as_either(user), code=code)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def _own_professional(user: User) -> Subquery:
    return Subquery(Professional.objects.filter(user=user).values("pk")[:1])


# What a client's own session row shows (includes/booking_row.html, the
# calendar): its type's name and its professional's; only these columns are
# read, as Django spends longer compiling a join's every column than the
# database takes to answer it.
CLIENT_ROW = (
    *("code", "starts_at", "ends_at", "status", "price_amount", "currency"),
    *("paid_with", "credits", "late_cancellation", "client", "location"),
    # Its state (Booking.state) and whether it is charged.
    *("cancel_reason", "completed_at", "payment_skipped_reason"),
    *("session_type__name", "professional__user__name"),
    # The details the professional requires (tengja.intake: the join gate, Home's card).
    *("professional__code", "professional__required_details"),
)


def _rows(bookings: QuerySet[Booking], has_practice: bool) -> QuerySet[Booking]:
    """Session rows as the lists show them: a client's own, narrow; with a
    practice, rows the person may see as the professional, whole (the client's
    label needs their account and invitation)."""
    if has_practice:
        return bookings.select_related(*RELATED)
    return bookings.select_related("session_type", "professional__user").only(*CLIENT_ROW)


def _in_either_role(user: User, has_practice: bool, filters: Q, order: str, stop: int) -> Q:
    """Sessions matching `filters` in which the user is the client or, if they
    have a practice, the professional.

    A client's are one index-ordered filter. With a practice, the first `stop`
    in `order` of each role are read apart, each from its index on (client or
    professional, the ordering column), and joined by a UNION: an OR of the two
    roles would read and sort them all. SQLite cannot limit the parts of a
    UNION: there each is its own subquery."""
    if not has_practice:
        return filters & Q(client=user)
    as_client = Booking.objects.filter(filters, client=user)
    as_professional = Booking.objects.filter(filters, professional_id=_own_professional(user))
    parts = [part.order_by(order).values("pk")[:stop] for part in (as_client, as_professional)]
    if connection.features.supports_slicing_ordering_in_compound:
        return Q(pk__in=parts[0].union(parts[1]))
    return Q(pk__in=parts[0]) | Q(pk__in=parts[1])


def bookings_upcoming_for_user(*, user: User, has_practice: bool, limit: int) -> list[Booking]:
    """Confirmed sessions not yet over, in which the user is the client or (with a
    practice) the professional: the first `limit` to end, which for sessions
    that do not overlap (a person's never do) are the first `limit` to start."""
    to_come = Q(status=Booking.Status.CONFIRMED, ends_at__gt=timezone.now())
    mine = _in_either_role(user, has_practice, to_come, "ends_at", limit)
    rows = _rows(Booking.objects.filter(mine), has_practice).order_by("ends_at")[:limit]
    return sorted(rows, key=lambda booking: (booking.starts_at, booking.pk))


class PastForUser:
    """Sessions over or cancelled, as client or (with a practice) professional,
    newest first, read a window at a time (tengja.lib.windows): a window reads
    its own rows and no more, each role from its index, in order."""

    def __init__(self, user: User, has_practice: bool) -> None:
        self.user = user
        self.has_practice = has_practice
        self.past = Q(ends_at__lte=timezone.now()) | Q(status=Booking.Status.CANCELLED)

    def __getitem__(self, window: slice) -> list[Booking]:
        start, stop = window.start or 0, window.stop
        mine = _in_either_role(self.user, self.has_practice, self.past, "-starts_at", stop)
        # With `bill_status`, for their Cost line (see _with_bill_status).
        rows = _rows(_with_bill_status(Booking.objects.filter(mine)), self.has_practice)
        return list(rows.order_by("-starts_at", "-pk")[start:stop])


def bookings_past_for_user(*, user: User, has_practice: bool) -> PastForUser:
    """Sessions over or cancelled, as client or (with a practice) professional,
    newest first (to read a window at a time)."""
    return PastForUser(user, has_practice)


# How many sessions a calendar reads whole; one with more has its days cut in
# the database (see bookings_between_for_user).
CALENDAR_READ_WHOLE = 60


def bookings_between_for_user(
    *,
    user: User,
    has_practice: bool,
    start: datetime,
    end: datetime,
    per_day: int | None = None,
) -> list[Booking]:
    """Confirmed sessions overlapping [start, end) in which the user is the client
    or (with a practice) the professional, for the calendar.

    With `per_day`, a crowded stretch (more than CALENDAR_READ_WHOLE sessions,
    counted from the index first) has only the first `per_day` of each day (in
    the active time zone) read, each with `on_day`, how many that day has in
    all. Most people's are read whole and cut to `per_day` a day where they are
    placed (dashboard.calendar.place): the window functions that cut them in
    the database cost Django more to compile than the rest of the page's
    queries together."""
    bookings = Booking.objects.filter(
        _as_either(user) if has_practice else Q(client=user),
        status=Booking.Status.CONFIRMED,
        starts_at__lt=end,
        ends_at__gt=start,
    )
    if per_day is not None and bookings.count() > CALENDAR_READ_WHOLE:
        day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
        bookings = bookings.annotate(
            nth=Window(RowNumber(), partition_by=day, order_by=("starts_at", "pk")),
            on_day=Window(Count("pk"), partition_by=day),
        ).filter(nth__lte=per_day)
    return list(_rows(bookings, has_practice).order_by("starts_at", "pk"))


def bookings_upcoming_for_professional(*, professional: Professional, limit: int) -> list[Booking]:
    """The first `limit` confirmed sessions not yet over, in order. A
    professional's confirmed sessions never overlap (a constraint), so in the
    order they end, which the index on (professional, end) reads from now on,
    not from their first. Each has the professional given (not joined again)."""
    bookings = list(
        Booking.objects.filter(
            professional=professional,
            status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related("session_type", "client", "invitation")
        .order_by("ends_at")[:limit]
    )
    for booking in bookings:
        booking.professional = professional
    return bookings


def connections_for_client(*, user: User) -> QuerySet[Professional]:
    """The professionals the client has had a (not cancelled) session with: only
    the professional's id of each of the client's sessions is read (an index
    holds both), never the sessions themselves."""
    seen = Booking.objects.filter(client=user, status=Booking.Status.CONFIRMED)
    return (
        Professional.objects.filter(pk__in=seen.values("professional_id"))
        .select_related("user")
        .order_by("user__name", "pk")
    )


def bookings_with_professional_for_client(
    *, user: User, professional: Professional
) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(client=user, professional=professional)
        .select_related(*RELATED)
        .order_by("-starts_at")
    )


def series_of(*, booking: Booking) -> dict | None:
    """The series a session belongs to, as its page shows it: its rule, this
    session's place ("3 of 6"), the one before and after, and every session of it
    (at most SERIES_MAX), in one query."""
    if booking.series_id is None:
        return None
    rows = list(
        Booking.objects.filter(series_id=booking.series_id)
        .order_by("starts_at", "pk")
        .values("pk", "code", "starts_at", "status", "series__rule")
    )
    position = next(i for i, row in enumerate(rows) if row["pk"] == booking.pk)
    rule = BookingSeries.Rule(rows[position]["series__rule"])
    return {
        "rule": rule.label,
        "position": position + 1,
        "total": len(rows),
        "previous": rows[position - 1] if position else None,
        "next": rows[position + 1] if position + 1 < len(rows) else None,
        "sessions": rows,
        # Later ones still on: "this and all following" changes more than this one.
        "following": sum(
            1 for row in rows[position + 1 :] if row["status"] == Booking.Status.CONFIRMED
        ),
    }
