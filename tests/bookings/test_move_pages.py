"""The pages a client moves a session with: its free times, the review, and the
session page, which say why (and whom to ask) when it cannot be moved."""

import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_cancel, booking_move
from tengja.hubs.services import hub_book
from tengja.notifications.models import Delivery
from tests.bookings.conftest import START, at
from tests.factories import BookingFactory, SessionTypeFactory

CLIENT = Booking.Role.CLIENT


@pytest.fixture
def booking(moving):
    return moving


def move_url(booking) -> str:
    return reverse("bookings:move", args=[booking.code])


def detail_url(booking) -> str:
    return reverse("bookings:detail", args=[booking.code])


def confirm_url(booking, starts_at: datetime | str | None = None) -> str:
    url = reverse("bookings:move_confirm", args=[booking.code])
    if starts_at is None:
        return url
    value = starts_at.isoformat() if isinstance(starts_at, datetime) else starts_at
    return f"{url}?starts_at={quote(value)}"


def offered(page: str, starts_at: datetime) -> bool:
    return quote(starts_at.isoformat(), safe="") in page


def said(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


# ------------------------------------------------------------------ the free times


def test_the_free_times_are_grouped_by_day_and_named(client, alice, bob, session_type, booking):
    BookingFactory(client=bob, session_type=session_type, starts_at=at(13))
    client.force_login(alice)
    response = client.get(move_url(booking))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Free times" in page and "Atlantic/Reykjavik" in page
    assert "<h3>Thursday 6 March 2031</h3>" in page
    assert "Helga Sigurðardóttir" in page and "Thursday 6 March 2031, 10:00–10:50" in page
    # Each time a link to the review, named with its day for a screen reader.
    assert (
        f'href="{confirm_url(booking, at(10, 30))}">10:30<span class="visually-hidden"> '
        "Thursday 6 March 2031, move the session to this time</span></a>"
    ) in page.replace("&#x27;", "'")
    assert offered(page, at(9, 30)) and not offered(page, at(10))
    assert not offered(page, at(13)) and not offered(page, at(12, 30))
    assert 'type="datetime-local"' not in page


def test_the_times_are_shown_in_the_clients_time_zone(client, alice, booking):
    alice.time_zone = "Asia/Tokyo"  # UTC+9: 09:00 in Reykjavik is 18:00 there
    alice.save()
    client.force_login(alice)
    page = client.get(move_url(booking)).content.decode()
    assert "Asia/Tokyo" in page
    assert f'{quote(at(9).isoformat(), safe="")}">18:00<' in page


def test_later_and_earlier_times_a_week_at_a_time(client, alice, booking):
    client.force_login(alice)
    page = client.get(move_url(booking)).content.decode()
    assert offered(page, at(10, day=9)) and not offered(page, at(10, day=10))
    assert "?from=2031-03-10" in page and "Earlier times" not in page
    later = client.get(move_url(booking) + "?from=2031-03-10").content.decode()
    assert offered(later, at(10, day=16)) and not offered(later, at(10, day=7))
    assert "?from=2031-03-03" in later and "?from=2031-03-17" in later


@pytest.mark.parametrize(
    "value", ["junk", "9999-12-31", "0001-01-01", "2031-02-30", "x" * 5000, "2031-03-17T10"]
)
def test_a_bad_from_date_is_read_as_the_nearest_good_one(client, alice, booking, value):
    client.force_login(alice)
    assert client.get(move_url(booking), {"from": value}).status_code == 200


def test_the_professional_still_types_any_time(client, professional, booking):
    client.force_login(professional.user)
    page = client.get(move_url(booking)).content.decode()
    assert 'type="datetime-local"' in page and "Free times" not in page
    response = client.post(move_url(booking), {"starts_at": "2031-03-03T21:00"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == at(21, day=3)


# ------------------------------------------------------------------ review, then move


def test_looking_at_the_review_changes_nothing(client, alice, booking):
    client.force_login(alice)
    response = client.get(confirm_url(booking, at(11, day=7)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Review the new time" in page
    assert "Friday 7 March 2031, 11:00–11:50" in page  # the new time
    assert "Thursday 6 March 2031, 10:00–10:50" in page  # the old one
    assert "the bill is reissued for the new time" in page
    assert "Helga Sigurðardóttir will be told" in page
    assert "you cannot move it again yourself" not in page
    assert f'value="{at(11, day=7).isoformat()}"' in page
    booking.refresh_from_db()
    assert (booking.starts_at, booking.sequence) == (START, 0)
    assert not Delivery.objects.filter(kind=Delivery.Kind.CHANGE).exists()
    assert mail.outbox == []


def test_confirming_moves_it_and_the_session_page_shows_the_new_time(
    client, alice, professional, booking, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(booking), {"starts_at": at(11, day=7).isoformat()})
    assert response.status_code == 302
    assert response["Location"] == detail_url(booking)
    assert said(response) == "Your session has been moved. We have told Helga Sigurðardóttir."
    page = client.get(detail_url(booking)).content.decode()
    assert "Friday 7 March 2031, 11:00–11:50" in page
    assert {m.to[0] for m in mail.outbox} == {alice.email, professional.user.email}
    assert invoice_standing(booking=booking).session_starts_at == at(11, day=7)


def test_a_time_within_the_notice_is_warned_about_before_moving(client, alice, booking):
    Booking.objects.filter(pk=booking.pk).update(cancellation_notice_hours=48)
    client.force_login(alice)
    soon = client.get(confirm_url(booking, at(10, day=4))).content.decode()
    assert "This time is less than 48 hours away" in soon
    later = client.get(confirm_url(booking, at(10, day=7))).content.decode()
    assert "you cannot move it again yourself" not in later


def test_a_hub_session_is_said_to_cost_no_more(
    client, frozen, member, offer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = hub_book(membership=member, offer=offer, starts_at=at(10, day=6))
    client.force_login(member.user)
    page = client.get(confirm_url(booking, at(14, day=7))).content.decode()
    assert "1 credit, as before: moving it costs no more." in page
    assert "bill" not in page


@pytest.mark.parametrize(
    "value",
    [
        "",
        "junk",
        "x" * 5000,
        "2031-03-07T11:00",  # no offset: which zone?
        "2031-03-07T11:15:00+00:00",  # not on the half hour
        "2031-03-07T07:00:00+00:00",  # before the professional's hours
        "2031-03-06T13:00:00+00:00",  # another client's session
        "2031-03-03T18:00:00+00:00",  # within the minimum notice
        "2020-01-01T10:00:00+00:00",  # the past
        "2033-03-08T10:00:00+00:00",  # beyond the two years sessions are booked within
        "9999-12-31T23:59:59-12:00",
        "2031-03-06T10:00:00+00:00",  # where it is already
    ],
)
def test_only_an_offered_time_is_accepted_and_anything_else_is_a_clear_error(
    client, alice, bob, session_type, booking, value
):
    BookingFactory(client=bob, session_type=session_type, starts_at=at(13))
    client.force_login(alice)
    for send in (
        lambda: client.get(confirm_url(booking, value)),
        lambda: client.post(confirm_url(booking), {"starts_at": value}),
    ):
        response = send()
        assert response.status_code == 302, value
        assert response["Location"] == move_url(booking)
        assert said(response) in (
            "Choose one of the free times.",
            "That time is not free. Choose one of the free times.",
            "The session is already at that time. Choose another time.",
        )
        # The message is shown on the free times (and so used up).
        assert said(response) in client.get(response["Location"]).content.decode()
    booking.refresh_from_db()
    assert (booking.starts_at, booking.sequence) == (START, 0)


def test_a_time_taken_since_it_was_shown_is_said_to_be_taken(client, alice, bob, booking):
    client.force_login(alice)
    assert offered(client.get(move_url(booking)).content.decode(), at(11, day=7))
    BookingFactory(client=bob, session_type=booking.session_type, starts_at=at(11, day=7))
    response = client.post(confirm_url(booking), {"starts_at": at(11, day=7).isoformat()})
    assert response["Location"] == move_url(booking)
    assert said(response) == "That time is not free. Choose one of the free times."


# ------------------------------------------------------------------ when it cannot be moved


@pytest.mark.parametrize("notice", [0, 24, 48, 72])
def test_the_notice_window_on_the_pages(client, frozen, hours, alice, session_type, notice):
    start = at(10, day=10)
    booking = BookingFactory(
        client=alice, session_type=session_type, starts_at=start, cancellation_notice_hours=notice
    )
    last_moment = start - timedelta(hours=notice, seconds=1 if notice == 0 else 0)
    client.force_login(alice)
    for moment, allowed in ((last_moment, True), (last_moment + timedelta(seconds=1), False)):
        with time_machine.travel(moment, tick=False):
            page = client.get(detail_url(booking)).content.decode()
            response = client.get(move_url(booking))
            assert (f'href="{move_url(booking)}"' in page) is allowed
            assert response.status_code == (200 if allowed else 403)
            if allowed:
                assert "You can move it to another free time until" in page
                continue
            # The same words on the session page, the move page and from the service.
            refusal = booking.move_refusal(CLIENT)
            assert refusal in page and refusal in response.content.decode()
            with pytest.raises(BookingError, match="Helga Sigurðardóttir has not shared"):
                booking_move(booking=booking, by=alice, starts_at=at(10, day=11))
            review = client.post(confirm_url(booking), {"starts_at": at(10, day=11).isoformat()})
            assert review.status_code == 403
    booking.refresh_from_db()
    assert booking.starts_at == start


def test_within_the_notice_the_client_is_told_why_and_whom_to_ask(client, alice, booking):
    client.force_login(alice)
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        page = client.get(detail_url(booking)).content.decode()
    assert (
        "You can move a session yourself until 24 hours before it starts; this one starts "
        "sooner. Helga Sigurðardóttir has not shared any contact details on Tengja: send "
        "them a message to arrange another time."
    ) in page
    assert reverse("dashboard:connection", args=[booking.professional.code]) in page
    # Cancelling is still possible (late): the button stays.
    assert reverse("bookings:cancel", args=[booking.code]) in page
    # The professional's own address is never shown to the client.
    assert booking.professional.user.email not in page


@pytest.mark.parametrize(
    "state, words",
    [
        ("started", "has already started"),
        ("past", "is over"),
        ("cancelled", "has been cancelled, so it cannot be moved"),
    ],
)
def test_a_started_past_or_cancelled_session_says_why(client, alice, booking, state, words):
    moment = {"started": START + timedelta(minutes=5), "past": START + timedelta(days=1)}
    if state == "cancelled":
        booking_cancel(booking=booking, by=alice)
    client.force_login(alice)
    with time_machine.travel(moment.get(state, at(8, day=3)), tick=False):
        page = client.get(detail_url(booking)).content.decode()
        response = client.get(move_url(booking))
    assert response.status_code == 403
    for body in (page, response.content.decode()):
        assert words in body
        # Whom to contact is for a session still on; a cancelled one has nothing to arrange.
        assert ("Helga Sigurðardóttir has not shared" in body) == (state != "cancelled")
    assert f'href="{move_url(booking)}"' not in page


def test_the_professional_is_refused_a_cancelled_session(client, professional, alice, booking):
    booking_cancel(booking=booking, by=alice)
    client.force_login(professional.user)
    response = client.get(move_url(booking))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This session has been cancelled." in page
    assert "contact" not in page


# ------------------------------------------------------------------ queries


def test_the_move_page_needs_as_many_queries_whatever_the_data(
    client, alice, bob, other_professional, session_type, booking
):
    client.force_login(alice)
    client.get(move_url(booking))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(move_url(booking)).status_code == 200
        return len(captured)

    few = queries()
    others = SessionTypeFactory(professional=other_professional)
    for day in range(4, 10):
        BookingFactory(client=bob, session_type=session_type, starts_at=at(9, day=day))
        BookingFactory(client=alice, session_type=others, starts_at=at(15, day=day))
        BookingFactory(client=bob, session_type=others, starts_at=at(12, day=day))
    assert queries() == few
    assert few <= 12, few


def test_every_time_on_the_last_page_can_be_chosen(client, alice, booking):
    """As far ahead as the pages go, what they offer is within the booking horizon."""
    client.force_login(alice)
    page = client.get(move_url(booking), {"from": "9999-12-31"}).content.decode()
    assert "Later times" not in page and "Earlier times" in page
    last = re.findall(r'href="(/sessions/[^"]+/move/confirm/\?starts_at=[^"]+)"', page)[-1]
    assert client.get(last.replace("&amp;", "&")).status_code == 200
