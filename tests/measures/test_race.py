"""Two answers to one questionnaire at the same moment (two tabs): the row lock
keeps exactly one, and the other is refused."""

import pytest

from tengja.measures.models import MeasureResponse
from tengja.measures.services import MeasureError, measure_answer, measure_send
from tests.conftest import race, requires_postgres
from tests.measures.conftest import phq9


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["once", "every_session"])
def test_two_answers_at_once_keep_one(alice, professional, session, mode):
    from datetime import timedelta

    from django.utils import timezone

    session.starts_at = timezone.now() + timedelta(days=1)
    session.ends_at = session.starts_at + timedelta(hours=1)
    session.save()
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode=mode, notify=False
    )
    data = phq9(1, 1, 1, 1, 1, 1, 1, 1, 0)
    results = race([lambda: measure_answer(request=measure, data=data)] * 3, expected=MeasureError)
    assert sum(isinstance(r, MeasureResponse) for r in results) == 1, results
    assert sum(isinstance(r, MeasureError) for r in results) == 2, results
    assert MeasureResponse.objects.count() == 1
