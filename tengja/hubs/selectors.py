from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.slots import Slot, free_slots
from tengja.hubs.models import CreditEntry, CreditRequest, Hub, HubProfessional, Membership
from tengja.lib.dates import add_months
from tengja.professionals.models import Professional

BROWSE_DAYS = 28


def hub_public(*, code: str) -> Hub:
    return get_object_or_404(Hub.objects.select_related("company"), code=code)


def hub_for_admin(*, user: User, code: str) -> Hub:
    """The hub, if the user is an HR admin of its company; else 404."""
    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(Hub.objects.select_related("company"), code=code, company__admins=user)


class MembershipPending(Exception):
    """The user has joined the hub but not yet confirmed their work address."""

    def __init__(self, membership: Membership) -> None:
        super().__init__(membership.email)
        self.membership = membership


def active_membership(*, user: User, code: str) -> Membership:
    """The user's active membership of the hub with this code, with its hub and
    company (one query); MembershipPending while the work address waits for
    confirmation; 404 for anyone else (removed members too) and for no such hub."""
    membership = (
        Membership.objects.filter(user=user, hub__code=code)
        .exclude(status=Membership.Status.REMOVED)
        .select_related("hub__company")
        .first()
    )
    if membership is None:
        raise Http404
    if membership.status == Membership.Status.PENDING:
        raise MembershipPending(membership)
    return membership


def period_ends(now: datetime, via: str = "") -> Max:
    """When a member's current credit period ends: the last expiry of their grants
    not yet expired; None outside a period, when no credit may be spent (see
    services.balance). `via` leads from the queried model to the ledger
    ("ledger__" from a membership)."""
    grants = Q(**{f"{via}kind": CreditEntry.Kind.GRANT, f"{via}expires_at__gt": now})
    return Max(f"{via}expires_at", filter=grants)


def hubs_of(*, user: User) -> Sequence[Membership]:
    """The user's memberships, each with the credits it may spend now (none once
    its period has ended and before the new period's grant: see services.balance)
    and when its period ends (`period_ends`, None outside a period)."""
    now = timezone.now()
    memberships = list(
        Membership.objects.filter(user=user)
        .exclude(status=Membership.Status.REMOVED)
        .select_related("hub__company")
        .annotate(credits=Sum("ledger__amount"), period_ends=period_ends(now, "ledger__"))
    )
    for membership in memberships:
        membership.credits = (membership.credits or 0) if membership.period_ends else 0
    return memberships


def hubs_administered_by(*, user: User) -> list[Hub]:
    """The hubs of the companies whose HR team the user is in."""
    return list(Hub.objects.filter(company__admins=user).select_related("company"))


def offers_for_browse(
    *, hub: Hub, specialty: str = "", language: str = "", within_days: int | None = None
) -> list[tuple[HubProfessional, Slot | None]]:
    """The hub's professionals with their next free slot; filters by specialty,
    language and how soon they are free. A fixed number of queries, however many."""
    offers = (
        HubProfessional.objects.filter(
            hub=hub,
            status=HubProfessional.Status.ACCEPTED,
            session_type__is_active=True,
            professional__is_active=True,
        )
        # What the page shows: names, titles, pictures, specialties, session types
        # (the hub is the one asked for; languages are only filtered on).
        .select_related("professional__user", "session_type")
        # A list each (the page joins the names), not a queryset made per row.
        .prefetch_related(Prefetch("professional__specialties", to_attr="specialty_list"))
        .order_by("professional__user__name")
    )
    if specialty:
        offers = offers.filter(professional__specialties__name=specialty)
    if language:
        offers = offers.filter(professional__languages__code=language)
    offered: list[HubProfessional] = list(offers.distinct() if specialty or language else offers)
    for offer in offered:
        offer.hub = hub  # for offer.credits, without joining the hub to every row
    firsts = next_free_times(offered)
    result = []
    for offer in offered:
        first = firsts[offer.professional_id]
        if within_days is not None and (
            first is None or first.starts_at > timezone.now() + timedelta(days=within_days)
        ):
            continue
        result.append((offer, first))
    return result


# Each professional's next free time is kept for a short while under a plain key,
# shared by everyone who browses (it names no client): the first visit after it
# lapses works it out, the others in that minute read it. It may lag a booking
# or a cancellation by up to this long (a change of hours, time off or calendar
# rules makes a new key: next_free_key); the offer page's free
# times (the ones a client books from) are worked out on each visit, and booking
# a time taken meanwhile is refused.
NEXT_FREE_SECONDS = 60


