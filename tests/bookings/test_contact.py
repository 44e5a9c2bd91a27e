"""When a client can no longer move a session, they are told how to reach the
professional: the contact e-mail on the professional's page if they gave one,
else plainly that they have not."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tengja.privacy.export import export_write
from tengja.professionals.services import professional_profile_update
from tests.bookings.conftest import START

CONTACT = "helga.contact@example.org"


@pytest.fixture
def booking(moving):
    return moving


def detail_url(booking) -> str:
    return reverse("bookings:detail", args=[booking.code])


def connection_url(booking) -> str:
    return reverse("dashboard:connection", args=[booking.professional.code])


def give_contact(professional, email: str, after_commit) -> None:
    with after_commit(execute=True):
        professional_profile_update(
            professional=professional,
            title=professional.title,
            bio=professional.bio,
            languages=list(professional.languages.all()),
            specialties=list(professional.specialties.all()),
            contact_email=email,
        )


@pytest.mark.parametrize("language", ["en", "is"])
def test_without_a_contact_email_the_pages_say_so(client, alice, booking, language):
    alice.language = language
    alice.save()
    client.force_login(alice)
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        page = client.get(detail_url(booking)).content.decode()
        connection = client.get(connection_url(booking)).content.decode()
    said = {
        "en": "Helga Sigurðardóttir has not shared any contact details on Tengja",
        "is": "Helga Sigurðardóttir hefur ekki gefið upp neinar samskiptaupplýsingar",
    }[language]
    assert said in page and said in connection
    assert "To arrange another time, contact" not in page
    assert "mailto:" not in page and "mailto:" not in connection


def test_the_contact_email_is_on_the_session_and_the_professionals_page(
    client, alice, booking, professional, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        # Read before the change and after it (twice: the first look accepts the
        # invitation).
        for _look in range(2):
            assert "mailto:" not in client.get(detail_url(booking)).content.decode()
        give_contact(professional, CONTACT, django_capture_on_commit_callbacks)
        page = client.get(detail_url(booking)).content.decode()
        connection = client.get(connection_url(booking)).content.decode()
    assert f"To arrange another time, contact Helga Sigurðardóttir at {CONTACT}." in page
    assert f'href="mailto:{CONTACT}"' in page
    assert f'href="mailto:{CONTACT}"' in connection
    assert "has not shared any contact details" not in connection
    # Their sign-in address stays theirs.
    assert professional.user.email not in page and professional.user.email not in connection


def test_the_professional_gives_it_in_their_profile_form(client, professional):
    client.force_login(professional.user)
    url = reverse("professionals:profile")
    assert "Contact e-mail" in client.get(url).content.decode()
    data = {"title": "Psychologist", "bio": "Hello.", "contact_email": "not an address"}
    assert client.post(url, data).status_code == 400
    professional.refresh_from_db()
    assert professional.contact_email == ""
    response = client.post(url, {**data, "contact_email": CONTACT})
    assert response.status_code == 302
    professional.refresh_from_db()
    assert professional.contact_email == CONTACT
    public = client.get(reverse("professionals:public", args=[professional.code]))
    assert f'href="mailto:{CONTACT}"' in public.content.decode()
    # Emptied, it is shared no more.
    client.post(url, {**data, "contact_email": ""})
    professional.refresh_from_db()
    assert professional.contact_email == ""


def test_the_contact_email_is_in_the_professionals_data_export(professional, alice):
    professional.contact_email = CONTACT
    professional.save()
    for user, expected in [(professional.user, CONTACT), (alice, None)]:
        out = io.BytesIO()
        export_write(user=user, out=out)
        with zipfile.ZipFile(out) as archive:
            practice = json.loads(archive.read("professional.json"))
        assert (practice and practice["contact_email"]) == expected


@pytest.mark.parametrize(
    ("language", "cancelled", "contact"),
    [
        ("en", "This session has been cancelled, so it cannot be moved.", "has not shared"),
        ("is", "Þessi tími hefur verið afbókaður", "hefur ekki gefið upp"),
    ],
)
def test_a_cancelled_session_does_not_say_how_to_arrange_another_time(
    client, alice, booking, language, cancelled, contact
):
    """The contact sentence is for a session still on that can no longer be
    moved; a cancelled one has nothing to arrange (issue #26)."""
    from tengja.bookings.services import booking_cancel

    alice.language = language
    alice.save()
    client.force_login(alice)
    booking_cancel(booking=booking, by=alice)
    page = client.get(detail_url(booking)).content.decode()
    assert cancelled in page
    assert contact not in page and "To arrange another time" not in page
