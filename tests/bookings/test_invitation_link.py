from datetime import timedelta

import time_machine
from django.core import mail
from django.urls import reverse

from tengja.accounts.models import User
from tengja.bookings.models import Booking, Invitation
from tengja.bookings.services import booking_cancel, booking_invite, invitation_resend
from tests.bookings.conftest import invitation_path
from tests.factories import UserFactory

SIGN_UP = {
    "name": "Nýr Skjólstæðingur",
    "password": "a long enough passphrase",
    "accept_terms": "on",
}


def invite(professional, session_type, starts_at, email, capture):
    with capture(execute=True):
        return booking_invite(
            professional=professional, session_type=session_type, starts_at=starts_at, email=email
        )


def test_new_client_creates_account_and_lands_on_the_session(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    path = invitation_path()
    page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'value="new@example.com" readonly' in body
    assert 'name="email"' not in body  # the address cannot be changed
    assert "Individual session" in body

    response = client.post(path, {**SIGN_UP, "email": "attacker@example.com"})
    assert response["Location"] == reverse("bookings:detail", args=[booking.code])
    user = User.objects.get(email="new@example.com")
    assert not User.objects.filter(email="attacker@example.com").exists()
    assert user.terms_accepted_at is not None
    booking.refresh_from_db()
    assert booking.client == user
    assert Invitation.objects.get().accepted_at is not None
    assert client.get(response["Location"]).status_code == 200


def test_account_creation_works_once(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    path = invitation_path()
    client.post(path, SIGN_UP)
    client.post(reverse("accounts:logout"))
    # Used: the link now only leads to sign-in, then to the session.
    response = client.get(path)
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(path, {**SIGN_UP, "name": "Someone else"})
    assert response.status_code == 302
    assert User.objects.count() == 2  # the professional and the one client


def test_existing_client_is_asked_to_sign_in_then_lands_on_the_session(
    client, alice, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, session_type, tomorrow, alice.email, django_capture_on_commit_callbacks
    )
    path = invitation_path()
    response = client.get(path)
    detail = reverse("bookings:detail", args=[booking.code])
    assert response["Location"] == f"{reverse('accounts:login')}?next={detail}"
    client.force_login(alice)
    assert client.get(path)["Location"] == detail


def test_signed_in_as_someone_else_gets_a_clear_page_and_no_booking(
    client, bob, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    client.force_login(bob)
    response = client.get(invitation_path())
    assert response.status_code == 400
    assert "This invitation is for someone else" in response.content.decode()
    booking.refresh_from_db()
    assert booking.client is None
    assert client.get(reverse("bookings:detail", args=[booking.code])).status_code == 404


def test_forged_link(client, db):
    response = client.get(reverse("bookings:invitation", args=["forged-token"]))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_expired_link(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    path = invitation_path()
    with time_machine.travel(booking.ends_at):
        response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert "Helga Sigurðardóttir" in response.content.decode()


def test_cancelled_session_link(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    path = invitation_path()
    booking_cancel(booking=booking, by=professional.user)
    response = client.post(path, SIGN_UP)
    assert response.status_code == 400
    assert "This session has been cancelled" in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_resend_replaces_the_link(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    old = invitation_path()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(booking=booking)
    new = invitation_path()
    assert new != old
    assert client.get(old).status_code == 400
    assert client.get(new).status_code == 200


def test_the_address_registered_meanwhile_goes_to_sign_in(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    UserFactory(email="new@example.com")
    response = client.post(invitation_path(), SIGN_UP)
    assert response["Location"].startswith(reverse("accounts:login"))
    assert User.objects.filter(email="new@example.com").count() == 1


def test_bad_sign_up_input_creates_nothing(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    invite(
        professional, session_type, tomorrow, "new@example.com", django_capture_on_commit_callbacks
    )
    response = client.post(invitation_path(), {**SIGN_UP, "accept_terms": ""})
    assert response.status_code == 400
    assert "agree to the Terms" in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()
    assert Booking.objects.get().client is None
    assert mail.outbox  # the invitation itself


def test_accepting_an_invitation_within_the_notice_says_cancelling_now_stays_payable(
    client, professional, session_type, django_capture_on_commit_callbacks
):
    """A card session invited 5 hours ahead: the first look (accepting it) says
    the free cancellation has passed, never "Free until 24 hours before"."""
    from django.utils import timezone

    soon = (timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    booking = invite(
        professional, session_type, soon, "new@example.com", django_capture_on_commit_callbacks
    )
    response = client.post(invitation_path(), SIGN_UP, follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("bookings:detail", args=[booking.code])
    assert "which has passed: if you cancel now, the session stays payable." in body
    assert "Free until 24 hours before the start" not in body
