from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_cancel, booking_invite, booking_move
from tests.bookings.conftest import invitation_path
from tests.factories import BookingFactory


@pytest.fixture
def booking(alice, session_type):
    return BookingFactory(
        client=alice,
        session_type=session_type,
        starts_at=(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0),
        cancellation_notice_hours=24,
    )


def test_client_cancels_in_good_time_for_free(
    client, alice, booking, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    page = client.get(reverse("bookings:cancel", args=[booking.code])).content.decode()
    assert "nothing to pay" in page
    assert "late cancellation" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:cancel", args=[booking.code]))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_by == "client"
    assert not booking.late_cancellation
    # The professional is told (and the client gets a copy for their calendar).
    [message] = [m for m in mail.outbox if m.to == [booking.professional.user.email]]
    assert "Alice Andersen" in message.body
    assert "stays payable" not in message.body


def test_late_cancellation_is_warned_about_then_stays_payable(
    client, alice, booking, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with time_machine.travel(booking.starts_at - timedelta(hours=5)):
        page = client.get(reverse("bookings:cancel", args=[booking.code])).content.decode()
        assert "This is a late cancellation." in page
        assert "ISK\xa018,000" in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("bookings:cancel", args=[booking.code]))
    booking.refresh_from_db()
    assert booking.is_cancelled and booking.late_cancellation
    [to_professional] = [m for m in mail.outbox if m.to == [booking.professional.user.email]]
    assert "stays payable" in to_professional.body


def test_notice_of_zero_hours_is_never_late(alice, session_type):
    booking = BookingFactory(
        client=alice,
        session_type=session_type,
        cancellation_notice_hours=0,
        starts_at=timezone.now() + timedelta(minutes=5),
    )
    booking_cancel(booking=booking, by=alice)
    booking.refresh_from_db()
    assert not booking.late_cancellation


def test_cancelled_slot_is_free_again(alice, professional, session_type, booking):
    booking_cancel(booking=booking, by=alice)
    again = booking_invite(
        professional=professional,
        session_type=session_type,
        starts_at=booking.starts_at,
        email="someone@example.com",
    )
    assert again.starts_at == booking.starts_at


def test_cannot_cancel_twice_or_after_start(alice, booking):
    booking_cancel(booking=booking, by=alice)
    with pytest.raises(BookingError, match="already been cancelled"):
        booking_cancel(booking=booking, by=alice)
    started = BookingFactory(client=alice, starts_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(BookingError, match="already started"):
        booking_cancel(booking=started, by=alice)


def test_professional_cancels_any_time_and_client_is_told(
    professional, alice, booking, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(booking.starts_at - timedelta(hours=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        booking_cancel(booking=booking, by=professional.user)
    booking.refresh_from_db()
    assert booking.cancelled_by == "professional"
    assert not booking.late_cancellation
    [message] = [m for m in mail.outbox if m.to == [alice.email]]
    assert "Helga Sigurðardóttir" in message.body


def test_professional_moves_a_session_and_client_is_told(
    client, professional, alice, booking, django_capture_on_commit_callbacks
):
    client.force_login(professional.user)
    new_start = booking.starts_at + timedelta(days=1)
    local = timezone.localtime(new_start).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("bookings:move", args=[booking.code]), {"starts_at": local})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == new_start
    assert booking.ends_at == new_start + timedelta(minutes=50)
    assert mail.outbox[0].to == [alice.email]
    assert reverse("bookings:detail", args=[booking.code]) in mail.outbox[0].body


def test_moving_onto_another_session_is_refused(professional, alice, booking, session_type):
    other = BookingFactory(
        session_type=session_type, starts_at=booking.starts_at + timedelta(days=1)
    )
    with pytest.raises(BookingError, match="overlaps"):
        booking_move(
            booking=booking, by=professional.user, starts_at=other.starts_at + timedelta(minutes=10)
        )
    booking.refresh_from_db()
    assert booking.starts_at != other.starts_at


def test_moving_an_invited_session_sends_a_fresh_link(
    professional, session_type, django_capture_on_commit_callbacks
):
    start = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_invite(
            professional=professional,
            session_type=session_type,
            starts_at=start,
            email="new@example.com",
        )
    first = invitation_path()
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(booking=booking, by=professional.user, starts_at=start + timedelta(hours=3))
    assert mail.outbox[-1].to == ["new@example.com"]
    assert invitation_path() != first


def test_a_client_chooses_a_free_time_instead_of_typing_one(client, alice, booking):
    """The client's move page offers the professional's free times (no date-time
    field), and a time the professional does not offer is refused
    (tests/bookings/test_client_move.py has the rest)."""
    client.force_login(alice)
    page = client.get(reverse("bookings:move", args=[booking.code])).content.decode()
    assert "Free times" in page and 'type="datetime-local"' not in page
    with pytest.raises(BookingError, match="not free"):
        booking_move(booking=booking, by=alice, starts_at=booking.starts_at + timedelta(days=1))


def test_bad_move_input_changes_nothing(client, professional, booking):
    client.force_login(professional.user)
    before = booking.starts_at
    for value in ("yesterday", "2001-01-01T10:00", ""):
        response = client.post(reverse("bookings:move", args=[booking.code]), {"starts_at": value})
        assert response.status_code == 400  # as every other form with errors
        assert "errorlist" in response.content.decode()
    booking.refresh_from_db()
    assert booking.starts_at == before


def test_role_of_names_the_client_the_professional_or_nobody(booking, professional, bob):
    from django.contrib.auth.models import AnonymousUser

    assert booking.role_of(booking.client) == Booking.Role.CLIENT
    assert booking.role_of(professional.user) == Booking.Role.PROFESSIONAL
    assert booking.role_of(bob) is None
    assert booking.role_of(AnonymousUser()) is None


def test_the_cancellation_rule_is_the_same_for_the_page_and_the_service(
    client, booking, professional
):
    """A client may cancel until the start, the professional until the end; the
    page offers the button exactly when the service would accept."""
    started = booking.starts_at + timedelta(minutes=1)
    with time_machine.travel(started):
        for person, allowed in ((booking.client, False), (professional.user, True)):
            client.force_login(person)
            page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
            assert (reverse("bookings:cancel", args=[booking.code]) in page) is allowed
            assert (booking.cancel_refusal(booking.role_of(person)) is None) is allowed
