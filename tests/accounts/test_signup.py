import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User

URL = reverse("accounts:signup")


def form(**overrides):
    data = {
        "name": "  Sigga   Jóns ",
        "email": "Sigga@Example.com",
        "password": "a long enough passphrase",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def test_visitor_sees_the_form(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Create Account" in body
    assert 'name="accept_terms"' in body
    assert reverse("accounts:terms") in body


def test_sign_up_creates_account_records_terms_and_signs_in(client, db, settings):
    before = timezone.now()
    response = client.post(URL, form())
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    user = User.objects.get()
    assert user.email == "sigga@example.com"
    assert user.name == "Sigga Jóns"
    assert user.terms_version == settings.TERMS_VERSION
    assert user.terms_accepted_at >= before
    assert user.check_password("a long enough passphrase")
    assert client.get(reverse("dashboard:home")).context["user"] == user


def test_sign_up_takes_language_and_browser_time_zone(client, db):
    client.cookies["tengja_tz"] = "America/New_York"
    client.post(URL, form(), HTTP_ACCEPT_LANGUAGE="is")
    user = User.objects.get()
    assert user.language == "is"
    assert user.time_zone == "America/New_York"


def test_an_unknown_browser_time_zone_falls_back_to_the_default(client, db, settings):
    client.cookies["tengja_tz"] = "Mars/Olympus_Mons"
    client.post(URL, form())
    assert User.objects.get().time_zone == settings.TIME_ZONE


def test_terms_must_be_accepted(client, db):
    data = form()
    del data["accept_terms"]
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "agree to the Terms &amp; Conditions" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("name", "   ", "This field is required."),
        ("password", "short", "This password is too short."),
        ("password", "12345678901", "This password is entirely numeric."),
        ("password", "password123", "This password is too common."),
    ],
)
def test_bad_input_is_refused_with_a_message(client, db, field, value, message):
    response = client.post(URL, form(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_email_taken_in_any_case_is_refused(client, alice):
    response = client.post(URL, form(email="ALICE@example.com"))
    assert "An account with this email already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_next_is_followed_only_within_the_site(client, db):
    response = client.post(URL + "?next=/hubs/abc/", form())
    assert response["Location"] == "/hubs/abc/"
    client.logout()
    response = client.post(URL + "?next=https://evil.example/", form(email="two@example.com"))
    assert response["Location"] == reverse("dashboard:home")


def test_signed_in_user_is_sent_home(client, alice):
    client.force_login(alice)
    assert client.get(URL)["Location"] == reverse("dashboard:home")


def test_an_address_longer_than_the_column_is_refused(client, db):
    long_email = "a" * 250 + "@example.com"
    response = client.post(URL, form(email=long_email))
    assert response.status_code == 400
    assert "Ensure this value has at most 254 characters" in response.content.decode()
    assert not User.objects.exists()
