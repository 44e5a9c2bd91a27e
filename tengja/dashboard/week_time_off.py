"""The professional's time off on their week: a row on each day it covers, placed
between the sessions by its start (calendar.place), kept apart from the
session rows (dashboard.selectors.SessionRow) so that each changes alone."""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from tengja.dashboard.calendar import local_midnight
from tengja.professionals.models import Professional
from tengja.professionals.selectors import time_off_touching

# Time off in a day of the week: its hours (or "Whole day") and its private label,
# a link to where it is changed. Not a session: no state, no client.
TIME_OFF_ROW = (
    '<a class="pro-block" href="{}"><span class="pro-block__time">{}</span> '
    '<span class="pro-block__what">{}</span></a>'
)


@dataclass(slots=True)
class TimeOffRow:
    starts_at: datetime  # the day it is placed on, and its place among the sessions
    html: str
    is_time_off: bool = True


def week_time_off(*, professional: Professional, first: date, days: int = 7) -> list[TimeOffRow]:
    """The professional's time off on `days` days from `first`, in the active time
    zone: one row for each day a time off touches; one query."""
    last = first + timedelta(days=days - 1)
    zone = zoneinfo.ZoneInfo(professional.user.time_zone)
    href = reverse("professionals:availability") + "#time-off"
    bounds = [local_midnight(first + timedelta(days=i)) for i in range(days + 1)]
    rows = []
    # A day either side of the week's: the zone the time off is in may not be the viewer's.
    near, after = first - timedelta(days=1), last + timedelta(days=1)
    for time_off in professional.availability_exceptions.filter(time_off_touching(near, after)):
        what = " · ".join(filter(None, [gettext("Time off"), time_off.label]))
        for starts_at, ends_at in time_off.occurrences(zone, near, after):
            for day_start, day_end in pairwise(bounds):
                if not (starts_at < day_end and ends_at > day_start):
                    continue
                begins, stops = max(starts_at, day_start), min(ends_at, day_end)
                if (begins, stops) == (day_start, day_end):
                    when = gettext("Whole day")
                else:
                    when = "{}–{}".format(
                        _hhmm(begins), "24:00" if stops == day_end else _hhmm(stops)
                    )
                rows.append(TimeOffRow(begins, format_html(TIME_OFF_ROW, href, when, what)))
    return sorted(rows, key=lambda row: row.starts_at)


def _hhmm(moment: datetime) -> str:
    return formats.time_format(timezone.localtime(moment).time())
