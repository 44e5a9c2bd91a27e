import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

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
