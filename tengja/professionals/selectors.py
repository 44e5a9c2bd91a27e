import zoneinfo
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tengja.accounts.models import User
from tengja.professionals.models import (
    MAX_BOOKABLE_DAYS,
    AvailabilityException,
    Professional,
    ProfessionalInvitation,
    SessionType,
    WeeklyAvailability,
)


def professional_for_user(*, user: User) -> Professional:
    """The signed-in user's own professional profile; 404 for anyone who has none."""
    try:
        return Professional.objects.select_related("user").get(user=user)
    except Professional.DoesNotExist:
        raise Http404 from None


def professional_of(*, user: User) -> Professional | None:
    """The user's professional profile, or None for a client or HR admin; with what
    the set-up checklist needs (see Professional.is_set_up), in the same query."""
    return professionals_with_checklist(user=user).first()


def professionals_with_checklist(*, user: User) -> QuerySet[Professional]:
    """`professional_of`'s query, for a page that asks more of the practice in it."""
    return Professional.objects.filter(user=user).annotate(
        has_session_types=Exists(
            SessionType.objects.filter(professional=OuterRef("pk"), is_active=True)
        ),
        has_hours=Exists(WeeklyAvailability.objects.filter(professional=OuterRef("pk"))),
    )


def professional_public(*, code: str) -> Professional:
    return get_object_or_404(
        Professional.objects.select_related("user").prefetch_related("languages", "specialties"),
        code=code,
    )


def session_type_for_professional(*, professional: Professional, code: str) -> SessionType:
    return get_object_or_404(SessionType, professional=professional, code=code)


def time_off_touching(first: date, last: date | None = None) -> Q:
    """Time off that may touch the dates from `first` to `last` (open-ended
    without): once, or weekly (a week shorter than 7 days, TimeOffForm)."""
    touching = Q(kind=AvailabilityException.Kind.OFF) & (
        Q(repeats_weekly=False, ends_on__gte=first)
        | Q(repeats_weekly=False, ends_on__isnull=True, date__gte=first)
        | Q(repeats_weekly=True, repeat_until__isnull=True)
        | Q(repeats_weekly=True, repeat_until__gte=first - timedelta(days=7))
    )
    return touching if last is None else touching & Q(date__lte=last)


def availability_exceptions_current(
    *, professional: Professional, today: date
) -> tuple[list[AvailabilityException], list[AvailabilityException]]:
    """The professional's time off and extra hours not yet over, in one query."""
    rows = professional.availability_exceptions.filter(
        Q(kind=AvailabilityException.Kind.EXTRA, date__gte=today) | time_off_touching(today)
    )
    time_off: list[AvailabilityException] = []
    extra: list[AvailabilityException] = []
    for row in rows:
        (time_off if row.kind == AvailabilityException.Kind.OFF else extra).append(row)
    return time_off, extra


def availability_exception_for_professional(
    *, professional: Professional, code: str
) -> AvailabilityException:
    """One of the professional's own time off or extra hours; 404 for anyone else's."""
    return get_object_or_404(
        AvailabilityException.objects.select_related("professional"),
        professional=professional,
        code=code,
    )


# The most sessions listed as falling in new time off (the week shows the rest).
SESSIONS_IN_TIME_OFF = 50


def sessions_in_time_off(*, professional: Professional, time_off: AvailabilityException) -> list:
    """The professional's sessions still to come that the time off covers (any
    of its weeks, within how far ahead Tengja books), soonest first, with what
    a row shows; one query. Bookings is a later app: read through the relation."""
    booking = professional.bookings.model
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(professional.user.time_zone)
    today = timezone.localtime(now, zone).date()
    times = time_off.occurrences(zone, today, today + timedelta(days=MAX_BOOKABLE_DAYS))
    if not times:
        return []
    overlaps = Q()
    for starts_at, ends_at in times:
        overlaps |= Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    return list(
        professional.bookings.filter(overlaps, status=booking.Status.CONFIRMED, ends_at__gt=now)
        .select_related("client", "invitation", "session_type")
        .order_by("starts_at")[:SESSIONS_IN_TIME_OFF]
    )


# ------------------------------------------------------------------ for operators


def professionals_for_staff() -> QuerySet[Professional]:
    """Every professional, for the operators' list: set-up state and session counts
    in one query, however many there are (paginate it)."""
    return (
        Professional.objects.select_related("user")
        .annotate(
            has_session_types=Exists(
                SessionType.objects.filter(professional=OuterRef("pk"), is_active=True)
            ),
            has_hours=Exists(WeeklyAvailability.objects.filter(professional=OuterRef("pk"))),
            # Every session ever booked, cancelled ones too (bookings is a later app).
            sessions=Count("bookings"),
        )
        .order_by("-is_active", "user__name")
    )


def professional_invitations_open() -> QuerySet[ProfessionalInvitation]:
    return ProfessionalInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def professional_invitation_open(*, code: str) -> ProfessionalInvitation:
    return get_object_or_404(professional_invitations_open(), code=code)


def professional_by_code(*, code: str) -> Professional:
    return get_object_or_404(Professional.objects.select_related("user"), code=code)
