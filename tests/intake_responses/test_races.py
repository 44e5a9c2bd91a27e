"""Two requests at once (PostgreSQL): two first visits make one response; two
signatures (or a save racing a signature) leave one signed copy, never changed."""

import pytest

from tengja.intake.models import FormResponse
from tengja.intake.responses import ResponseError, response_open, response_save, response_sign
from tests.conftest import race, requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_first_visits_make_one_response(alice, consent):
    opened = race([lambda: response_open(form=consent, client=alice)] * 2)
    assert len({response.pk for response in opened}) == 1
    assert FormResponse.objects.filter(form=consent, client=alice).count() == 1


def test_two_signatures_at_once_sign_once(alice, consent):
    draft = response_open(form=consent, client=alice)
    results = race(
        [
            lambda: response_sign(response=draft, answers={"video_ok": "yes"}, name="Alice A"),
            lambda: response_sign(response=draft, answers={"video_ok": "no"}, name="Alice B"),
            lambda: response_save(response=draft, answers={"video_ok": "no"}),
        ],
        expected=ResponseError,
    )
    signed = [r for r in results if isinstance(r, FormResponse) and r.state == "signed"]
    assert len(signed) == 1
    stored = FormResponse.objects.get(pk=draft.pk)
    assert stored.state == "signed" and stored.signature_hash == signed[0].signature_hash
    assert stored.signed_name == signed[0].signed_name
