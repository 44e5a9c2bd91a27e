"""The availability page's time off and calendar rules, and time off on the
professional's week (issue 28): what is saved, the sessions new time off covers,
bad input, access, both languages, and queries that do not grow with sessions."""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.professionals.models import AvailabilityException, Professional
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

ZONE = "America/New_York"


@pytest.fixture
def pro(professional):
    professional.user.time_zone = ZONE
    professional.user.save()
    return professional


@pytest.fixture
def kind(pro):
    return SessionTypeFactory(professional=pro, name="Viðtal", duration_minutes=50)


def next_monday() -> date:
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(ZONE)).date()
    return today + timedelta(days=7 - today.weekday())


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(ZONE))


def test_new_time_off_lists_the_sessions_it_covers_with_links(client, pro, kind, alice):
    monday = next_monday()
    inside = BookingFactory(session_type=kind, client=alice, starts_at=local(monday, 10))
    weekly = BookingFactory(
        session_type=kind, client=alice, starts_at=local(monday + timedelta(days=7), 9)
    )
    outside = BookingFactory(session_type=kind, client=alice, starts_at=local(monday, 13))
    cancelled = BookingFactory(
        session_type=kind, client=alice, starts_at=local(monday, 11), status="cancelled"
    )
    client.force_login(pro.user)
    response = client.post(
        reverse("professionals:time_off_add"),
        {
            "off-date": monday.isoformat(),
            "off-starts": "09:00",
            "off-ends": "12:00",
            "off-label": "  Physio   appointment ",
            "off-repeats_weekly": "on",
        },
    )
    added = AvailabilityException.objects.get(professional=pro)
    assert (added.kind, added.label, added.repeats_weekly) == ("off", "Physio appointment", True)
    assert response.url == reverse("professionals:availability") + f"?added={added.code}#time-off"
    body = client.get(response.url).content.decode()
    listed = body.split("These sessions fall in the time off:", 1)[1].split("</section>", 1)[0]
    for booking in (inside, weekly):
        assert reverse("bookings:detail", args=[booking.code]) in listed
    for booking in (outside, cancelled):
        assert reverse("bookings:detail", args=[booking.code]) not in listed
    assert "Alice Andersen" in listed and "Move or cancel them" in body
    # Neither kept quietly nor cancelled: they are still booked.
    assert Booking.objects.get(pk=inside.pk).status == Booking.Status.CONFIRMED
    assert "Physio appointment" in body and "every week" in body
    # Time off with nothing booked in it says so.
    response = client.post(
        reverse("professionals:time_off_add"),
        {"off-date": (monday + timedelta(days=3)).isoformat()},
    )
    body = client.get(response.url).content.decode()
    assert "No booked session falls in this time off." in body


