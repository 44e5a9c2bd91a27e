"""The reads the pages of session requests need (tengja.bookings.requests has
the writes): each a fixed number of queries, however many requests there are."""

from bisect import bisect_left
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking, BookingRequest
from tengja.professionals.models import Professional

RECENT_ANSWERED = 20
RELATED = ("session_type", "client", "professional__user", "booking")


def _with_related(requests: QuerySet[BookingRequest]) -> QuerySet[BookingRequest]:
    return requests.select_related(*RELATED)


def requests_open_for_professional(*, professional: Professional) -> list[BookingRequest]:
    """The open requests, soonest first, each with `is_free`: whether its time is
    still free of the professional's sessions (two queries in all)."""
    open_requests = list(
        _with_related(
            BookingRequest.objects.filter(
                professional=professional, status=BookingRequest.Status.OPEN
            )
        ).order_by("starts_at", "pk")
    )
    if not open_requests:
        return []
    busy = list(
        Booking.objects.filter(
            professional=professional,
            status=Booking.Status.CONFIRMED,
            starts_at__lt=max(r.ends_at for r in open_requests),
            ends_at__gt=open_requests[0].starts_at,
        )
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )
    # The confirmed sessions never overlap (the exclusion constraint), so sorted
    # by start they are sorted by end too: the one starting last before a
    # request's end is the only one that can overlap it.
    starts = [start for start, _end in busy]
    for booking_request in open_requests:
        before = bisect_left(starts, booking_request.ends_at)
        booking_request.is_free = before == 0 or busy[before - 1][1] <= booking_request.starts_at  # type: ignore[attr-defined]
    return open_requests


def requests_answered_for_professional(*, professional: Professional) -> list[BookingRequest]:
    """The last few answered, expired or withdrawn, latest first."""
    return list(
        _with_related(
            BookingRequest.objects.filter(professional=professional).exclude(
                status=BookingRequest.Status.OPEN
            )
        ).order_by("-answered_at", "-pk")[:RECENT_ANSWERED]
    )


def requests_open_count(*, professional: Professional, now: datetime | None = None) -> int:
    return BookingRequest.objects.filter(
        professional=professional,
        status=BookingRequest.Status.OPEN,
        expires_at__gt=now or timezone.now(),
    ).count()


def requests_open_count_of_user(*, user: User, now: datetime | None = None) -> int:
    """requests_open_count for the signed-in professional, read from their user:
    one query, without reading their profile first (the practice's navigation)."""
    return BookingRequest.objects.filter(
        professional__user=user,
        status=BookingRequest.Status.OPEN,
        expires_at__gt=now or timezone.now(),
    ).count()


def requests_for_client(*, user: User, open_only: bool = False) -> QuerySet[BookingRequest]:
    """The client's requests: the open ones first, then the rest, latest first."""
    requests = _with_related(BookingRequest.objects.filter(client=user))
    if open_only:
        return requests.filter(status=BookingRequest.Status.OPEN).order_by("starts_at", "pk")
    return requests.order_by("-created_at", "-pk")


def request_for_professional(*, user: User, code: str) -> BookingRequest:
    """A request named in a URL, if the user is its professional; else 404."""
    found = _with_related(
        BookingRequest.objects.filter(code=code, professional__user_id=user.pk)
    ).first()
    if found is None:
        raise Http404
    return found


def request_for_client(*, user: User, code: str) -> BookingRequest:
    """A request named in a URL, if the user made it; else 404."""
    found = _with_related(BookingRequest.objects.filter(code=code, client_id=user.pk)).first()
    if found is None:
        raise Http404
    return found