def next_free_key(professional: Professional, duration: timedelta) -> str:
    """The cache key of a professional's next free time for sessions this long,
    under their calendar as it is now: a change of hours, time off or rules
    (Professional.calendar_version) makes a new key, so no kept time outlives it."""
    seconds = int(duration.total_seconds())
    return f"next-free:{professional.pk}:{seconds}:{professional.calendar_version}"


def next_free_times(offers: list[HubProfessional]) -> dict[int, Slot | None]:
    """Each offered professional's next free time within BROWSE_DAYS (None when
    nothing is free), kept NEXT_FREE_SECONDS: those not kept are worked out from
    their hours and sessions in a fixed number of queries, however many."""
    # An accepted offer has its session type (hub_offer_accepted_with_a_session_type).
    duration = {o.professional_id: o.session_type.duration for o in offers if o.session_type}
    keys = {
        o.professional_id: next_free_key(o.professional, duration[o.professional_id])
        for o in offers
        if o.professional_id in duration
    }
    kept = cache.get_many(keys.values())
    now = timezone.now()
    firsts: dict[int, Slot | None] = {}
    missing = []
    for offer in offers:
        pro_id = offer.professional_id
        starts_at = kept.get(keys.get(pro_id, ""))
        if starts_at is False:  # kept: nothing free
            firsts[pro_id] = None
        elif isinstance(starts_at, datetime) and starts_at >= now + offer.professional.min_notice:
            firsts[pro_id] = Slot(pro_id, starts_at, starts_at + duration[pro_id])
        else:  # not kept, or come within the notice since
            missing.append(offer)
    if missing:
        slots = free_slots(
            professionals=[o.professional for o in missing],
            duration=duration,
            start=timezone.localdate(),
            days=BROWSE_DAYS,
            first_only=True,
        )
        found = {o.professional_id: next(iter(slots[o.professional_id]), None) for o in missing}
        firsts.update(found)
        cache.set_many(
            {keys[pro_id]: slot.starts_at if slot else False for pro_id, slot in found.items()},
            NEXT_FREE_SECONDS,
        )
    return firsts


def offer_in_hub(*, hub: Hub, professional_code: str) -> HubProfessional:
    return get_object_or_404(
        HubProfessional.objects.select_related(
            "professional__user", "session_type", "hub"
        ).prefetch_related("professional__languages", "professional__specialties"),
        hub=hub,
        status=HubProfessional.Status.ACCEPTED,
        professional__code=professional_code,
        professional__is_active=True,  # a paused professional is gone from the hub
    )


USAGE_MONTHS = 12


def members_at(*, hub: Hub, moment: datetime) -> int:
    """How many had joined (confirmed their work address) before `moment`, whether
    or not they are members still. A count of the past that only grows: a removal
    never changes it, neither now nor next month (or "Remove a member" would tell
    HR whether an address was a member's), nor does a member deleting their
    account (the membership row stays, see privacy). Each month's own figures are
    still hidden when fewer than HUB_REPORTING_MIN_GROUP people make them up."""
    return Membership.objects.filter(hub=hub, verified_at__lt=moment).count()