@pytest.mark.parametrize(
    "data, error",
    [
        ({"off-date": "2031-01-05", "off-starts": "12:00", "off-ends": "09:00"}, "after the start"),
        (
            {"off-date": "2031-01-05", "off-ends_on": "2031-01-01"},
            "The end must come after the start.",
        ),
        (
            {"off-date": "2031-01-05", "off-ends_on": "2031-01-12", "off-repeats_weekly": "on"},
            "shorter than a week",
        ),
        (
            {
                "off-date": "2031-01-05",
                "off-repeats_weekly": "on",
                "off-repeat_until": "2030-12-01",
            },
            "Repeat until a date after",
        ),
        ({"off-date": "9999-12-31"}, "within the next three years"),
        ({"off-date": "2020-01-01"}, "within the next three years"),
        ({"off-date": "not a date"}, "Enter a valid date."),
        ({}, "This field is required."),
    ],
)
def test_bad_time_off_says_why_and_adds_nothing(client, pro, data, error):
    with time_machine.travel(datetime(2030, 12, 20, 12, tzinfo=zoneinfo.ZoneInfo("UTC"))):
        client.force_login(pro.user)
        response = client.post(reverse("professionals:time_off_add"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_time_off_already_over_is_refused(client, pro):
    client.force_login(pro.user)
    yesterday = timezone.localdate() - timedelta(days=2)
    response = client.post(reverse("professionals:time_off_add"), {"off-date": yesterday})
    assert response.status_code == 400
    assert "This time off is over." in response.content.decode()


def test_another_professionals_time_off_is_a_404_and_stays(client, pro, other_professional):
    theirs = AvailabilityException.objects.create(
        professional=other_professional, kind="off", date=next_monday(), label="Their secret"
    )
    client.force_login(pro.user)
    response = client.post(reverse("professionals:exception_remove", args=[theirs.code]))
    assert response.status_code == 404
    assert AvailabilityException.objects.filter(pk=theirs.pk).exists()
    page = client.get(reverse("professionals:availability") + f"?added={theirs.code}")
    assert "Their secret" not in page.content.decode()
    assert "These sessions fall" not in page.content.decode()
    # A client has no availability page, and removes nothing.
    client.force_login(UserFactory())
    assert client.get(reverse("professionals:availability")).status_code == 404
    assert (
        client.post(reverse("professionals:exception_remove", args=[theirs.code])).status_code
        == 404
    )
    # Their own goes.
    client.force_login(other_professional.user)
    client.post(reverse("professionals:exception_remove", args=[theirs.code]))
    assert not AvailabilityException.objects.exists()


def test_calendar_rules_are_saved_and_bad_ones_change_nothing(client, pro):
    client.force_login(pro.user)
    url = reverse("professionals:calendar_rules")
    version = pro.calendar_version
    response = client.post(
        url,
        {
            "rules-bookable_days": "60",
            "rules-min_notice_hours": "24",
            "rules-buffer_minutes": "15",
            "rules-slot_interval_minutes": "60",
        },
    )
    assert response.status_code == 302
    pro = Professional.objects.get(pk=pro.pk)
    assert (pro.bookable_days, pro.min_notice_hours, pro.buffer_minutes) == (60, 24, 15)
    assert pro.slot_interval_minutes == 60 and pro.calendar_version == version + 1
    for bad, words in (
        ({"rules-bookable_days": "0"}, "Choose between 1 and 732 days"),
        ({"rules-bookable_days": "99999"}, "Choose between 1 and 732 days"),
        ({"rules-min_notice_hours": "-1"}, "greater than or equal to 0"),
        ({"rules-min_notice_hours": "721"}, "Choose between 0 and 720 hours"),
        ({"rules-slot_interval_minutes": "7"}, "Select a valid choice."),
        ({"rules-buffer_minutes": "x"}, "Select a valid choice."),
    ):
        data = {
            "rules-bookable_days": "",
            "rules-min_notice_hours": "12",
            "rules-buffer_minutes": "0",
            "rules-slot_interval_minutes": "30",
            **bad,
        }
        response = client.post(url, data)
        assert response.status_code == 400 and words in response.content.decode(), bad
    assert Professional.objects.get(pk=pro.pk).bookable_days == 60
    # Empty: no limit.
    client.post(
        url,
        {
            "rules-bookable_days": "",
            "rules-min_notice_hours": "0",
            "rules-buffer_minutes": "0",
            "rules-slot_interval_minutes": "15",
        },
    )
    assert Professional.objects.get(pk=pro.pk).bookable_days is None


def test_the_page_in_icelandic(client, pro):
    AvailabilityException.objects.create(
        professional=pro, kind="off", date=next_monday(), repeats_weekly=True
    )
    client.force_login(pro.user)
    pro.user.language = "is"
    pro.user.save()
    body = client.get(reverse("professionals:availability"), HTTP_ACCEPT_LANGUAGE="is")
    text = body.content.decode()
    for words in ("Dagatalsreglur", "Bæta við fríi", "allan daginn"):
        assert words in text
    assert "Á 30 mínútna fresti" in text and "vikulega" in text


def test_the_week_shows_time_off_between_sessions(client, pro, kind, alice):
    monday = next_monday()
    BookingFactory(session_type=kind, client=alice, starts_at=local(monday, 8))
    BookingFactory(session_type=kind, client=alice, starts_at=local(monday, 15))
    AvailabilityException.objects.create(
        professional=pro, kind="off", date=monday, starts=time(12), ends=time(13, 30), label="Lunch"
    )
    AvailabilityException.objects.create(
        professional=pro,
        kind="off",
        date=monday + timedelta(days=2),
        ends_on=monday + timedelta(days=3),
        label="Conference",
    )
    client.force_login(pro.user)
    response = client.get(reverse("dashboard:practice_week") + f"?week={monday.isoformat()}")
    week = response.context["week"]
    monday_rows = [row.html for row in week[0].bookings]
    assert len(monday_rows) == 3 and "Lunch" in monday_rows[1] and "12:00–13:30" in monday_rows[1]
    assert (week[0].sessions, week[0].time_off) == (2, 1)
    for day in (week[2], week[3]):
        [row] = day.bookings
        assert "Whole day" in row.html and "Conference" in row.html
        assert day.sessions == 0
    body = response.content.decode()
    assert 'class="pro-block"' in body
    assert reverse("professionals:availability") + "#time-off" in body


def test_the_page_and_the_week_keep_their_queries_with_5000_sessions(
    client, pro, kind, alice, django_assert_max_num_queries
):
    monday = next_monday()
    for i in range(5):
        AvailabilityException.objects.create(
            professional=pro,
            kind="off",
            date=monday + timedelta(days=i),
            starts=time(12),
            ends=time(13),
        )
    AvailabilityException.objects.create(
        professional=pro, kind="off", date=monday, repeats_weekly=True, starts=time(7), ends=time(8)
    )
    client.force_login(pro.user)
    week = reverse("dashboard:practice_week") + f"?week={monday.isoformat()}"
    page = reverse("professionals:availability")
    added = AvailabilityException.objects.filter(repeats_weekly=True).get()
    counts = {}
    for sessions in (1, 5000):
        # In UTC: an hour added to a New York time is a wall-clock hour.
        start = local(monday, 0).astimezone(zoneinfo.ZoneInfo("UTC")) - timedelta(days=30)
        Booking.objects.bulk_create(
            Booking(
                professional=pro,
                client=alice,
                session_type=kind,
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i, minutes=50),
                price_amount=1,
                currency="ISK",
            )
            for i in range(sessions)
        )
        # (With the open requests' count in the practice's navigation.)
        for url, budget in ((page, 7), (page + f"?added={added.code}", 8), (week, 7)):
            with django_assert_max_num_queries(budget) as context:
                assert client.get(url).status_code == 200
            counts[(url, sessions)] = len(context.captured_queries)
        Booking.objects.filter(professional=pro).delete()
    for url in (page, page + f"?added={added.code}", week):
        assert counts[(url, 1)] == counts[(url, 5000)]
