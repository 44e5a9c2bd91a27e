from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.slots import free_slots
from tengja.hubs.models import CreditEntry, CreditRequest, Hub, HubProfessional, Membership

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


def active_membership(*, user: User, hub: Hub) -> Membership:
    """The user's active membership of the hub; MembershipPending while the work
    address waits for confirmation; 404 for anyone else (removed members too)."""
    membership = (
        Membership.objects.filter(user=user, hub=hub)
        .exclude(status=Membership.Status.REMOVED)
        .first()
    )
    if membership is None:
        raise Http404
    if membership.status == Membership.Status.PENDING:
        raise MembershipPending(membership)
    return membership


def hubs_of(*, user: User) -> list[Membership]:
    """The user's memberships, each with the credits it may spend now (none once
    its period has ended and before the new period's grant: see services.balance)."""
    current = CreditEntry.objects.filter(
        membership=OuterRef("pk"), kind=CreditEntry.Kind.GRANT, expires_at__gt=timezone.now()
    )
    memberships = list(
        Membership.objects.filter(user=user)
        .exclude(status=Membership.Status.REMOVED)
        .select_related("hub__company")
        .annotate(credits=Sum("ledger__amount"), in_period=Exists(current))
    )
    for membership in memberships:
        membership.credits = (membership.credits or 0) if membership.in_period else 0
    return memberships


def hubs_administered_by(*, user: User) -> list[Hub]:
    """The hubs of the companies whose HR team the user is in."""
    return list(Hub.objects.filter(company__admins=user).select_related("company"))


def offers_for_browse(
    *, hub: Hub, specialty: str = "", language: str = "", within_days: int | None = None
) -> list[tuple[HubProfessional, object]]:
    """The hub's professionals with their next free slot; filters by specialty,
    language and how soon they are free. A fixed number of queries, however many."""
    offers = (
        HubProfessional.objects.filter(
            hub=hub, session_type__is_active=True, professional__is_active=True
        )
        .select_related("professional__user", "session_type")
        .prefetch_related("professional__languages", "professional__specialties")
        .order_by("professional__user__name")
    )
    if specialty:
        offers = offers.filter(professional__specialties__name=specialty)
    if language:
        offers = offers.filter(professional__languages__code=language)
    offers = list(offers.distinct())
    slots = free_slots(
        professionals=[o.professional for o in offers],
        duration={o.professional_id: o.session_type.duration for o in offers},
        start=timezone.localdate(),
        days=BROWSE_DAYS,
        first_only=True,
    )
    result = []
    for offer in offers:
        first = next(iter(slots.get(offer.professional_id, [])), None)
        if within_days is not None and (
            first is None or first.starts_at > timezone.now() + timedelta(days=within_days)
        ):
            continue
        result.append((offer, first))
    return result


def offer_in_hub(*, hub: Hub, professional_code: str) -> HubProfessional:
    return get_object_or_404(
        HubProfessional.objects.select_related(
            "professional__user", "session_type"
        ).prefetch_related("professional__languages", "professional__specialties"),
        hub=hub,
        professional__code=professional_code,
        professional__is_active=True,  # a paused professional is gone from the hub
    )


def hub_usage(*, hub: Hub) -> dict:
    """What HR may see: counts and sums only, never who or when."""
    members = Membership.objects.filter(hub=hub).aggregate(
        joined=Count("pk", filter=Q(status=Membership.Status.ACTIVE)),
        pending=Count("pk", filter=Q(status=Membership.Status.PENDING)),
    )
    monthly = (
        CreditEntry.objects.filter(membership__hub=hub)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            granted=Sum("amount", filter=Q(kind=CreditEntry.Kind.GRANT)),
            used=Sum("amount", filter=Q(kind=CreditEntry.Kind.SPEND)),
            returned=Sum("amount", filter=Q(kind=CreditEntry.Kind.REFUND)),
        )
        .order_by("-month")
    )
    return {
        "members": members,
        "months": [
            {
                "month": row["month"],
                "granted": row["granted"] or 0,
                "used": -(row["used"] or 0) - (row["returned"] or 0),
            }
            for row in monthly
        ],
    }


def credit_requests_for_hr(*, hub: Hub) -> list[CreditRequest]:
    # The professional is named; the member never is.
    return list(
        CreditRequest.objects.filter(membership__hub=hub)
        .select_related("professional__user")
        .order_by("-created_at")
    )
