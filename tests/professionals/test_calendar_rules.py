"""Time off and calendar rules in the free slots (issue 28): each rule, time off
once and weekly, across clock changes (Europe/London, America/New_York)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tengja.bookings.slots import free_slots
from tengja.professionals.models import AvailabilityException, Professional, WeeklyAvailability
from tests.factories import BookingFactory, ProfessionalFactory, SessionTypeFactory

HOUR = timedelta(hours=1)


def pro_in(zone: str, **rules) -> Professional:
    pro = ProfessionalFactory(user__time_zone=zone, **rules)
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=pro, weekday=weekday, starts=time(9), ends=time(12)
        )
    return Professional.objects.select_related("user").get(pk=pro.pk)


def starts(pro, first: date, days: int = 1, now=None, length=HOUR) -> list[datetime]:
    now = now or datetime.combine(first, time.min, tzinfo=UTC) - timedelta(days=2)
    found = free_slots(professionals=[pro], duration=length, start=first, days=days, now=now)
    return [slot.starts_at for slot in found[pro.pk]]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def on(day: date, *times: str) -> list[datetime]:
    """Times of a day, in UTC."""
    return [datetime.combine(day, time.fromisoformat(t), tzinfo=UTC) for t in times]


def test_the_defaults_are_what_tengja_offered_before_rules(db, settings):
    pro = pro_in("Atlantic/Reykjavik")
    assert (pro.min_notice_hours, pro.buffer_minutes, pro.slot_interval_minutes) == (
        settings.SLOT_MIN_NOTICE_HOURS,
        0,
        30,
    )
    assert pro.bookable_days is None
    day = date(2031, 3, 6)
    assert starts(pro, day) == on(day, "09:00", "09:30", "10:00", "10:30", "11:00")


@pytest.mark.parametrize(
    "interval, minutes",
    [(15, [0, 15, 30, 45, 60, 75, 90, 105, 120]), (30, [0, 30, 60, 90, 120]), (60, [0, 60, 120])],
)
def test_start_times_every_15_30_or_60_minutes(db, interval, minutes):
    pro = pro_in("Atlantic/Reykjavik", slot_interval_minutes=interval)
    nine = utc(2031, 3, 6, 9)
    assert starts(pro, nine.date()) == [nine + timedelta(minutes=m) for m in minutes]


def test_start_times_hourly_on_the_day_new_york_springs_forward(db):
    # 9 March 2031, 02:00 EST becomes 03:00 EDT: hours from 01:00 to 05:00 offer
    # 01:00, 03:00 and 04:00 (02:00 does not exist), each an hour of real time.
    pro = pro_in("America/New_York", slot_interval_minutes=60)
    pro.weekly_availability.all().delete()
    WeeklyAvailability.objects.create(professional=pro, weekday=6, starts=time(1), ends=time(5))
    assert starts(pro, date(2031, 3, 9)) == on(date(2031, 3, 9), "06:00", "07:00", "08:00")


def test_minimum_notice_in_hours_of_real_time_across_a_clock_change(db):
    # London falls back on Sunday 26 October 2031 (02:00 BST becomes 01:00 GMT).
    pro = pro_in("Europe/London", min_notice_hours=48)
    now = utc(2031, 10, 24, 9)  # Friday 10:00 BST
    offered = starts(pro, date(2031, 10, 26), days=2, now=now)
    assert min(offered) == utc(2031, 10, 26, 9)  # Sunday 09:00 GMT, 48 h on
    pro.min_notice_hours = 49
    assert min(starts(pro, date(2031, 10, 26), days=2, now=now)) == utc(2031, 10, 26, 10)
    pro.min_notice_hours = 0
    assert utc(2031, 10, 24, 9, 30) in starts(pro, date(2031, 10, 24), now=now)


def test_the_bookable_period_ends_with_a_local_date_across_a_clock_change(db):
    # New York falls back on Sunday 2 November 2031.
    pro = pro_in("America/New_York", bookable_days=3, min_notice_hours=0)
    now = utc(2031, 10, 31, 16)  # Friday noon EDT
    offered = starts(pro, date(2031, 10, 31), days=7, now=now)
    days = sorted({(moment - timedelta(hours=5)).date() for moment in offered})
    assert days == [date(2031, 11, 1), date(2031, 11, 2), date(2031, 11, 3)]
    assert utc(2031, 11, 3, 16) in offered  # Monday 11:00 EST, the last day
    pro.bookable_days = None
    assert len({(m - timedelta(hours=5)).date() for m in starts(pro, now.date(), 7, now)}) == 6


def test_a_buffer_keeps_time_free_around_each_session(db):
    pro = pro_in("Atlantic/Reykjavik", buffer_minutes=15, slot_interval_minutes=15)
    kind = SessionTypeFactory(professional=pro, duration_minutes=50)
    BookingFactory(session_type=kind, starts_at=utc(2031, 3, 6, 10))  # 10:00-10:50
    pro.weekly_availability.update(starts=time(8), ends=time(13))
    offered = starts(pro, date(2031, 3, 6), length=timedelta(minutes=50))
    # Ends by 09:45, starts from 11:05: on the quarter hours, 08:45 and 11:15.
    assert max(m for m in offered if m.hour < 10) == utc(2031, 3, 6, 8, 45)
    assert min(m for m in offered if m.hour >= 10) == utc(2031, 3, 6, 11, 15)
    pro.buffer_minutes = 0
    offered = starts(pro, date(2031, 3, 6), length=timedelta(minutes=50))
    assert utc(2031, 3, 6, 9, 0) in offered and utc(2031, 3, 6, 11, 0) in offered


def time_off(pro, day: date, **fields) -> AvailabilityException:
    return AvailabilityException.objects.create(professional=pro, kind="off", date=day, **fields)


def test_time_off_once_a_morning_whole_days_and_across_midnight(db):
    pro = pro_in("Atlantic/Reykjavik")
    first = date(2031, 3, 3)
    everything = starts(pro, first, days=7)
    time_off(pro, date(2031, 3, 3), starts=time(9), ends=time(10, 30))  # a morning
    time_off(pro, date(2031, 3, 4), ends_on=date(2031, 3, 5))  # two whole days
    time_off(pro, date(2031, 3, 6), starts=time(11, 30), ends_on=date(2031, 3, 7), ends=time(10))
    offered = starts(pro, first, days=7)
    assert [m for m in offered if m.day == 3] == [utc(2031, 3, 3, 10, 30), utc(2031, 3, 3, 11)]
    assert not [m for m in offered if m.day in (4, 5)]
    assert [m for m in offered if m.day == 6] == on(
        date(2031, 3, 6), "09:00", "09:30", "10:00", "10:30"
    )
    assert [m for m in offered if m.day == 7] == on(date(2031, 3, 7), "10:00", "10:30", "11:00")
    assert [m for m in offered if m.day >= 8] == [m for m in everything if m.day >= 8]


def test_weekly_time_off_keeps_its_wall_time_across_the_clock_change(db):
    # London springs forward on Sunday 30 March 2031: Friday 09:00 is 09:00 GMT
    # on 28 March, 08:00 UTC on 4 April. Every Friday 09:00-10:00 until 4 April.
    pro = pro_in("Europe/London")
    time_off(
        pro,
        date(2031, 3, 21),
        starts=time(9),
        ends=time(10),
        repeats_weekly=True,
        repeat_until=date(2031, 4, 4),
    )
    offered = set(starts(pro, date(2031, 3, 20), days=30))
    for friday, offset in ((21, 0), (28, 0)):
        assert utc(2031, 3, friday, 9 - offset) not in offered
        assert utc(2031, 3, friday, 9, 30) not in offered
        assert utc(2031, 3, friday, 10) in offered
    assert utc(2031, 4, 4, 8) not in offered and utc(2031, 4, 4, 9) in offered  # BST
    assert utc(2031, 4, 11, 8) in offered  # after repeat_until: free again
    assert utc(2031, 3, 20, 9) in offered  # Thursdays never blocked


def test_weekly_time_off_with_no_end_reaches_far_ahead(db):
    pro = pro_in("America/New_York")
    time_off(pro, date(2031, 1, 6), repeats_weekly=True)  # every Monday, whole day
    offered = starts(pro, date(2032, 11, 1), days=7)  # across New York's fall back
    assert offered and not [m for m in offered if (m - timedelta(hours=5)).weekday() == 0]
    assert {(m - timedelta(hours=5)).weekday() for m in offered} == {1, 2, 3, 4, 5, 6}


def test_slots_with_rules_and_time_off_for_50_professionals_take_three_queries(
    db, django_assert_max_num_queries
):
    pros = [
        ProfessionalFactory(buffer_minutes=10, slot_interval_minutes=15, bookable_days=20)
        for _ in range(50)
    ]
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(professional=p, weekday=d, starts=time(9), ends=time(17))
        for p in pros
        for d in range(7)
    )
    AvailabilityException.objects.bulk_create(
        AvailabilityException(
            professional=p, kind="off", date=date(2031, 3, 3), repeats_weekly=True
        )
        for p in pros
    )
    everyone = list(Professional.objects.select_related("user"))
    with django_assert_max_num_queries(3):
        found = free_slots(
            professionals=everyone,
            duration=timedelta(minutes=50),
            start=date(2031, 3, 1),
            days=28,
            now=utc(2031, 3, 1),
        )
    assert all(found.values())
    assert not any(s.starts_at.weekday() == 0 for slots in found.values() for s in slots)
    assert max(s.starts_at for s in found[pros[0].pk]).date() == date(2031, 3, 21)
