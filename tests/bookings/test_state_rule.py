"""A session's state, as pages say it (Booking.state) and as lists filter and
count by it (bookings.selectors.with_state), is one rule: the two agree for
every state a session reaches."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.selectors import with_state
from tests.factories import BookingFactory

State, Reason = Booking.State, Booking.CancelReason


@pytest.mark.django_db
def test_the_state_on_a_page_is_the_state_a_list_filters_by():
    now = timezone.now()
    hour = timedelta(hours=1)
    cancelled = {"status": Booking.Status.CANCELLED, "cancelled_at": now}
    cases = {
        State.PLANNED: {"starts_at": now + hour},
        State.IN_PROGRESS: {"starts_at": now - timedelta(minutes=10)},
        State.ENDED: {"starts_at": now - 2 * hour},
        State.DONE: {"starts_at": now - 2 * hour, "completed_at": now - hour},
        State.CANCELLED: {"starts_at": now + hour, **cancelled, "cancel_reason": Reason.BY_CLIENT},
        State.NO_SHOW: {"starts_at": now - 2 * hour, **cancelled, "cancel_reason": Reason.NO_SHOW},
        State.VOID: {"starts_at": now - 2 * hour, **cancelled, "cancel_reason": Reason.MISTAKE},
    }
    made = {}
    for state, fields in cases.items():
        booking = BookingFactory(**fields)
        made[booking.pk] = state
        assert booking.state(now) == state
    listed = dict(
        with_state(Booking.objects.filter(pk__in=made), now).values_list("pk", "state_code")
    )
    assert listed == made
    # A done session cancelled afterwards (a no-show recorded late) is what it became.
    booking = BookingFactory(**cases[State.DONE], **cancelled, cancel_reason=Reason.NO_SHOW)
    assert booking.state(now) == State.NO_SHOW
    assert with_state(Booking.objects.filter(pk=booking.pk), now).get().state_code == State.NO_SHOW
