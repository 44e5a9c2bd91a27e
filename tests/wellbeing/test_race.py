"""Two WHO-5 answers (two tabs) or two ratings of one session at the same moment:
the row locks keep exactly one, and the others are refused."""

import pytest

from tengja.hubs.models import Membership
from tengja.wellbeing.models import Checkin, Rating
from tengja.wellbeing.services import WellbeingError, rating_save, who5_answer
from tests.conftest import race, requires_postgres
from tests.factories import UserFactory
from tests.wellbeing.conftest import hub_session, who5


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_keep_one(hub):
    user = UserFactory()
    membership = Membership.objects.create(hub=hub, user=user, email=user.email, status="active")
    results = race(
        [lambda: who5_answer(membership=membership, data=who5(12))] * 3, expected=WellbeingError
    )
    assert sum(isinstance(r, Checkin) for r in results) == 1, results
    assert Checkin.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_ratings_of_one_session_at_once_keep_one(hub, offer):
    user = UserFactory()
    membership = Membership.objects.create(hub=hub, user=user, email=user.email, status="active")
    booking = hub_session(membership, offer)
    data = {str(n): "4" for n in range(1, 5)}
    results = race(
        [lambda: rating_save(booking=booking, hub=hub, user=user, data=data)] * 3,
        expected=WellbeingError,
    )
    assert sum(isinstance(r, Rating) for r in results) == 1, results
    assert Rating.objects.count() == 1
