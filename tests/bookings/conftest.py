import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tengja.bookings.services import booking_invite
from tengja.professionals.models import WeeklyAvailability
from tests.factories import SessionTypeFactory


@pytest.fixture
def session_type(professional):
    return SessionTypeFactory(
        professional=professional, name="Individual session", price_amount=18000, currency="ISK"
    )


@pytest.fixture
def tomorrow():
    return (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def invitation_path(message=None) -> str:
    message = message or mail.outbox[-1]
    return re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", message.body).group(1)


# The session a client moves (test_client_move.py, test_move_pages.py): booked on
# a Monday at 08:00 in Reykjavik (UTC, where the professional and the client
# live) for Thursday 10:00-10:50, with a professional who works 9 to 17.
NOW = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)
START = datetime(2031, 3, 6, 10, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 6) -> datetime:
    """A time in March 2031 (UTC, which is Reykjavik's time)."""
    return datetime(2031, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hours(professional):
    """The professional works 9 to 17 every day."""
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )


@pytest.fixture
def moving(frozen, hours, alice, professional, session_type, django_capture_on_commit_callbacks):
    """Alice's session, invited as usual (confirmation sent, bill open)."""
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_invite(
            professional=professional, session_type=session_type, starts_at=START, email=alice.email
        )
    mail.outbox.clear()
    return booking
