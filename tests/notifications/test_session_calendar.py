"""A session page offers its .ics, Google Calendar and Outlook; the .ics is the
session's client's and professional's only."""

from datetime import UTC
from urllib.parse import parse_qs, urlsplit

import vobject
from django.urls import reverse
from icalendar import Calendar

from tengja.bookings.services import booking_cancel


def links(body: str) -> dict[str, str]:
    import re

    return {
        name: re.search(rf'href="({prefix}[^"]+)"', body).group(1).replace("&amp;", "&")
        for name, prefix in (
            ("google", "https://calendar.google.com/"),
            ("outlook", "https://outlook.live.com/"),
        )
    }


def test_the_session_page_links_to_google_outlook_and_the_ics(client, alice, book):
    booking = book(alice.email)
    client.force_login(alice)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert reverse("notifications:booking_ics", args=[booking.code]) in body
    found = links(body)
    google = parse_qs(urlsplit(found["google"]).query)
    start = booking.starts_at.astimezone(UTC)
    end = booking.ends_at.astimezone(UTC)
    assert google["action"] == ["TEMPLATE"]
    assert google["dates"] == [f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"]
    assert google["text"] == ["Individual session with Helga Sigurðardóttir"]
    assert f"/sessions/{booking.code}/" in google["details"][0]
    outlook = parse_qs(urlsplit(found["outlook"]).query)
    assert outlook["startdt"] == [f"{start:%Y-%m-%dT%H:%M:%SZ}"]
    assert outlook["subject"] == google["text"]


def test_the_professionals_links_name_the_client_in_their_language(
    client, alice, professional, book
):
    professional.user.language = "is"
    professional.user.save()
    booking = book(alice.email)
    client.force_login(professional.user)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    google = parse_qs(urlsplit(links(body)["google"]).query)
    # Until Alice has opened it, her name is hers to give: the invited address.
    assert google["text"] == ["Individual session – alice@example.com"]
    client.force_login(alice)
    client.get(reverse("bookings:detail", args=[booking.code]))
    client.force_login(professional.user)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    google = parse_qs(urlsplit(links(body)["google"]).query)
    assert google["text"] == ["Individual session – Alice Andersen"]
    assert google["details"][0].startswith("Síða tímans")


def test_the_ics_download_is_for_the_sessions_people_only(client, alice, bob, professional, book):
    booking = book(alice.email)
    url = reverse("notifications:booking_ics", args=[booking.code])
    assert client.get(url).status_code == 302
    client.force_login(bob)
    assert client.get(url).status_code == 404
    for person in (alice, professional.user):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        assert response["Content-Disposition"].startswith("attachment;")
        calendar = Calendar.from_ical(response.content)
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"booking-{booking.code}@tengja"
        assert vobject.readOne(response.content.decode()).vevent.uid.value == str(event["UID"])


def test_a_cancelled_session_offers_no_calendar_links(client, alice, book):
    booking = book(alice.email)
    booking_cancel(booking=booking, by=alice)
    client.force_login(alice)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert "calendar.google.com" not in body
