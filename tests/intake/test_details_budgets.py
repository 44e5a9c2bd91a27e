"""The pages that show required details keep their query count whatever the
data: Home, the session page, the professional's client page, the form and the
choice (5,000 sessions with professionals who all require details)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.intake.models import ClientDetails, Detail
from tests.factories import BookingFactory, ProfessionalFactory, SessionTypeFactory, UserFactory

MANY = 5000


def sessions(client_user, count: int) -> None:
    """`count` sessions to come of the client with ten professionals who each
    require details, half of them given."""
    kinds = []
    for index in range(10):
        professional = ProfessionalFactory(required_details=[Detail.PHONE, Detail.REASON])
        kinds.append(SessionTypeFactory(professional=professional))
        if index % 2:
            ClientDetails.objects.create(
                professional=professional, client=client_user, phone="5551234", reason="Svefn"
            )
    start = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    Booking.objects.bulk_create(
        Booking(
            professional_id=kinds[k % 10].professional_id,
            client=client_user,
            session_type=kinds[k % 10],
            starts_at=start + timedelta(hours=k),
            ends_at=start + timedelta(hours=k, minutes=50),
            price_amount=1,
            currency="ISK",
        )
        for k in range(count)
    )


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page", ["home", "session", "form", "practice client", "choice"])
def test_queries_stay_flat_with_data(client, alice, professional, page):
    professional.required_details = [Detail.PHONE, Detail.EMERGENCY_CONTACT]
    professional.save()
    kind = SessionTypeFactory(professional=professional)
    own = BookingFactory(client=alice, session_type=kind)
    viewer = professional.user if page in ("practice client", "choice") else alice
    url = {
        "home": reverse("dashboard:home"),
        "session": reverse("bookings:detail", args=[own.code]),
        "form": reverse("intake:details", args=[professional.code]),
        "practice client": reverse("dashboard:practice_client", args=[alice.code]),
        "choice": reverse("intake:details_required"),
    }[page]
    client.force_login(viewer)
    sessions(alice, 20)
    few = count(client, url)
    sessions(alice, MANY)
    # Other clients' details with the same professional.
    for index in range(20):
        other = UserFactory()
        BookingFactory(
            client=other,
            session_type=kind,
            starts_at=timezone.now() + timedelta(days=2, hours=index),
        )
        ClientDetails.objects.create(professional=professional, client=other, phone="5551234")
    assert count(client, url) == few
    assert few <= 25
