import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking, Invitation
from tengja.bookings.services import BookingError, booking_invite
from tengja.lib.tokens import token_hash
from tests.bookings.conftest import invitation_path
from tests.factories import SessionTypeFactory

URL = reverse("bookings:invite")


def post(client, session_type, starts: str, email: str):
    return client.post(URL, {"session_type": session_type.pk, "starts_at": starts, "email": email})


def local(dt: datetime, tz: str) -> str:
    return dt.astimezone(zoneinfo.ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def test_invite_a_new_address_books_and_emails_a_confirmation(
    client, professional, session_type, tomorrow, django_capture_on_commit_callbacks
):
    client.force_login(professional.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, session_type, local(tomorrow, "Atlantic/Reykjavik"), "New@Example.com"
        )
    booking = Booking.objects.get()
    assert response["Location"] == reverse("bookings:detail", args=[booking.code])
    assert booking.client is None
    assert booking.starts_at == tomorrow
    assert booking.ends_at == tomorrow + timedelta(minutes=50)
    assert (booking.price_amount, booking.currency) == (18000, "ISK")

    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "Helga Sigurðardóttir" in message.subject
    for text in ("Individual session", "ISK\xa018,000", "Psychologist", "Atlantic/Reykjavik"):
        assert text in message.body
    assert f"{timezone.localtime(tomorrow):%H:%M}" in message.body
    html = message.alternatives[0][0]
    assert invitation_path(message) in html
    # Only the hash of the link's token is stored.
    raw = invitation_path(message).strip("/").rsplit("/", 1)[1]
    assert Invitation.objects.get().token_hash == token_hash(raw)


def test_existing_client_is_attached_and_told_in_their_language_and_zone(
    client, professional, session_type, alice, tomorrow, django_capture_on_commit_callbacks
):
    alice.language, alice.time_zone = "is", "Asia/Tokyo"
    alice.save()
    client.force_login(professional.user)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, session_type, local(tomorrow, "Atlantic/Reykjavik"), "ALICE@example.com")
    booking = Booking.objects.get()
    assert booking.client == alice
    body = mail.outbox[0].body
    assert "Asia/Tokyo" in body
    assert local(tomorrow, "Asia/Tokyo")[-5:] in body
    assert "Tími" in body or "Hvenær" in body


def test_start_is_read_in_the_professionals_time_zone_across_dst(
    professional, session_type, client
):
    user = professional.user
    user.time_zone = "Europe/London"
    user.save()
    client.force_login(user)
    future = timezone.now().year + 1
    # London is UTC+0 before the last Sunday of March and UTC+1 after it.
    post(client, session_type, f"{future}-03-20T10:00", "a@example.com")
    post(client, session_type, f"{future}-04-20T10:00", "b@example.com")
    starts = sorted(Booking.objects.values_list("starts_at", flat=True))
    assert [s.hour for s in starts] == [10, 9]


