from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django import template
from django.utils import timezone

register = template.Library()


class LastDay(NamedTuple):
    day: date
    # True when the moment is midnight in the viewer's zone: the day before is the
    # last whole day ("at the end of"), not the day the moment falls on.
    at_end: bool


@register.simple_tag
def last_day(moment: datetime) -> LastDay:
    """The day, in the viewer's zone, on which something that ends at `moment`
    (credits expiring) can last be used: a date is enough, without the minute,
    but a midnight end is the end of the day before, not the day it opens."""
    local = timezone.localtime(moment)
    if local.time() == time(0, 0):
        return LastDay((local - timedelta(days=1)).date(), at_end=True)
    return LastDay(local.date(), at_end=False)
