from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.billing.models import Invoice
from tengja.billing.providers import CardAuthentication
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import card_add, local_authenticate
from tengja.bookings.services import booking_invite
from tests.billing.stripe_double import stripe_api  # noqa: F401 - a fixture
from tests.factories import SessionTypeFactory

GOOD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"  # refused when saved, as Stripe refuses it
CHARGE_DECLINED = "4000 0000 0000 0341"  # saved fine; every charge declined
AUTHENTICATE = "4000 0027 6000 3184"  # 3-D Secure when saved and on every charge


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
    return invoice_standing(booking=booking)


def add_card(user, number=GOOD, exp_year=None):
    """Save a card as its holder would, 3-D Secure included when its bank asks."""
    card = card_add(
        user=user,
        data={
            "number": number,
            "exp_month": 12,
            "exp_year": exp_year or timezone.now().year + 2,
            "cvc": "123",
        },
    )
    if isinstance(card, CardAuthentication):
        card = local_authenticate(intent_id=card.intent_id, approve=True)
    return card
