"""Month and week grids for the calendar page, in the viewer's time zone."""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from django.utils import timezone


class Placed(Protocol):
    """A session as a day holds it: a Booking, or a row of the professional's
    week (dashboard.selectors.SessionRow)."""

    @property
    def starts_at(self) -> datetime: ...


@dataclass
class Day:
    date: date
    in_month: bool
    is_today: bool
    bookings: list[Any] = field(default_factory=list)
    more: int = 0  # the day's sessions not shown (see `place`)
    time_off: int = 0  # how many of `bookings` are time off (the professional's week)

    @property
    def sessions(self) -> int:
        return len(self.bookings) - self.time_off


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def month_weeks(year: int, month: int, today: date) -> list[list[Day]]:
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[Day(d, d.month == month, d == today) for d in week] for week in weeks]


def week_days(start: date, today: date) -> list[Day]:
    return [
        Day(start + timedelta(days=i), True, start + timedelta(days=i) == today) for i in range(7)
    ]


def place(bookings: Sequence[Placed], days: list[Day], per_day: int | None = None) -> None:
    """Put each booking on the day it starts, in the active time zone, at most
    `per_day` a day; each day says how many more it has than it shows: counted
    here, or for bookings read a few a day (`on_day`: how many the day has in
    all, see bookings_between_for_user) taken from them."""
    by_date = {day.date: day for day in days}
    for booking in bookings:
        day = by_date.get(timezone.localtime(booking.starts_at).date())
        if day is None:
            continue
        if per_day is not None and len(day.bookings) >= per_day:
            day.more += 1
            continue
        day.bookings.append(booking)
        if hasattr(booking, "on_day"):
            day.more = booking.on_day - len(day.bookings)
