"""What each person may see of the wellbeing index and the alliance score.

A member sees their own answers; a professional sees a member's index only
while the member shares it with them, and of ratings only their own average
over at least HUB_REPORTING_MIN_GROUP raters; HR sees aggregates of the hub's
ended months (cut in the hub's zone as hub_usage cuts them), each only when at
least HUB_REPORTING_MIN_GROUP distinct respondents stand behind it."""

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, Max, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.bookings.selectors import sessions_together
from tengja.hubs.models import CreditEntry, Hub, Membership
from tengja.lib.dates import add_months
from tengja.measures.selectors import CHART_POINTS, Series
from tengja.professionals.models import Professional
from tengja.wellbeing.instruments import BAND_LOWEST, BANDS, band, percentage
from tengja.wellbeing.models import Checkin, Rating, Respondent, Share

# A session may be rated for this long after it ended; older ones stop asking.
RATE_DAYS = 30
REPORT_MONTHS = 12


def who5_due_at(*, hub: Hub, respondent: Respondent | None, last: datetime | None = None):
    """When the member is next asked (a moment; now or earlier means due), or
    None when the hub does not ask. `last` saves the query when known."""
    if not hub.wellbeing_every_weeks:
        return None
    if last is None and respondent is not None and respondent.pk:
        last = respondent.checkins.aggregate(last=Max("answered_at"))["last"]
    if last is None:
        return datetime.min.replace(tzinfo=UTC)
    return last + timedelta(weeks=hub.wellbeing_every_weeks)


def who5_due(
    *, user: User, memberships: list[Membership] | None = None, now: datetime | None = None
) -> list[Membership]:
    """The user's active memberships whose hub asks for the WHO-5 now: one query,
    and one more for the memberships unless given (with their hubs, as Home has them)."""
    now = now or timezone.now()
    if memberships is None:
        memberships = list(
            Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).select_related(
                "hub"
            )
        )
    memberships = [m for m in memberships if m.is_active and m.hub.wellbeing_every_weeks]
    if not memberships:
        return []
    last = dict(
        Checkin.objects.filter(respondent__user=user)
        .order_by()
        .values_list("respondent__hub_id")
        .annotate(last=Max("answered_at"))
    )
    return [
        m
        for m in memberships
        if (due := who5_due_at(hub=m.hub, respondent=None, last=last.get(m.hub_id))) is not None
        and due <= now
    ]


def ratings_due(*, user: User, now: datetime | None = None) -> list[Booking]:
    """The user's hub sessions that ended in the last RATE_DAYS days, paid with
    the credits of a hub they are still an active member of, and neither rated
    nor put aside (one query)."""
    now = now or timezone.now()
    of_active_membership = CreditEntry.objects.filter(
        booking=OuterRef("pk"),
        kind=CreditEntry.Kind.SPEND,
        membership__user=user,
        membership__status=Membership.Status.ACTIVE,
    )
    return list(
        Booking.objects.filter(
            Exists(of_active_membership),
            client=user,
            paid_with=Booking.PaidWith.CREDITS,
            status=Booking.Status.CONFIRMED,
            ends_at__lte=now,
            ends_at__gt=now - timedelta(days=RATE_DAYS),
            wellbeing_rating__isnull=True,
        )
        .select_related("professional__user")
        .order_by("ends_at")[:10]
    )


def booking_to_rate(*, user: User, code: str, now: datetime | None = None) -> tuple[Booking, Hub]:
    """The user's own session paid with hub credits, and its hub; 404 for
    anyone else's session, one not paid with a hub's credits, and one of a hub
    the user is no longer an active member of."""
    entry = (
        CreditEntry.objects.filter(
            booking__code=code,
            booking__client=user,
            kind=CreditEntry.Kind.SPEND,
            membership__user=user,
            membership__status=Membership.Status.ACTIVE,
        )
        .select_related("booking__professional__user", "membership__hub")
        .first()
    )
    if entry is None or entry.booking is None:
        raise Http404
    return entry.booking, entry.membership.hub


def rating_refusal(booking: Booking, now: datetime | None = None) -> str:
    """Why the session cannot be rated now, or ""."""
    if booking.status != Booking.Status.CONFIRMED or not booking.paid_with_credits:
        return _("Only a session that took place with your hub's credits can be rated.")
    if not booking.is_past(now):
        return _("You can rate the session once it has ended.")
    if booking.ends_at <= (now or timezone.now()) - timedelta(days=RATE_DAYS):
        return _("This session ended too long ago to be rated.")
    if Rating.objects.filter(booking=booking).exists():
        return _("You have already rated this session.")
    return ""


def hubs_answered(*, user: User) -> list[Hub]:
    """The hubs where the user has answered the WHO-5 (one query): their answers
    and whom they share them with stay theirs to see after they leave the hub or
    it stops asking."""
    return list(
        Hub.objects.filter(respondents__user=user, respondents__checkins__isnull=False)
        .distinct()
        .order_by("name", "pk")
    )


