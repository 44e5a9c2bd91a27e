"""Accounts made from one client address are limited (SIGNUP_LIMIT_PER_IP), on
every path that makes one: sign-up, a hub's join page, a client's booking
invitation and a professional's invitation. Over the limit the form says so,
no account is made and nothing is sent."""

import re

from django.core import mail
from django.urls import reverse

from tengja.accounts.models import User
from tengja.bookings.services import booking_invite
from tengja.hubs.models import Membership
from tengja.professionals.models import Professional
from tengja.professionals.services import professional_invite
from tests.bookings.conftest import invitation_path, session_type, tomorrow  # noqa: F401

FORM = {"name": "Nýr Notandi", "password": "a long enough passphrase", "accept_terms": "on"}
REFUSED = "Too many accounts have been made from your network"


def test_the_default_is_ten_an_hour(settings):
    assert settings.SIGNUP_LIMIT_PER_IP == "10/h"


def test_sign_ups_from_one_client_address_are_limited(client, settings, db):
    settings.SIGNUP_LIMIT_PER_IP = "3/h"
    url = reverse("accounts:signup")
    for number in range(3):
        response = client.post(url, {**FORM, "email": f"new{number}@example.com"})
        assert response.status_code == 302
        client.logout()
    response = client.post(url, {**FORM, "email": "new3@example.com"})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(email="new3@example.com").exists()
    assert "_auth_user_id" not in client.session
    # From another address it works.
    response = client.post(url, {**FORM, "email": "new4@example.com"}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302


def test_a_hubs_join_page_makes_no_more_accounts_and_sends_nothing(
    client, settings, hub, django_capture_on_commit_callbacks
):
    settings.SIGNUP_LIMIT_PER_IP = "2/h"
    url = reverse("hubs:join", args=[hub.code])
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(2):
            assert client.post(url, {**FORM, "email": f"w{number}@acme.test"}).status_code == 302
            client.logout()
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**FORM, "email": "w2@acme.test"})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(email="w2@acme.test").exists()
    assert not Membership.objects.filter(email="w2@acme.test").exists()
    assert len(mail.outbox) == sent == 2


def test_an_accepted_booking_invitation_counts_too(
    client,
    settings,
    professional,
    session_type,  # noqa: F811
    tomorrow,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    settings.SIGNUP_LIMIT_PER_IP = "1/h"
    paths = []
    for number in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            booking_invite(
                professional=professional,
                session_type=session_type,
                starts_at=tomorrow.replace(hour=number + 9),
                email=f"invited{number}@example.com",
            )
        paths.append(invitation_path())
    assert client.post(paths[0], FORM).status_code == 302
    client.logout()
    sent = len(mail.outbox)
    response = client.post(paths[1], FORM)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(email="invited1@example.com").exists()
    assert len(mail.outbox) == sent


def test_a_professionals_invitation_counts_too(
    client, settings, db, django_capture_on_commit_callbacks
):
    settings.SIGNUP_LIMIT_PER_IP = "1/h"
    paths = []
    for number in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            professional_invite(email=f"pro{number}@example.com", language="en", invited_by=None)
        paths.append(
            re.search(r"https?://[^/\s]+(/professionals/join/[^/\s]+/)", mail.outbox[-1].body)[1]
        )
    assert client.post(paths[0], FORM).status_code == 302
    client.logout()
    response = client.post(paths[1], FORM)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(email="pro1@example.com").exists()
    assert not Professional.objects.filter(user__email="pro1@example.com").exists()
