import calendar
from datetime import date
from typing import TypeVar

Moment = TypeVar("Moment", bound=date)  # a date or a datetime


def add_months(moment: Moment, months: int) -> Moment:
    """The same day and time `months` later; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