def test_a_time_skipped_by_the_clock_change_is_refused(professional, session_type, client):
    user = professional.user
    user.time_zone = "Europe/London"
    user.save()
    client.force_login(user)
    year = timezone.now().year + 1
    last_sunday = max(day for day in range(25, 32) if datetime(year, 3, day).weekday() == 6)
    response = post(client, session_type, f"{year}-03-{last_sunday}T01:30", "a@example.com")
    assert response.status_code == 400
    assert "may be ambiguous or it may not exist" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("starts", "email", "message"),
    [
        ("2001-01-01T10:00", "a@example.com", "Choose a time in the future."),
        ("not a time", "a@example.com", "Enter a valid date/time."),
        ("NEXT", "not-an-email", "Enter a valid email address."),
        ("NEXT", "helga@example.com", "You cannot invite yourself."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_booked(
    client, professional, session_type, tomorrow, starts, email, message
):
    client.force_login(professional.user)
    if starts == "NEXT":
        starts = local(tomorrow, "Atlantic/Reykjavik")
    response = post(client, session_type, starts, email)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Booking.objects.exists()
    assert not mail.outbox


def test_another_professionals_session_type_is_refused(
    client, professional, session_type, tomorrow
):
    foreign = SessionTypeFactory()
    client.force_login(professional.user)
    response = post(client, foreign, local(tomorrow, "Atlantic/Reykjavik"), "a@example.com")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(BookingError):
        booking_invite(
            professional=professional,
            session_type=foreign,
            starts_at=tomorrow,
            email="a@example.com",
        )


def test_overlapping_session_is_refused(client, professional, session_type, tomorrow):
    client.force_login(professional.user)
    post(client, session_type, local(tomorrow, "Atlantic/Reykjavik"), "a@example.com")
    later = tomorrow + timedelta(minutes=30)
    response = post(client, session_type, local(later, "Atlantic/Reykjavik"), "b@example.com")
    assert response.status_code == 400
    assert "overlaps another session" in response.content.decode()
    assert Booking.objects.count() == 1
    # Back to back is fine.
    right_after = tomorrow + timedelta(minutes=50)
    post(client, session_type, local(right_after, "Atlantic/Reykjavik"), "b@example.com")
    assert Booking.objects.count() == 2


def test_clients_cannot_send_invitations(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 404
    assert client.get(reverse("bookings:practice")).status_code == 404


def test_price_changes_do_not_alter_a_booked_session(professional, session_type, tomorrow):
    booking = booking_invite(
        professional=professional,
        session_type=session_type,
        starts_at=tomorrow,
        email="a@example.com",
    )
    session_type.price_amount = 99999
    session_type.save()
    booking.refresh_from_db()
    assert booking.price_amount == 18000


def test_the_professional_cannot_tell_whether_an_invited_address_has_an_account(
    client, professional, alice, django_capture_on_commit_callbacks
):
    """Until the person opens it, an invitation to an address with an account
    reads exactly like one to an address without: the address, not the name,
    on every page the professional has (and no clients-list entry)."""
    kind = SessionTypeFactory(professional=professional, name="Talk")
    start = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        known = booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )
        unknown = booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=start + timedelta(hours=2),
            email="stranger@example.com",
        )
    client.force_login(professional.user)

    def seen(booking, email):
        page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
        facts = page.split('class="facts"')[1].split("</dl>")[0]
        actions = page.split('id="actions-heading"')[1].split("</section>")[0]
        return [
            re.sub(r'value="[^"]+"', "", part.replace(email, "ADDRESS").replace(booking.code, "X"))
            for part in (facts.split("<dt>Client</dt>")[1], actions)
        ]

    assert seen(known, alice.email) == seen(unknown, "stranger@example.com")
    for url in (
        reverse("dashboard:home"),
        reverse("dashboard:practice_week") + f"?day={timezone.localdate(start).isoformat()}",
        reverse("dashboard:practice_clients"),
    ):
        body = client.get(url).content.decode()
        assert alice.name not in body, url
    listed = client.get(reverse("dashboard:practice_clients")).content.decode()
    assert reverse("dashboard:practice_client", args=[alice.code]) not in listed
    assert client.get(reverse("dashboard:practice_client", args=[alice.code])).status_code == 404
    # Once she has opened it, she is hers to name, and theirs to see.
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("bookings:detail", args=[known.code]))
    client.force_login(professional.user)
    assert alice.name in client.get(reverse("bookings:detail", args=[known.code])).content.decode()
    assert alice.name in client.get(reverse("dashboard:practice_clients")).content.decode()


def test_the_call_names_an_invited_client_only_once_they_opened_it(
    client, professional, alice, django_capture_on_commit_callbacks
):
    """The professional waiting in the call sees the address they invited; the
    client opening the call counts as opening the invitation."""
    kind = SessionTypeFactory(professional=professional, name="Talk")
    start = (timezone.now() + timedelta(minutes=5)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )
    join = reverse("video:join", args=[booking.code])
    client.force_login(professional.user)
    body = client.get(join).content.decode()
    assert alice.email in body and alice.name not in body
    # Her initials as an avatar (two letters alone could be part of a random token).
    assert f'avatar--initials" aria-hidden="true">{alice.initials}<' not in body

    client.force_login(alice)
    assert professional.user.name in client.get(join).content.decode()
    client.force_login(professional.user)
    assert alice.name in client.get(join).content.decode()


def test_the_professionals_cached_pages_name_the_client_as_soon_as_they_accept(
    client, professional, alice, django_capture_on_commit_callbacks
):
    kind = SessionTypeFactory(professional=professional, name="Talk")
    start = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )
    client.force_login(professional.user)
    home = reverse("dashboard:home")
    assert alice.name not in client.get(home).content.decode()  # and now cached

    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(invitation_path())
    client.force_login(professional.user)
    assert alice.name in client.get(home).content.decode()
