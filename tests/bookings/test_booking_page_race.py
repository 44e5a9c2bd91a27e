"""Two signed-in clients booking the same instant time on a booking page at once:
one booking, and one clear "just taken" with the next free times (PostgreSQL)."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.page import SlotTaken, page_book, page_free_times
from tengja.professionals.models import SessionType, WeeklyAvailability
from tests.conftest import race, requires_postgres
from tests.factories import ProfessionalFactory, SessionTypeFactory, UserFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kind():
    pro = ProfessionalFactory(bio="Therapy.", booking_slug="race", booking_page_on=True)
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=pro, weekday=weekday, starts=time(9), ends=time(17)
        )
    return SessionTypeFactory(professional=pro, booking_mode=SessionType.BookingMode.INSTANT)


def a_free_time(kind):
    day = timezone.localdate() + timedelta(days=2)
    free = page_free_times(
        professional=kind.professional,
        session_types=[kind],
        first_day=day,
        zone=timezone.get_current_timezone(),
    )[kind.pk]
    return free[0][1][0].starts_at


def test_two_clients_booking_one_time_one_wins(kind):
    starts_at = a_free_time(kind)
    clients = [UserFactory(), UserFactory(), UserFactory()]
    calls = [
        lambda person=person: page_book(client=person, session_type=kind, starts_at=starts_at)
        for person in clients
    ]
    results = race(expected=SlotTaken, calls=calls)
    assert sum(isinstance(r, Booking) for r in results) == 1
    assert sum(isinstance(r, SlotTaken) for r in results) == 2
    assert Booking.objects.count() == 1


def test_two_visitors_posting_at_once_get_one_booking_and_one_message(kind):
    starts_at = a_free_time(kind)
    url = reverse("bookings:page_time", kwargs={"slug": "race", "code": kind.code})
    browsers = []
    for _ in range(2):
        browser = Client()
        browser.force_login(UserFactory())
        browsers.append(browser)
    calls = [
        lambda browser=browser: browser.post(url, {"at": starts_at.isoformat()})
        for browser in browsers
    ]
    responses = race(calls=calls)
    assert sorted(r.status_code for r in responses) == [302, 409]
    lost = next(r for r in responses if r.status_code == 409).content.decode()
    assert "That time was just taken" in lost and "Next free times" in lost
    assert Booking.objects.count() == 1
