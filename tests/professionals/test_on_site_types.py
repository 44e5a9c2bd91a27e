"""An on-site session type: its address is asked for, checked, and kept on
each session booked from it; a later edit moves no session already booked."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.services import booking_create, booking_invite, booking_move
from tengja.professionals.models import SessionType
from tengja.professionals.services import session_type_save
from tests.factories import SessionTypeFactory

ADDRESS = "Laugavegur 26, 3. hæð\n101 Reykjavík"

BASE = {
    "name": "At the clinic",
    "duration_minutes": 50,
    "price": "18000",
    "currency": "ISK",
    "mode": "in_person",
    "address": ADDRESS,
    "cancellation_notice_hours": 24,
}


def test_the_form_offers_video_and_on_site_with_an_address_field(client, professional):
    client.force_login(professional.user)
    body = client.get(reverse("professionals:session_type_new")).content.decode()
    assert '<option value="video"' in body and '<option value="in_person"' in body
    assert ">On site</option>" in body
    assert "phone" not in body.lower()  # a mode with no meaning is not offered
    assert '<textarea name="address"' in body and 'maxlength="300"' in body
    assert "Sessions already booked keep the address they were booked with." in body


def test_an_on_site_type_is_saved_with_its_address_tidied(client, professional):
    client.force_login(professional.user)
    messy = "  Laugavegur 26,   3. hæð \r\n\r\n 101 Reykjavík  "
    response = client.post(reverse("professionals:session_type_new"), {**BASE, "address": messy})
    assert response.status_code == 302
    kind = SessionType.objects.get(professional=professional)
    assert (kind.mode, kind.address) == ("in_person", ADDRESS)
    assert kind.is_on_site and kind.location == ADDRESS
    page = client.get(reverse("bookings:practice")).content.decode()
    assert "On site, Laugavegur 26, 3. hæð, 101 Reykjavík" in page


def test_an_on_site_type_in_icelandic(client, professional):
    professional.user.language = "is"
    professional.user.save()
    client.force_login(professional.user)
    body = client.get(reverse("professionals:session_type_new")).content.decode()
    assert ">Á staðnum</option>" in body and "Heimilisfang" in body
    response = client.post(reverse("professionals:session_type_new"), {**BASE, "address": ""})
    assert response.status_code == 400
    assert (
        "Gefðu upp heimilisfangið þar sem tímar á staðnum fara fram." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "Give the address where on-site sessions take place."),
        ("   \n \r\n ", "Give the address where on-site sessions take place."),
        ("x" * 301, "Write the address in at most 300 characters."),
        ("\n".join("line" for _ in range(6)), "Write the address in at most 5 lines."),
        ("Laugavegur\x0026", "Null characters are not allowed."),
        ("Laugavegur\x1b[2J 26", "Write the address in plain letters, without special characters."),
    ],
)
def test_bad_addresses_are_refused_and_nothing_is_saved(client, professional, address, message):
    client.force_login(professional.user)
    response = client.post(reverse("professionals:session_type_new"), {**BASE, "address": address})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SessionType.objects.exists()


def test_a_full_address_fits_however_the_browser_sends_its_line_ends(client, professional):
    """300 characters counting each line end once (a browser sends CR LF)."""
    client.force_login(professional.user)
    lines = ["a" * 99, "b" * 99, "c" * 100]  # 298 letters and 2 line ends
    response = client.post(
        reverse("professionals:session_type_new"), {**BASE, "address": "\r\n".join(lines)}
    )
    assert response.status_code == 302
    assert len(SessionType.objects.get().address) == 300


def test_a_video_type_keeps_no_address(client, professional):
    client.force_login(professional.user)
    response = client.post(reverse("professionals:session_type_new"), {**BASE, "mode": "video"})
    assert response.status_code == 302
    kind = SessionType.objects.get()
    assert (kind.mode, kind.address, kind.location) == ("video", "", "")


@pytest.mark.parametrize("mode", ["phone", "carrier-pigeon"])
def test_other_modes_are_refused(client, professional, mode):
    client.force_login(professional.user)
    response = client.post(reverse("professionals:session_type_new"), {**BASE, "mode": mode})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not SessionType.objects.exists()


def test_the_database_refuses_an_on_site_type_without_an_address(professional):
    with pytest.raises(IntegrityError):
        SessionType.objects.create(
            professional=professional,
            name="Nowhere",
            duration_minutes=50,
            price_amount=1,
            currency="ISK",
            mode=SessionType.Mode.IN_PERSON,
        )


def test_an_edit_of_the_address_moves_no_session_already_booked(
    professional, alice, bob, django_capture_on_commit_callbacks
):
    kind = SessionTypeFactory(professional=professional, mode="in_person", address=ADDRESS)
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        invited = booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )
        booked = booking_create(
            professional=professional,
            session_type=kind,
            starts_at=start + timedelta(hours=2),
            client=bob,
            paid_with=Booking.PaidWith.INVOICE,
        )
    assert invited.location == booked.location == ADDRESS

    session_type_save(
        professional=professional,
        session_type=kind,
        name=kind.name,
        duration_minutes=kind.duration_minutes,
        price_amount=kind.price_amount,
        currency=kind.currency,
        mode="in_person",
        address="Skólavörðustígur 1\n101 Reykjavík",
        cancellation_notice_hours=24,
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(booking=invited, by=professional.user, starts_at=start + timedelta(days=1))
    invited.refresh_from_db()
    booked.refresh_from_db()
    assert invited.location == booked.location == ADDRESS  # kept, as the price is
    later = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=start + timedelta(days=5),
        email=alice.email,
    )
    assert later.location == "Skólavörðustígur 1\n101 Reykjavík"

    # Turned into a video type: booked sessions stay on site, new ones are video.
    session_type_save(
        professional=professional,
        session_type=kind,
        name=kind.name,
        duration_minutes=kind.duration_minutes,
        price_amount=kind.price_amount,
        currency=kind.currency,
        mode="video",
        address="ignored for video",
        cancellation_notice_hours=24,
    )
    kind.refresh_from_db()
    assert kind.address == ""
    later.refresh_from_db()
    assert later.is_on_site
    video = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=start + timedelta(days=6),
        email=alice.email,
    )
    assert video.location == "" and not video.is_on_site
