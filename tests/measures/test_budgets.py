"""The measures' pages keep their query count whatever the data: 1,000 answers
of the client, flagged ones among them, and requests waiting."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.measures.models import MeasureRequest, MeasureResponse
from tengja.measures.services import measure_answer, measure_send
from tests.factories import BookingFactory, SessionTypeFactory
from tests.measures.conftest import phq9
from tests.test_pages import CLIENT_HOME_QUERIES

MANY = 1000


def answers(alice, professional, count: int) -> None:
    now = timezone.now()
    requests = MeasureRequest.objects.bulk_create(
        MeasureRequest(
            professional=professional,
            client=alice,
            instrument="phq9" if n % 2 else "gad7",
            active=False,
        )
        for n in range(count)
    )
    MeasureResponse.objects.bulk_create(
        MeasureResponse(
            request=request,
            answers={},
            total=n % 20,
            band="mild",
            item9=n % 7 == 0 and request.instrument == "phq9",
            answered_at=now - timedelta(hours=n),
        )
        for n, request in enumerate(requests)
    )
    for _ in range(3):
        measure_send(
            professional=professional, client=alice, instrument="gad7", mode="once", notify=False
        )
    measure_send(
        professional=professional,
        client=alice,
        instrument="phq9",
        mode="every_session",
        notify=False,
    )
    kind = SessionTypeFactory(professional=professional)
    for hour in range(5):
        BookingFactory(
            client=alice,
            session_type=kind,
            starts_at=now + timedelta(days=1, hours=hour + 24 * (count > 10)),
        )


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page", ["mine", "answer", "response", "practice client", "client home", "professional home"]
)
def test_queries_stay_flat_with_data(client, alice, professional, session, page):
    first = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    answered = measure_answer(request=first, data=phq9(1, 1, 1, 1, 1, 1, 1, 1, 1))
    waiting = measure_send(
        professional=professional, client=alice, instrument="gad7", mode="once", notify=False
    )
    viewer = professional.user if page in ("practice client", "professional home") else alice
    url = {
        "mine": reverse("measures:mine"),
        "answer": reverse("measures:answer", args=[waiting.code]),
        "response": reverse("measures:response", args=[answered.code]),
        "practice client": reverse("dashboard:practice_client", args=[alice.code]),
        "client home": reverse("dashboard:home"),
        "professional home": reverse("dashboard:home"),
    }[page]
    client.force_login(viewer)
    answers(alice, professional, 10)
    few = count(client, url)
    answers(alice, professional, MANY)
    assert MeasureResponse.objects.count() > MANY
    assert count(client, url) == few
    assert few <= 25
    print(page, few)


@pytest.mark.django_db
def test_home_asks_for_questionnaires_only_once_one_was_ever_sent(
    client, alice, professional, session
):
    """Most people are never sent a questionnaire: their Home's header query says
    so and the measures card costs no query. Once one is sent, the card is there
    (and stays, as "Your questionnaires", after it is answered)."""
    client.force_login(alice)
    url = reverse("dashboard:home")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert len(queries) <= CLIENT_HOME_QUERIES
    # (The header's statement names the table in an EXISTS; the ORM quotes it.)
    assert not any('FROM "measures_measurerequest"' in q["sql"] for q in queries.captured_queries)
    assert "My measures" not in body

    request = measure_send(
        professional=professional, client=alice, instrument="gad7", mode="once", notify=False
    )
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content.decode()
    assert len(queries) <= CLIENT_HOME_QUERIES + 1
    assert "Questionnaires waiting for you" in body
    assert reverse("measures:answer", args=[request.code]) in body

    measure_answer(request=request, data={str(n): "1" for n in range(1, 8)})
    body = client.get(url).content.decode()
    assert "Questionnaires waiting for you" not in body
    assert "Your questionnaires" in body and "My measures" in body
