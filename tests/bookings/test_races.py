"""Two requests at once for one professional's time: exactly one wins (PostgreSQL)."""

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_invite, booking_move
from tengja.bookings.slots import free_slots_to_move_to
from tengja.professionals.models import WeeklyAvailability
from tests.conftest import race, requires_postgres
from tests.factories import BookingFactory, ProfessionalFactory, SessionTypeFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_invitations_for_overlapping_times_one_wins():
    kind = SessionTypeFactory()
    start = timezone.now() + timedelta(days=1)
    calls = [
        lambda i=i: booking_invite(
            professional=kind.professional,
            session_type=kind,
            starts_at=start + timedelta(minutes=10 * i),
            email=f"client{i}@example.com",
        )
        for i in range(4)
    ]
    results = race(expected=BookingError, calls=calls)
    assert sum(isinstance(r, Booking) for r in results) == 1
    assert sum(isinstance(r, BookingError) for r in results) == 3
    assert Booking.objects.count() == 1


def test_the_database_refuses_overlaps_even_past_the_service():
    assert connection.vendor == "postgresql"
    kind = SessionTypeFactory()
    start = timezone.now() + timedelta(days=1)
    fields = dict(professional=kind.professional, session_type=kind, price_amount=1, currency="ISK")
    Booking.objects.create(starts_at=start, ends_at=start + timedelta(hours=1), **fields)
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        Booking.objects.create(
            starts_at=start + timedelta(minutes=30), ends_at=start + timedelta(hours=2), **fields
        )
    # A cancelled booking does not hold the time; another professional's never does.
    Booking.objects.update(status=Booking.Status.CANCELLED)
    Booking.objects.create(starts_at=start, ends_at=start + timedelta(hours=1), **fields)
    other = ProfessionalFactory()
    Booking.objects.create(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        **{**fields, "professional": other},
    )


def test_two_clients_moving_to_the_same_free_time_one_wins():
    kind = SessionTypeFactory()
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=kind.professional, weekday=weekday, starts=time(8), ends=time(18)
        )
    day = (timezone.now() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    first = BookingFactory(session_type=kind, starts_at=day)
    second = BookingFactory(session_type=kind, starts_at=day + timedelta(hours=2))
    offered = [
        {s.starts_at for s in free_slots_to_move_to(booking=b, start=day.date(), days=3)}
        for b in (first, second)
    ]
    target = min(offered[0] & offered[1])
    calls = [
        lambda b=b: booking_move(booking=b, by=b.client, starts_at=target) for b in (first, second)
    ]
    results = race(expected=BookingError, calls=calls)
    assert sum(isinstance(r, Booking) for r in results) == 1
    [refused] = [r for r in results if isinstance(r, BookingError)]
    assert "not free" in str(refused)
    assert Booking.objects.filter(starts_at=target).count() == 1


def test_one_client_moving_two_sessions_onto_one_time_at_once_one_wins():
    """With two professionals: each is free then, but the client is one person."""
    kinds = [SessionTypeFactory(), SessionTypeFactory()]
    for kind in kinds:
        for weekday in range(7):
            WeeklyAvailability.objects.create(
                professional=kind.professional, weekday=weekday, starts=time(8), ends=time(18)
            )
    day = (timezone.now() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    first = BookingFactory(session_type=kinds[0], starts_at=day)
    second = BookingFactory(
        session_type=kinds[1], starts_at=day + timedelta(hours=2), client=first.client
    )
    target = day + timedelta(hours=5)
    calls = [
        lambda b=b: booking_move(booking=b, by=b.client, starts_at=target) for b in (first, second)
    ]
    results = race(expected=BookingError, calls=calls)
    assert sum(isinstance(r, Booking) for r in results) == 1
    assert Booking.objects.filter(starts_at=target).count() == 1