def hub_usage(*, hub: Hub, now: datetime | None = None) -> dict:
    """What HR may see: totals of months that have ended (nothing moves when one
    session is booked), each shown only for a group of at least
    HUB_REPORTING_MIN_GROUP people, and nothing at all until that many had
    joined by the start of this month. Never who, when, or with whom."""
    group = settings.HUB_REPORTING_MIN_GROUP
    # Months are the hub's, each cut once in the hub's zone (Hub.month_boundary):
    # cut in the viewer's, moving one's own zone would move single spends across
    # a month's end.
    this_month = hub.month_start(now)
    joined = members_at(hub=hub, moment=this_month)
    if joined < group:
        return {"enough": False, "min_group": group}
    first = add_months(this_month.date(), -USAGE_MONTHS)
    firsts = [add_months(first, index) for index in range(USAGE_MONTHS + 1)]
    bounds = [hub.month_boundary(day) for day in firsts]
    # Which month an entry falls in, by the boundaries: one query for the year.
    month_of = Case(
        *(
            When(created_at__gte=bounds[index], then=Value(index))
            for index in reversed(range(USAGE_MONTHS))
        ),
        output_field=IntegerField(),
    )
    rows = {
        row["month"]: row
        for row in CreditEntry.objects.filter(
            membership__hub=hub, created_at__gte=bounds[0], created_at__lt=bounds[-1]
        )
        .annotate(month=month_of)
        .order_by()
        .values("month")
        .annotate(
            granted=Sum("amount", filter=Q(kind=CreditEntry.Kind.GRANT)),
            granted_to=Count("membership", filter=Q(kind=CreditEntry.Kind.GRANT), distinct=True),
            spent=Sum("amount", filter=Q(kind=CreditEntry.Kind.SPEND)),
            spenders=Count("membership", filter=Q(kind=CreditEntry.Kind.SPEND), distinct=True),
            returned=Sum("amount", filter=Q(kind=CreditEntry.Kind.REFUND)),
        )
    }
    months = []
    for index in range(USAGE_MONTHS):
        month = firsts[index]
        row = rows.get(index, {})
        used = -(row.get("spent") or 0) - (row.get("returned") or 0)
        months.append(
            {
                "month": month,
                # None: fewer than `group` people, so not shown (0 is shown: nobody).
                "granted": (row.get("granted") or 0)
                if not row.get("granted_to") or row["granted_to"] >= group
                else None,
                "used": max(used, 0)
                if not row.get("spenders") or row["spenders"] >= group
                else None,
            }
        )
    return {
        "enough": True,
        "min_group": group,
        "joined": joined,
        "months": months,
        "chart": _usage_chart(months),
    }


# HR's page keeps the hub's usage a minute, for all of its HR team: totals of
# months that have ended, each already hidden when too few make it up, and the
# count who had joined; nothing that names or counts one member. Those months
# never move (see hub_usage), so keeping them hides nothing that has changed.
USAGE_SECONDS = 60


def hub_usage_kept(*, hub: Hub) -> dict:
    """hub_usage, kept USAGE_SECONDS under a key of the hub, the month it is in
    and the minimum group."""
    group = settings.HUB_REPORTING_MIN_GROUP
    key = f"hub-usage:{hub.pk}:{hub.month_start().timestamp():.0f}:{group}"
    usage = cache.get(key)
    if usage is None:
        usage = hub_usage(hub=hub)
        cache.set(key, usage, USAGE_SECONDS)
    return usage


def _usage_chart(months: list[dict]) -> dict:
    """Bars for the credits used each month, sized for an SVG 600 by 200."""
    top = max([m["used"] or 0 for m in months] + [1])
    width, height, gap = 600, 160, 6
    step = width / len(months)
    bars = []
    for index, month in enumerate(months):
        value = month["used"]
        bar = round((value or 0) / top * height)
        bars.append(
            {
                "x": round(index * step + gap / 2, 1),
                "y": 10 + height - bar,
                "width": round(step - gap, 1),
                "height": bar,
                "label_x": round(index * step + step / 2, 1),
                "month": month["month"],
                "value": value,
                "hidden": value is None,
            }
        )
    return {"bars": bars, "top": top, "baseline": 10 + height}


def credit_requests_for_hr(*, hub: Hub) -> list[CreditRequest]:
    # Neither the member nor the professional is named: in a small hub, the one
    # would point at the other.
    return list(CreditRequest.objects.filter(membership__hub=hub).order_by("-created_at"))


def offers_public(*, hub: Hub) -> list[HubProfessional]:
    """The professionals offered in the hub, for its public page: the one place
    that names them."""
    return list(
        HubProfessional.objects.filter(
            hub=hub, status=HubProfessional.Status.ACCEPTED, professional__is_active=True
        )
        .select_related("professional__user", "session_type")
        .prefetch_related("professional__specialties")
        .order_by("professional__user__name")
    )


def offers_of_professional(*, professional) -> list[HubProfessional]:
    """The hubs that asked the professional to be offered (waiting for an answer,
    oldest first) and those they are offered in."""
    return list(
        HubProfessional.objects.filter(
            professional=professional,
            status__in=[HubProfessional.Status.ASKED, HubProfessional.Status.ACCEPTED],
        )
        .select_related("hub__company", "session_type")
        .order_by("-status", "asked_at")  # "asked" before "accepted"
    )


def offers_waiting(professional: OuterRef) -> Coalesce:
    """How many hubs wait for the professional's answer, as an annotation of a
    query of professionals (Home reads it with the practice, in one query)."""
    asked = (
        HubProfessional.objects.filter(
            professional=professional, status=HubProfessional.Status.ASKED
        )
        .order_by()
        .values("professional")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(asked), Value(0))
