"""Two requests at once for one professional's time: exactly one wins (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_invite
from tests.conftest import race, requires_postgres
from tests.factories import ProfessionalFactory, SessionTypeFactory

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
