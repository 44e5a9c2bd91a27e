from datetime import time

import pytest

from tengja.hubs.models import HubDomain, HubProfessional, Membership
from tengja.hubs.services import membership_join, membership_verify
from tengja.professionals.models import WeeklyAvailability
from tests.factories import (
    CompanyFactory,
    HubFactory,
    ProfessionalFactory,
    SessionTypeFactory,
    UserFactory,
)


@pytest.fixture
def hub(db):
    hub = HubFactory(company=CompanyFactory(name="Acme hf."), credits_per_period=2)
    HubDomain.objects.create(hub=hub, domain="acme.test")
    return hub


@pytest.fixture
def hr(hub):
    admin = UserFactory(email="hr@acme.test", name="Harpa HR")
    hub.company.admins.add(admin)
    return admin


@pytest.fixture
def offer(hub):
    pro = ProfessionalFactory(user__name="Dr. Sól", user__time_zone="Atlantic/Reykjavik")
    kind = SessionTypeFactory(
        professional=pro, name="Talk", duration_minutes=50, price_amount=15000
    )
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=pro, weekday=weekday, starts=time(9), ends=time(17)
        )
    return HubProfessional.objects.create(hub=hub, professional=pro, session_type=kind, credits=1)


@pytest.fixture
def member(hub, django_capture_on_commit_callbacks, mailoutbox):
    """An employee who joined and confirmed the work address."""
    user = UserFactory(email="emma@acme.test", name="Emma Employee")
    with django_capture_on_commit_callbacks(execute=True):
        membership_join(hub=hub, user=user, email=user.email)
    import re

    token = re.search(r"/hubs/verify/([^/\s]+)/", mailoutbox[-1].body).group(1)
    membership_verify(token=token, user=user)
    return Membership.objects.get(user=user)
