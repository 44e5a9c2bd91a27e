from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.billing.models import Invoice
from tengja.billing.services import card_add
from tengja.bookings.services import booking_invite
from tests.billing.stripe_double import stripe_api  # noqa: F401 - a fixture
from tests.factories import SessionTypeFactory

GOOD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
AUTHENTICATE = "4000 0027 6000 3184"


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(
        professional=professional, name="Individual session", price_amount=18000
    )


@pytest.fixture
def invoice(alice, professional, kind) -> Invoice:
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    booking = booking_invite(
        professional=professional, session_type=kind, starts_at=start, email=alice.email
    )
    return booking.invoice


def add_card(user, number=GOOD, exp_year=None):
    return card_add(
        user=user,
        data={
            "number": number,
            "exp_month": 12,
            "exp_year": exp_year or timezone.now().year + 2,
            "cvc": "123",
        },
    )