def member_checkins(*, user: User, hub: Hub | None = None) -> list[Checkin]:
    """The member's latest CHART_POINTS answers, oldest first (in one hub, or all)."""
    found = Checkin.objects.filter(respondent__user=user)
    if hub is not None:
        found = found.filter(respondent__hub=hub)
    return list(found.order_by("-answered_at", "-pk")[:CHART_POINTS])[::-1]


def who5_series(checkins: list[Checkin]) -> Series | None:
    """The answers as measures' chart draws them: percentages, with the bands'
    lower edges as lines."""
    if not checkins:
        return None
    return Series(
        name="WHO-5",
        max_total=100,
        points=checkins,  # type: ignore[arg-type]  # Checkin has `total` (percentage)
        bands=[(percentage(lowest), name) for lowest, name in BAND_LOWEST],
    )


def shares_of_member(*, user: User) -> list[tuple[Professional, bool]]:
    """The professionals the member has sessions with, and whether each sees the
    member's index (two queries)."""
    ids = Booking.objects.filter(client=user).filter(sessions_together()).values("professional_id")
    professionals = list(
        Professional.objects.filter(pk__in=ids).select_related("user").order_by("user__name", "pk")
    )
    shared = set(Share.objects.filter(user=user).values_list("professional_id", flat=True))
    return [(p, p.pk in shared) for p in professionals]


def shared_with(*, professional: Professional, client: User) -> list[Checkin]:
    """The client's answers, if the client shares them with this professional;
    else nothing (one query: the share is joined, at most one row per answer)."""
    found = Checkin.objects.filter(
        respondent__user=client, respondent__user__wellbeing_shares__professional=professional
    )
    return list(found.order_by("-answered_at", "-pk")[:CHART_POINTS])[::-1]


def _shown(value, people: int, group: int):
    """A figure, or None when fewer than `group` distinct people stand behind it."""
    return value if people >= group else None


def _bands_of(raws: list[int]) -> dict[str, int]:
    """Whole percentages of respondents in each band (summing to about 100)."""
    counts = dict.fromkeys(BANDS, 0)
    for raw in raws:
        counts[band(raw)] += 1
    total = len(raws) or 1
    return {name: round(100 * count / total) for name, count in counts.items()}


def hub_wellbeing(*, hub: Hub, now: datetime | None = None) -> dict:
    """HR's figures: per ended month (the last REPORT_MONTHS, cut in the hub's
    zone as hub_usage cuts them) and for all ended months together, the share of
    respondents in each band (each respondent's latest answer in the period
    counts once), the mean change from first to last answer of those who
    answered at least twice (all ended months), and the average alliance score.
    Each figure only when at least HUB_REPORTING_MIN_GROUP distinct respondents
    stand behind it; nothing of the current month.

    The all-time figures take in only months that each met the minimum for that
    figure on their own: the bands and the change only answers of months with at
    least HUB_REPORTING_MIN_GROUP respondents, the alliance only ratings of
    months with at least that many raters. So what a month adds to all-time is
    always a group HR could also see month by month; a month hidden for having
    too few people never moves all-time (else HR could difference all-time at
    the month's end and read off what those few answered).

    Two queries, however many answers (the answers of ended months are read as
    three small numbers each)."""
    group = settings.HUB_REPORTING_MIN_GROUP
    this_month = hub.month_start(now)
    first = add_months(this_month.date(), -REPORT_MONTHS)
    firsts = [add_months(first, index) for index in range(REPORT_MONTHS + 1)]
    bounds = [hub.month_boundary(day) for day in firsts]

    def month_of(moment: datetime) -> date:
        """The first day of the hub's month the moment falls in."""
        index = bisect_right(bounds, moment) - 1
        if index >= 0:
            return firsts[index]
        return hub.month_start(moment).date()  # older than the report: rare

    rows = (
        Checkin.objects.filter(respondent__hub=hub, answered_at__lt=bounds[-1])
        .order_by("answered_at", "pk")
        .values_list("respondent_id", "answered_at", "raw")
    )
    # Per month (first day): each respondent's answers of that month, in order.
    answers: dict[date, dict[int, list[int]]] = {}
    for respondent, answered_at, raw in rows.iterator(2000):
        answers.setdefault(month_of(answered_at), {}).setdefault(respondent, []).append(raw)
    # Only months with at least `group` respondents count into all-time.
    latest_all: dict[int, int] = {}
    first_all: dict[int, int] = {}
    count_all: dict[int, int] = {}
    for month in sorted(answers):
        if len(answers[month]) < group:
            continue
        for respondent, raws in answers[month].items():
            first_all.setdefault(respondent, raws[0])
            latest_all[respondent] = raws[-1]
            count_all[respondent] = count_all.get(respondent, 0) + len(raws)
    # Alliance: the mean and who stands behind it, per month and for all.
    ratings = (
        Rating.objects.filter(respondent__hub=hub, score__isnull=False, rated_at__lt=bounds[-1])
        .order_by()
        .values_list("respondent_id", "rated_at", "score")
    )
    rated: dict[date, list[tuple[int, Decimal]]] = {}
    for respondent, rated_at, score in ratings.iterator(2000):
        if score is None:  # excluded above; for the type
            continue
        rated.setdefault(month_of(rated_at), []).append((respondent, score))

    def alliance(pairs: list[tuple[int, Decimal]]) -> Decimal | None:
        people = len({r for r, _ in pairs})
        if not pairs or people < group:
            return None
        mean = sum(s for _, s in pairs) / len(pairs)
        return Decimal(mean).quantize(Decimal("0.1"))

    alliance_all = [
        pair for pairs in rated.values() if len({r for r, _ in pairs}) >= group for pair in pairs
    ]
    months = []
    for day in firsts[:-1]:
        raws = [of_one[-1] for of_one in answers.get(day, {}).values()]
        months.append(
            {
                "month": day,
                "bands": _shown(_bands_of(raws), len(raws), group),
                "alliance": alliance(rated.get(day, [])),
            }
        )
    repeaters = [r for r, n in count_all.items() if n >= 2]
    change = None
    if len(repeaters) >= group:
        mean = sum(percentage(latest_all[r] - first_all[r]) for r in repeaters) / len(repeaters)
        change = round(mean, 1)
    return {
        "min_group": group,
        "months": months,
        "all": {
            "bands": _shown(_bands_of(list(latest_all.values())), len(latest_all), group),
            "alliance": alliance(alliance_all),
            "change": change,
        },
        "chart": _chart(months),
        "any": any(m["bands"] or m["alliance"] for m in months) or change is not None,
    }


