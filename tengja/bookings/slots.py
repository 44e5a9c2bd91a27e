"""Free slots: weekly availability (in the professional's own zone) and its
extra hours, minus booked sessions (with the professional's buffer around each)
and time off, under the professional's calendar rules: starting every 15, 30 or
60 minutes from a window's start, after their minimum notice, within their
bookable period. Clock changes are honoured: a window is read in local time on
each date, so 09:00 stays 09:00 when the offset changes, and times a clock
change skips are left out.

Computing the slots of many professionals over weeks takes three queries.
"""

import bisect
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Max, Q, Window
from django.db.models.functions import FirstValue, Lead
from django.utils import timezone

from tengja.bookings.models import BOOKING_HORIZON, Booking
from tengja.professionals.models import (
    MAX_BOOKABLE_DAYS,
    AvailabilityException,
    Professional,
    WeeklyAvailability,
)
from tengja.professionals.selectors import time_off_touching

# The notice a professional has until they choose theirs (Professional.min_notice).
MIN_NOTICE = timedelta(hours=settings.SLOT_MIN_NOTICE_HOURS)


@dataclass(frozen=True)
class Slot:
    professional_id: int
    starts_at: datetime
    ends_at: datetime


def _local(day: date, moment: time, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The instant a local date and time names, or None if the clock skips it."""
    candidate = datetime.combine(day, moment, tzinfo=zone)
    round_trip = candidate.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        return None
    return candidate


# With `first_only`, the bookings are read a window at a time, and only for those
# still without a free time: most are free within days, so weeks of bookings are
# rarely read. At most this many windows (one query each), however many people.
FIRST_ONLY_WINDOWS = (3, 7)  # days; the rest of the range is the last window


def free_slots(
    *,
    professionals: Iterable[Professional],
    duration: timedelta | dict[int, timedelta],
    start: date,
    days: int,
    now: datetime | None = None,
    first_only: bool = False,
    ignore: Booking | None = None,
) -> dict[int, list[Slot]]:
    """Free slots per professional id, starting at each one's interval from the
    start of their hours (on the hour and half hour by default).

    `duration` is one length for all, or a length per professional id (their
    offered session type's). With `first_only`, stop at each one's first free day
    (the browse page only shows the next free time). `ignore` is a session being
    moved: its own time does not count as taken."""
    now = now or timezone.now()
    pros = {p.pk: p for p in professionals}
    if not pros:
        return {}
    # The hours as values, not objects: a week of windows for each of 50 people.
    weekly = defaultdict(list)
    for pro_id, weekday, opens, closes in WeeklyAvailability.objects.filter(
        professional_id__in=pros
    ).values_list("professional_id", "weekday", "starts", "ends"):
        weekly[(pro_id, weekday)].append((opens, closes))
    extra: dict[tuple[int, date], list] = defaultdict(list)
    off: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    end = start + timedelta(days=days)
    # Extra hours on the days asked; time off that may reach them (a day either
    # side: a local date is not a UTC one), once or weekly.
    near, after = start - timedelta(days=1), end + timedelta(days=1)
    for exception in AvailabilityException.objects.filter(
        Q(kind=AvailabilityException.Kind.EXTRA, date__gte=start, date__lt=end)
        | time_off_touching(near, after),
        professional_id__in=pros,
    ).only(*OFF_FIELDS):
        pro_id = exception.professional_id
        if exception.kind == AvailabilityException.Kind.OFF:
            zone = zoneinfo.ZoneInfo(pros[pro_id].user.time_zone)
            off[pro_id].extend(exception.occurrences(zone, near, after))
        elif exception.starts and exception.ends:
            extra[(pro_id, exception.date)].append((exception.starts, exception.ends))
    hours = (weekly, extra, off)
    if not first_only:
        return _slots(pros, duration, start, days, now, hours, ignore, first_only=False)
    result: dict[int, list[Slot]] = {}
    offset = 0
    for size in (*FIRST_ONLY_WINDOWS, days):
        size = min(size, days - offset)
        if size <= 0 or not pros:
            break
        day = start + timedelta(days=offset)
        found = _slots(pros, duration, day, size, now, hours, ignore, first_only=True)
        result.update(found)
        pros = {pk: pro for pk, pro in pros.items() if not found[pk]}
        offset += size
    return result


OFF_FIELDS = (
    *("professional_id", "kind", "date", "starts", "ends"),
    *("ends_on", "repeats_weekly", "repeat_until"),
)


def _slots(pros, duration, start, days, now, hours, ignore, *, first_only) -> dict[int, list[Slot]]:
    """The free slots of `pros` on `days` days from `start`: one query, for the
    bookings in that range."""
    weekly, extra, off = hours
    end = start + timedelta(days=days)
    range_start = datetime.combine(start, time.min, tzinfo=UTC) - timedelta(days=1)
    range_end = datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1)
    shortest = min(duration.values()) if isinstance(duration, dict) else duration
    busy = _busy(pros, range_start, range_end, shortest, ignore)

    result: dict[int, list[Slot]] = {}
    for pro_id, pro in pros.items():
        zone = zoneinfo.ZoneInfo(pro.user.time_zone)  # select_related("user")
        length = duration[pro_id] if isinstance(duration, dict) else duration
        step = pro.slot_interval
        earliest = now + pro.min_notice
        # The bookable period ends with a local date, so a clock change moves it not.
        last_day = timezone.localtime(now, zone).date() + timedelta(
            days=pro.bookable_days if pro.bookable_days is not None else MAX_BOOKABLE_DAYS
        )
        # Sessions with the buffer either side, and time off, sorted by start,
        # with the latest end so far: a slot is taken if any of them starting
        # before it ends, ends after it starts (a bisection, not a scan).
        taken_times = sorted(
            [(b_start - pro.buffer, b_end + pro.buffer) for b_start, b_end in busy[pro_id]]
            + off[pro_id]
        )
        busy_starts = [b_start for b_start, _ in taken_times]
        busy_ends: list[datetime] = []
        for _, b_end in taken_times:
            busy_ends.append(max(b_end, busy_ends[-1]) if busy_ends else b_end)
        slots: list[Slot] = []
        resume = start  # no start before this day is free (see the step past below)
        for offset in range(days):
            if first_only and slots:
                break  # the days run in order: the first free day is found
            day = start + timedelta(days=offset)
            if day > last_day:
                break
            if day < resume:
                continue
            for window_start, window_end in weekly[(pro_id, day.weekday())] + extra[(pro_id, day)]:
                closes = _local(day, window_end, zone)
                if closes is None:
                    continue
                closes_utc = closes.astimezone(UTC)
                # Step in local wall time (a slot never starts at 09:17 after a clock
                # change) but measure in real time: 60 minutes stay 60 minutes across it.
                opens = datetime.combine(day, window_start)
                wall = opens
                while wall.time() < window_end and wall.date() == day:
                    local = _local(day, wall.time(), zone)
                    wall += step
                    if local is None:
                        continue  # a time the clock skips
                    slot_start = local.astimezone(UTC)
                    slot_end = slot_start + length
                    if slot_end > closes_utc:
                        break
                    before = bisect.bisect_left(busy_starts, slot_end)
                    taken = before > 0 and busy_ends[before - 1] > slot_start
                    if slot_start >= earliest and not taken:
                        slots.append(Slot(pro_id, slot_start, slot_end))
                        continue
                    # Not free until the session ends (every later start before its
                    # end overlaps it too) or the notice has passed: step past that
                    # at once, rather than a half hour at a time through days booked
                    # solid, and skip the days before it.
                    until = max(busy_ends[before - 1] if taken else earliest, earliest)
                    local_until = until.astimezone(zone)
                    wall = max(wall, _next_step(opens, local_until, step))
                    resume = max(resume, local_until.date())
        result[pro_id] = sorted(set(slots), key=lambda s: s.starts_at)
    return result


def _next_step(opens: datetime, moment: datetime, step: timedelta) -> datetime:
    """The first wall time on the window's steps (from `opens`, naive) at or
    after the local `moment`."""
    behind = moment.replace(tzinfo=None) - opens
    return opens + step * -(-behind // step)


def _busy(pros, range_start, range_end, shortest, ignore) -> dict[int, list[tuple]]:
    """The times each professional is taken within the range, sorted: their
    confirmed sessions, joined where the gap between them is shorter than
    `shortest` (no slot of that length or longer fits in it, so the slots are the
    same). Days booked solid are one row rather than one per session: the
    database joins them (window functions), so few rows are read and made into
    objects however many sessions there are."""
    booked = Booking.objects.filter(
        professional_id__in=pros,
        status=Booking.Status.CONFIRMED,
        starts_at__lt=range_end,
        ends_at__gt=range_start,
    )
    if ignore is not None:
        booked = booked.exclude(pk=ignore.pk)
    # One window, in one pass of the database over the sessions in order: the first
    # start, the latest end so far (sessions of the same times end alike) and the
    # next start. Only each run's last session is read: its run ends at the latest
    # end so far, and the next run begins at the next start.
    pro, order = [F("professional_id")], [F("starts_at"), F("ends_at")]
    runs = booked.annotate(
        first=Window(FirstValue("starts_at"), pro, order),
        upto=Window(Max("ends_at"), pro, order),
        after=Window(Lead("starts_at"), pro, order),
    ).filter(Q(after__isnull=True) | Q(after__gte=F("upto") + shortest))
    busy: dict[int, list[tuple]] = defaultdict(list)
    began: dict[int, datetime] = {}
    for pro_id, first, upto, after in runs.order_by(
        "professional_id", "starts_at", "ends_at"
    ).values_list("professional_id", "first", "upto", "after"):
        busy[pro_id].append((began.get(pro_id, first), upto))
        began[pro_id] = after
    return busy


def free_slots_to_move_to(
    *, booking: Booking, start: date, days: int, now: datetime | None = None
) -> list[Slot]:
    """The times a client may move their session to: the professional's free slots
    of the session's own length (its own time not counting as taken, so the half
    hours next to it are offered), except its current time and any time that
    overlaps another of the client's sessions, with this professional or another.
    Four queries, however many sessions there are."""
    length = booking.ends_at - booking.starts_at
    slots = free_slots(
        professionals=[booking.professional],
        duration=length,
        start=start,
        days=days,
        now=now,
        ignore=booking,
    ).get(booking.professional_id, [])
    if not slots:
        return []
    others = Booking.objects.none() if booking.client_id is None else Booking.objects
    own = sorted(
        others.filter(
            client_id=booking.client_id,
            status=Booking.Status.CONFIRMED,
            starts_at__lt=slots[-1].ends_at,
            ends_at__gt=slots[0].starts_at,
        )
        .exclude(pk=booking.pk)
        .values_list("starts_at", "ends_at")
    )
    own_starts = [own_start for own_start, _ in own]
    own_ends: list[datetime] = []
    for _, own_end in own:
        own_ends.append(max(own_end, own_ends[-1]) if own_ends else own_end)
    free = []
    for slot in slots:
        before = bisect.bisect_left(own_starts, slot.ends_at)
        clashes = before > 0 and own_ends[before - 1] > slot.starts_at
        if slot.starts_at != booking.starts_at and not clashes:
            free.append(slot)
    return free


def free_to_move_to(*, booking: Booking, starts_at: datetime, now: datetime | None = None) -> bool:
    """Whether `starts_at` is one of the times free_slots_to_move_to offers (looked
    up on that day alone, in the professional's zone, as the page groups them)."""
    now = now or timezone.now()
    if not now < starts_at <= now + BOOKING_HORIZON:
        return False  # nothing is offered there (and year 9999 stays out of date sums)
    zone = zoneinfo.ZoneInfo(booking.professional.user.time_zone)
    day = timezone.localtime(starts_at, zone).date()
    offered = free_slots_to_move_to(booking=booking, start=day, days=1, now=now)
    return starts_at in {slot.starts_at for slot in offered}
