"""Outcome measures in "Download my data", and what a deletion leaves."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from tengja.measures.models import MeasureRequest, MeasureResponse, Share
from tengja.measures.services import measure_answer, measure_send, share_set
from tengja.privacy.export import export_write
from tengja.privacy.services import account_delete
from tests.factories import BookingFactory
from tests.measures.conftest import phq9

pytestmark = pytest.mark.django_db


def files(user) -> dict:
    out = io.BytesIO()
    export_write(user=user, out=out)
    with zipfile.ZipFile(out) as archive:
        return {
            name: json.loads(archive.read(name))
            for name in ("measures.json", "measure_shares.json")
        }


@pytest.fixture
def answered(alice, professional, session):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    return measure_answer(request=measure, data=phq9(1, 2, 3, 0, 0, 0, 0, 0, 0))


def test_both_download_the_answers(alice, professional, other_professional, answered, bob):
    BookingFactory(client=alice, session_type__professional=other_professional)
    share_set(client=alice, professional=other_professional, shared=True)
    mine = files(alice)
    [row] = mine["measures.json"]
    assert row["role"] == "client" and row["with"] == professional.user.name
    assert row["answers"][0]["answers"] == {"1": 1, "2": 2, "3": 3} | {
        str(n): 0 for n in range(4, 10)
    }
    assert row["answers"][0]["total"] == 6 and row["answers"][0]["band"] == "mild"
    assert mine["measure_shares.json"][0]["with"] == other_professional.user.name
    [theirs] = files(professional.user)["measures.json"]
    assert theirs["role"] == "professional" and theirs["answers"][0]["total"] == 6
    # A professional the client shares scores with gets no answers in their file.
    assert files(other_professional.user)["measures.json"] == []
    assert files(bob) == {"measures.json": [], "measure_shares.json": []}


def test_a_deleted_clients_answers_stay_with_the_professional(
    client, alice, professional, other_professional, answered
):
    waiting = measure_send(
        professional=professional, client=alice, instrument="gad7", mode="once", notify=False
    )
    BookingFactory(client=alice, session_type__professional=other_professional)
    share_set(client=alice, professional=other_professional, shared=True)
    account_delete(user=alice)
    assert MeasureResponse.objects.get() == answered
    assert not MeasureRequest.objects.filter(pk=waiting.pk).exists()
    assert not MeasureRequest.objects.filter(active=True).exists()
    assert not Share.objects.exists()
    client.force_login(professional.user)
    assert client.get(reverse("measures:response", args=[answered.code])).status_code == 200
