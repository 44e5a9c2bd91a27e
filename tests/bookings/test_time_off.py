"""Time off and calendar rules where clients choose a time (issue 28): hub browse
(its kept next free time), the offer page, booking and moving, also by a crafted
POST, checked under the locks."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_move
from tengja.bookings.slots import free_slots_to_move_to
from tengja.hubs.services import HubError, hub_book
from tengja.professionals.services import (
    availability_exception_add,
    calendar_rules_update,
)
from tests.bookings.conftest import START, at


def block(professional, day: date, starts=None, ends=None, **more):
    return availability_exception_add(
        professional=professional, date=day, kind="off", starts=starts, ends=ends, **more
    )


def browse_first(client, hub):
    [(_offer, first)] = client.get(reverse("hubs:browse", args=[hub.code])).context["offers"]
    return first and first.starts_at


def offer_times(client, hub, offer) -> set[datetime]:
    page = client.get(reverse("hubs:offer", args=[hub.code, offer.professional.code]))
    return {slot.starts_at for _day, slots in page.context["days"] for slot in slots}


def test_time_off_and_rules_leave_the_hub_at_once_not_after_the_kept_minute(client, member, offer):
    """Browse keeps the next free time a minute, but under the calendar's version:
    time off or a rule changed shows at once, on browse and on the offer page."""
    client.force_login(member.user)
    first = browse_first(client, member.hub)
    assert first in offer_times(client, member.hub, offer)
    zone = ZoneInfo(offer.professional.user.time_zone)
    local = timezone.localtime(first, zone)
    block(offer.professional, local.date(), label="Dentist")
    offer.professional.refresh_from_db()
    second = browse_first(client, member.hub)
    assert timezone.localtime(second, zone).date() > local.date()
    times = offer_times(client, member.hub, offer)
    assert first not in times and second in times
    assert (
        "Dentist" not in client.get(reverse("hubs:browse", args=[member.hub.code])).content.decode()
    )
    # A longer notice: the next free time moves on at once too.
    pro = offer.professional
    calendar_rules_update(
        professional=pro,
        bookable_days=None,
        min_notice_hours=24 * 20,
        buffer_minutes=0,
        slot_interval_minutes=30,
    )
    third = browse_first(client, member.hub)
    assert third >= timezone.now() + timedelta(days=20)
    # A bookable period shorter than the notice: nothing free at all.
    calendar_rules_update(
        professional=pro,
        bookable_days=10,
        min_notice_hours=24 * 20,
        buffer_minutes=0,
        slot_interval_minutes=30,
    )
    assert browse_first(client, member.hub) is None
    assert offer_times(client, member.hub, offer) == set()


def test_a_crafted_post_into_time_off_books_nothing(client, member, offer):
    client.force_login(member.user)
    first = browse_first(client, member.hub)
    zone = ZoneInfo(offer.professional.user.time_zone)
    local = timezone.localtime(first, zone)
    block(offer.professional, local.date(), starts=time(0), ends=time(23, 59), repeats_weekly=True)
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    offer_page = reverse("hubs:offer", args=[member.hub.code, offer.professional.code])
    assert client.get(review, {"starts_at": first.isoformat()}).url == offer_page  # no review
    response = client.post(review, {"starts_at": first.isoformat()})
    assert response.status_code == 302
    assert not Booking.objects.exists()
    with pytest.raises(HubError, match="not free"):
        hub_book(membership=member, offer=offer, starts_at=first)
    # A week later, the same weekday: blocked too (weekly time off).
    with pytest.raises(HubError, match="not free"):
        hub_book(membership=member, offer=offer, starts_at=first + timedelta(days=7))
    assert not Booking.objects.exists()


def test_a_crafted_post_off_the_start_times_or_within_the_buffer_is_refused(client, member, offer):
    client.force_login(member.user)
    first = browse_first(client, member.hub)
    pro = offer.professional
    calendar_rules_update(
        professional=pro,
        bookable_days=None,
        min_notice_hours=12,
        buffer_minutes=30,
        slot_interval_minutes=60,
    )
    # The day after the first free one, at its opening (9:00 on the hour grid),
    # whatever the clock says now: the first free time itself moves with it.
    zone = ZoneInfo(pro.user.time_zone)
    day = timezone.localtime(first, zone).date() + timedelta(days=1)
    later = datetime.combine(day, time(9), tzinfo=zone)
    with pytest.raises(HubError, match="not free"):
        hub_book(membership=member, offer=offer, starts_at=later + timedelta(minutes=30))
    booked = hub_book(membership=member, offer=offer, starts_at=later)  # 50 min + 30 buffer
    with pytest.raises(HubError, match="not free"):
        hub_book(membership=member, offer=offer, starts_at=later + timedelta(hours=1))
    assert list(Booking.objects.all()) == [booked]
    assert later + timedelta(hours=2) in offer_times(client, member.hub, offer)


# ------------------------------------------------------------------ moving a session


@pytest.fixture
def booking(moving):
    return moving


def test_the_client_cannot_move_into_time_off(alice, professional, booking):
    block(professional, date(2031, 3, 7), starts=time(9), ends=time(12), label="Away")
    offered = {
        s.starts_at for s in free_slots_to_move_to(booking=booking, start=date(2031, 3, 7), days=1)
    }
    assert at(9, day=7) not in offered and at(12, day=7) in offered
    with pytest.raises(BookingError, match="not free"):
        booking_move(booking=booking, by=alice, starts_at=at(9, day=7))
    booking.refresh_from_db()
    assert booking.starts_at == START
    # By a crafted POST to the move page: refused, the session stays.
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    confirm = reverse("bookings:move_confirm", args=[booking.code])
    crafted = {"starts_at": at(10, day=7).isoformat()}
    response = browser.post(confirm, crafted)
    assert response.url == reverse("bookings:move", args=[booking.code])
    assert browser.get(confirm, crafted).url == response.url  # not offered for review either
    booking.refresh_from_db()
    assert booking.starts_at == START
    # The professional themselves may still put a session there.
    booking_move(booking=booking, by=professional.user, starts_at=at(9, day=7))


def test_the_client_cannot_move_closer_than_the_notice_or_beyond_the_period(
    alice, professional, booking
):
    calendar_rules_update(
        professional=professional,
        bookable_days=5,
        min_notice_hours=12,
        buffer_minutes=0,
        slot_interval_minutes=30,
    )
    with time_machine.travel(datetime(2031, 3, 3, 8, tzinfo=UTC), tick=False):
        with pytest.raises(BookingError, match="not free"):
            booking_move(booking=booking, by=alice, starts_at=at(9, day=9))  # 6 days on
        booking_move(booking=booking, by=alice, starts_at=at(9, day=8))  # the 5th day
