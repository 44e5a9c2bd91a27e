from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.bookings.services import booking_invite
from tests.factories import SessionTypeFactory


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(professional=professional, name="Individual session")


@pytest.fixture
def book(professional, kind, django_capture_on_commit_callbacks):
    """Book through the real service (confirmation e-mail sent on commit)."""

    def book(email: str, starts_in: timedelta = timedelta(days=3)):
        start = (timezone.now() + starts_in).replace(second=0, microsecond=0)
        with django_capture_on_commit_callbacks(execute=True):
            return booking_invite(
                professional=professional, session_type=kind, starts_at=start, email=email
            )

    return book
