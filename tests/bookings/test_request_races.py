"""Two requests for one time accepted at once: one booking, one clear refusal,
and the loser stays open (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.bookings.models import Booking, BookingRequest
from tengja.bookings.requests import request_accept, request_create
from tengja.bookings.services import BookingError
from tengja.professionals.models import SessionType
from tests.conftest import race, requires_postgres
from tests.factories import SessionTypeFactory, UserFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_requests_for_one_time_accepted_at_once_one_wins():
    kind = SessionTypeFactory(booking_mode=SessionType.BookingMode.REQUEST)
    starts = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    requests = [
        request_create(
            client=UserFactory(), session_type=kind, starts_at=starts + timedelta(minutes=10 * i)
        )
        for i in range(2)
    ]
    results = race(
        expected=BookingError,
        calls=[lambda r=r: request_accept(booking_request=r) for r in requests],
    )
    [won] = [r for r in results if isinstance(r, Booking)]
    [lost] = [r for r in results if isinstance(r, BookingError)]
    assert "overlaps another session" in str(lost) and "still open" in str(lost)
    assert Booking.objects.count() == 1
    statuses = sorted(BookingRequest.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "open"]
    assert BookingRequest.objects.get(status="accepted").booking == won


def test_one_request_accepted_twice_at_once_books_once():
    kind = SessionTypeFactory(booking_mode=SessionType.BookingMode.REQUEST)
    starts = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    made = request_create(client=UserFactory(), session_type=kind, starts_at=starts)
    results = race(
        expected=BookingError,
        calls=[lambda: request_accept(booking_request=made) for _ in range(2)],
    )
    assert all(isinstance(r, Booking) for r in results)
    assert results[0] == results[1]
    assert Booking.objects.count() == 1
