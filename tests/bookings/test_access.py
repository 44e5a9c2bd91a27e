"""Every URL that names a booking is checked against the signed-in user."""

import pytest
from django.urls import reverse

from tests.factories import BookingFactory

NAMES = ["bookings:detail", "bookings:cancel", "bookings:move", "bookings:move_confirm"]


@pytest.fixture
def booking(alice, professional, session_type):
    return BookingFactory(client=alice, session_type=session_type)


@pytest.mark.parametrize("name", NAMES)
def test_another_client_gets_404(client, bob, booking, name):
    client.force_login(bob)
    assert client.get(reverse(name, args=[booking.code])).status_code == 404
    assert client.post(reverse(name, args=[booking.code])).status_code == 404
    booking.refresh_from_db()
    assert not booking.is_cancelled


@pytest.mark.parametrize("name", NAMES)
def test_another_professional_gets_404(client, other_professional, booking, name):
    client.force_login(other_professional.user)
    assert client.get(reverse(name, args=[booking.code])).status_code == 404


def test_resend_is_the_professionals_only(client, alice, bob, booking):
    for person in (alice, bob):
        client.force_login(person)
        assert client.post(reverse("bookings:resend", args=[booking.code])).status_code == 404


def test_visitor_is_sent_to_sign_in(client, booking):
    response = client.get(reverse("bookings:detail", args=[booking.code]))
    assert response["Location"].startswith(reverse("accounts:login"))


def test_owner_and_their_professional_see_it(client, alice, professional, booking):
    for person in (alice, professional.user):
        client.force_login(person)
        response = client.get(reverse("bookings:detail", args=[booking.code]))
        assert response.status_code == 200
        assert "Individual session" in response.content.decode()


def test_the_session_page_shows_what_the_article_promises(client, alice, booking):
    client.force_login(alice)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    for text in (
        "Individual session",
        "ISK\xa018,000",
        "Helga Sigurðardóttir",
        "Join video session",
    ):
        assert text in body
    assert "Cancel session" in body


def test_the_review_of_a_new_time_is_the_clients_only(client, professional, booking):
    """The professional moves with their own form (bookings:move)."""
    client.force_login(professional.user)
    url = reverse("bookings:move_confirm", args=[booking.code])
    assert client.get(url).status_code == 404
    assert client.post(url, {"starts_at": booking.starts_at.isoformat()}).status_code == 404
