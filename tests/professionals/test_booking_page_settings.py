"""A professional's booking page settings: on or off, its address, its limits;
and how each session type is offered there."""

import pytest
from django.urls import reverse

from tengja.professionals.forms import booking_slug_suggest
from tengja.professionals.models import Professional, SessionType
from tests.factories import ProfessionalFactory, SessionTypeFactory

URL = reverse("professionals:booking_page")


def data(**extra) -> dict:
    return {
        "booking_page_on": "on",
        "booking_slug": "helga",
        "max_sessions_per_day": "",
        "max_sessions_per_week": "",
        "same_day_booking": "on",
        **extra,
    }


def test_the_address_is_suggested_from_the_name(client, professional):
    client.force_login(professional.user)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'value="helga-sigurdardottir"' in response.content.decode()
    ProfessionalFactory(booking_slug="helga-sigurdardottir")
    assert booking_slug_suggest("Helga Sigurðardóttir") == "helga-sigurdardottir-2"
    assert booking_slug_suggest("Þór Æsir") == "thor-aesir"
    assert booking_slug_suggest("Li") == "li-book"


def test_the_settings_are_saved(client, professional):
    client.force_login(professional.user)
    version = professional.calendar_version
    response = client.post(
        URL,
        data(booking_slug="Helga-Psych", max_sessions_per_day="4", max_sessions_per_week="12"),
    )
    assert response.status_code == 302
    professional.refresh_from_db()
    assert professional.booking_page_on and professional.booking_slug == "helga-psych"
    assert (professional.max_sessions_per_day, professional.max_sessions_per_week) == (4, 12)
    assert professional.same_day_booking is True
    assert professional.calendar_version == version + 1  # the page's kept times are dropped
    client.post(URL, data(same_day_booking="", booking_page_on=""))
    professional.refresh_from_db()
    assert not professional.booking_page_on and not professional.same_day_booking


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("ab", "3 to 40"),
        ("a" * 41, "3 to 40"),
        ("-helga", "3 to 40"),
        ("helga sig", "3 to 40"),
        ("hélga", "3 to 40"),
        ("confirm", "reserved"),
        ("admin", "reserved"),
        ("taken", "taken"),
        ("", "required"),
    ],
)
def test_a_bad_address_is_refused_and_nothing_changes(client, professional, slug, message):
    ProfessionalFactory(booking_slug="taken")
    client.force_login(professional.user)
    response = client.post(URL, data(booking_slug=slug))
    assert response.status_code == 400
    assert message in response.content.decode()
    professional.refresh_from_db()
    assert professional.booking_slug is None and not professional.booking_page_on


@pytest.mark.parametrize("field", ["max_sessions_per_day", "max_sessions_per_week"])
@pytest.mark.parametrize("value", ["0", "-1", "1000", "x"])
def test_a_bad_limit_is_refused(client, professional, field, value):
    client.force_login(professional.user)
    assert client.post(URL, data(**{field: value})).status_code == 400
    assert Professional.objects.get(pk=professional.pk).booking_slug is None


def test_only_a_professional_has_settings(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 404
    assert client.post(URL, data()).status_code == 404


def test_the_practice_and_profile_pages_link_to_the_settings(client, professional):
    client.force_login(professional.user)
    assert URL in client.get(reverse("bookings:practice")).content.decode()
    assert URL in client.get(reverse("professionals:profile")).content.decode()


def test_a_session_type_is_bookable_at_once_or_by_request(client, professional):
    client.force_login(professional.user)
    form = client.get(reverse("professionals:session_type_new")).content.decode()
    assert "Bookable at once" in form and "By request" in form
    assert "Existing clients only" in form
    base = {
        "name": "Talk",
        "duration_minutes": 50,
        "price": "18000",
        "currency": "ISK",
        "mode": "video",
        "cancellation_notice_hours": 24,
    }
    client.post(
        reverse("professionals:session_type_new"),
        {**base, "booking_mode": "instant", "existing_clients_only": "on"},
    )
    kind = SessionType.objects.get(name="Talk")
    assert kind.booking_mode == "instant" and kind.existing_clients_only
    url = reverse("professionals:session_type", kwargs={"code": kind.code})
    response = client.post(url, {**base, "booking_mode": "sometimes"})
    assert response.status_code == 400
    kind.refresh_from_db()
    assert kind.booking_mode == "instant" and kind.existing_clients_only
    client.post(url, {**base, "booking_mode": "request"})
    kind.refresh_from_db()
    assert kind.booking_mode == "request" and not kind.existing_clients_only


def test_another_professionals_type_is_404(client, professional):
    other = SessionTypeFactory()
    client.force_login(professional.user)
    url = reverse("professionals:session_type", kwargs={"code": other.code})
    assert client.post(url, {"booking_mode": "instant"}).status_code == 404
