"""Month and week grids for the calendar page, in the viewer's time zone."""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from tengja.bookings.models import Booking


@dataclass
class Day:
    date: date
    in_month: bool
    is_today: bool
    bookings: list[Booking] = field(default_factory=list)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def month_weeks(year: int, month: int, today: date) -> list[list[Day]]:
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[Day(d, d.month == month, d == today) for d in week] for week in weeks]


def week_days(start: date, today: date) -> list[Day]:
    return [
        Day(start + timedelta(days=i), True, start + timedelta(days=i) == today) for i in range(7)
    ]


def place(bookings: list[Booking], days: list[Day]) -> None:
    """Put each booking on the day it starts, in the active time zone."""
    by_date = {day.date: day for day in days}
    for booking in bookings:
        day = by_date.get(timezone.localtime(booking.starts_at).date())
        if day is not None:
            day.bookings.append(booking)
