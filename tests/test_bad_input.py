"""Input a careless or hostile person sends: a clear error and nothing changed, never a 500."""

import pytest
from django.urls import reverse

from tengja.bookings.models import Booking
from tengja.hubs.models import Hub
from tengja.professionals.models import SessionType
from tests.factories import BookingFactory, SessionTypeFactory

FAR_FUTURE = ["9999-12-31T23:30", "10000-01-01T00:00", "2200-01-01T10:00"]


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(professional=professional, name="Talk")


@pytest.mark.parametrize("starts", FAR_FUTURE)
@pytest.mark.parametrize(
    "zone", ["Atlantic/Reykjavik", "America/Los_Angeles", "Pacific/Kiritimati"]
)
def test_invite_far_in_the_future_is_a_form_error(client, professional, kind, starts, zone):
    professional.user.time_zone = zone
    professional.user.save()
    client.force_login(professional.user)
    response = client.post(
        reverse("bookings:invite"),
        {"session_type": kind.pk, "starts_at": starts, "email": "new@example.com"},
    )
    assert response.status_code == 400
    assert "Choose a time within the next two years." in response.content.decode() or (
        "Enter a valid date/time." in response.content.decode()
    )
    assert not Booking.objects.exists()


@pytest.mark.parametrize("starts", FAR_FUTURE)
def test_move_far_in_the_future_is_a_form_error(client, professional, kind, starts):
    booking = BookingFactory(session_type=kind)
    before = booking.starts_at
    client.force_login(professional.user)
    response = client.post(reverse("bookings:move", args=[booking.code]), {"starts_at": starts})
    assert response.status_code == 400
    booking.refresh_from_db()
    assert booking.starts_at == before


@pytest.mark.parametrize(
    "starts", ["9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00-12:00", "2030-13-01T00:00+00:00"]
)
def test_hub_booking_at_an_impossible_time_is_refused(client, member, offer, starts):
    client.force_login(member.user)
    url = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    for method in (client.get, client.post):
        response = method(url, {"starts_at": starts})
        assert response.status_code == 302
        assert "Choose one of the free times." in client.get(response["Location"]).content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize("within", ["1000000000", "-5", "99999999999999999999", "3.5", "x"])
def test_hub_browse_ignores_a_wild_within(client, member, offer, within):
    client.force_login(member.user)
    response = client.get(reverse("hubs:browse", args=[member.hub.code]), {"within": within})
    assert response.status_code == 200
    assert response.context["selected"]["within"] is None


@pytest.mark.parametrize("currency", ["ISK", "EUR"])
@pytest.mark.parametrize("price", ["99999999.99", "21474837", "2147483648", "1e12", "-1"])
def test_a_price_above_what_is_stored_is_a_form_error(client, professional, price, currency):
    client.force_login(professional.user)
    response = client.post(
        reverse("professionals:session_type_new"),
        {
            "name": "Long talk",
            "duration_minutes": 50,
            "price": price,
            "currency": currency,
            "mode": "video",
            "cancellation_notice_hours": 24,
        },
    )
    assert response.status_code == 400
    assert not SessionType.objects.exists()


def test_a_very_long_welcome_text_is_a_form_error(client, hub, hr):
    client.force_login(hr)
    before = hub.welcome_text
    response = client.post(
        reverse("hubs:admin_settings", args=[hub.code]),
        {"welcome_text": "x" * 100_000, "credits_per_period": 6, "period_months": 12},
    )
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert Hub.objects.get(pk=hub.pk).welcome_text == before