def _chart(months: list[dict]) -> dict:
    """Stacked bars (Poor, Moderate, Good shares) per month, for an SVG 600 by 200."""
    width, height, gap, top = 600, 160, 6, 10
    step = width / len(months)
    bars = []
    for index, month in enumerate(months):
        parts = []
        y = top + height
        for name in BANDS:
            share = (month["bands"] or {}).get(name, 0)
            h = round(share / 100 * height)
            y -= h
            parts.append({"band": name, "y": y, "height": h})
        bars.append(
            {
                "x": round(index * step + gap / 2, 1),
                "width": round(step - gap, 1),
                "label_x": round(index * step + step / 2, 1),
                "month": month["month"],
                "hidden": month["bands"] is None,
                "parts": parts,
            }
        )
    return {"bars": bars, "baseline": top + height}


# Kept a minute for the hub's HR team, like hub_usage_kept: ended months only,
# each figure already hidden when too few stand behind it.
KEPT_SECONDS = 60


def hub_wellbeing_kept(*, hub: Hub) -> dict:
    group = settings.HUB_REPORTING_MIN_GROUP
    key = f"hub-wellbeing:{hub.pk}:{hub.month_start().timestamp():.0f}:{group}"
    figures = cache.get(key)
    if figures is None:
        figures = hub_wellbeing(hub=hub)
        cache.set(key, figures, KEPT_SECONDS)
    return figures


def professional_alliance(*, professional: Professional, now: datetime | None = None) -> dict:
    """The professional's own average alliance score over months that have ended
    (UTC months: one cut for every hub they work in), never who gave what (one
    query). Only months with at least HUB_REPORTING_MIN_GROUP distinct raters
    count into it (and shown only when at least that many stand behind it all):
    else the average would move at a month's end by what one client rated that
    month. Raters are distinct people: one member of two hubs counts once, and
    each respondent whose account is gone as one."""
    group = settings.HUB_REPORTING_MIN_GROUP
    now = now or timezone.now()
    month_start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Rating.objects.filter(
            professional=professional, score__isnull=False, rated_at__lt=month_start
        )
        .order_by()
        .values_list("respondent__user_id", "respondent_id", "rated_at", "score")
    )
    by_month: dict[tuple[int, int], list[tuple[object, Decimal]]] = {}
    for user_id, respondent_id, rated_at, score in rows.iterator(2000):
        if score is None:  # excluded above; for the type
            continue
        person = user_id if user_id is not None else ("erased", respondent_id)
        at = rated_at.astimezone(UTC)
        by_month.setdefault((at.year, at.month), []).append((person, score))
    counted = [
        pair
        for pairs in by_month.values()
        if len({person for person, _ in pairs}) >= group
        for pair in pairs
    ]
    shown = bool(counted) and len({person for person, _ in counted}) >= group
    mean = sum(score for _, score in counted) / len(counted) if shown else None
    return {
        "min_group": group,
        "mean": Decimal(mean).quantize(Decimal("0.1")) if mean is not None else None,
        "until": month_start.date(),
    }
