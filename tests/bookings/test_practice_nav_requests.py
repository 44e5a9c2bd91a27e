"""The practice's navigation says how many session requests wait for an answer
("Requests (2)"), on every /practice/ page, for one query at most, whatever the
number of requests."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import BookingRequest
from tengja.professionals.models import SessionType
from tests.bookings.test_request_views import _many, _request
from tests.factories import SessionTypeFactory

pytestmark = pytest.mark.django_db

PAGES = (
    "bookings:practice",
    "bookings:requests",
    "dashboard:practice_week",
    "dashboard:practice_clients",
    "dashboard:practice_activities",
)


@pytest.fixture
def asked(professional):
    return SessionTypeFactory(
        professional=professional, name="First talk", booking_mode=SessionType.BookingMode.REQUEST
    )


def nav(body: str) -> str:
    return body.split('class="sub-nav"')[1].split("</nav>")[0]


def test_the_navigation_counts_the_open_requests_on_every_practice_page(
    client, professional, other_professional, asked, alice, bob
):
    _request(asked, alice)
    _request(asked, bob, hour=12)
    _request(asked, alice, days=4, status="declined")
    expired = _request(asked, bob, days=5)
    BookingRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    theirs = SessionTypeFactory(professional=other_professional, booking_mode="request")
    _request(theirs, alice)
    client.force_login(professional.user)
    for name in PAGES:
        assert "Requests (2)</a>" in nav(client.get(reverse(name)).content.decode()), name
    client.force_login(other_professional.user)
    assert "Requests (1)</a>" in nav(client.get(reverse("bookings:practice")).content.decode())


def test_no_count_when_none_is_open_and_in_icelandic(client, professional, asked, alice):
    client.force_login(professional.user)
    body = nav(client.get(reverse("dashboard:practice_week")).content.decode())
    assert "Requests</a>" in body and "(" not in body
    _request(asked, alice)
    professional.user.language = "is"
    professional.user.save()
    body = nav(client.get(reverse("dashboard:practice_week")).content.decode())
    assert "Beiðnir (1)</a>" in body


def test_the_count_costs_one_query_at_most_and_stays_flat(client, professional, asked, alice):
    client.force_login(professional.user)

    def counts() -> dict[str, int]:
        found = {}
        for name in PAGES:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name)).status_code == 200
            found[name] = len(queries)
        return found

    _request(asked, alice)
    few = counts()
    _many(asked, 400, days=6)
    assert counts() == few
    # The overview already counted them for its own text: it asks nothing more.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("bookings:practice"))
    counting = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "bookings_bookingrequest"')
    ]
    assert len(counting) == 1
    print(few)
