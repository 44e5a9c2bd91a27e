from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.hubs.models import CreditEntry, Membership
from tengja.wellbeing.services import rating_save, who5_answer
from tests.factories import BookingFactory, UserFactory


def last_month(hub, day=10, hour=12):
    """A moment in the hub's month before this one."""
    start = hub.month_start()
    return (start - timedelta(days=1)).replace(day=day, hour=hour)


def join(hub, count, *, when=None):
    """`count` members who confirmed their work address at `when` (last month)."""
    when = when or last_month(hub, day=2)
    made = []
    for _ in range(count):
        user = UserFactory()
        made.append(
            Membership.objects.create(
                hub=hub, user=user, email=user.email, status="active", verified_at=when
            )
        )
    return made


def who5(raw: int) -> dict[str, str]:
    """Five answers adding up to `raw` (0-25)."""
    values = [raw // 5 + (1 if n < raw % 5 else 0) for n in range(5)]
    return {str(n): str(v) for n, v in enumerate(values, start=1)}


def answer(membership, raw, when=None):
    return who5_answer(membership=membership, data=who5(raw), now=when or timezone.now())


_apart = count()


def hub_session(membership, professional_offer, *, ended_at=None):
    """A session the member had with the offer's professional, paid with hub credits
    (each an hour before the last one made, so they never overlap)."""
    ended_at = (ended_at or timezone.now() - timedelta(hours=1)) - timedelta(
        hours=next(_apart) % 20
    )
    booking = BookingFactory(
        client=membership.user,
        session_type=professional_offer.session_type,
        starts_at=ended_at - timedelta(minutes=50),
        ends_at=ended_at,
        paid_with=Booking.PaidWith.CREDITS,
        credits=1,
    )
    CreditEntry.objects.create(
        membership=membership, kind="grant", amount=1, created_at=ended_at - timedelta(days=1)
    )
    CreditEntry.objects.create(
        membership=membership,
        kind="spend",
        amount=-1,
        booking=booking,
        created_at=ended_at - timedelta(days=1),
    )
    return booking


def rate(membership, booking, score=4, when=None):
    data = {str(n): str(score) for n in range(1, 5)}
    return rating_save(
        booking=booking, hub=membership.hub, user=membership.user, data=data, now=when
    )


@pytest.fixture
def group(hub):
    """Six members who joined last month."""
    return join(hub, 6)
