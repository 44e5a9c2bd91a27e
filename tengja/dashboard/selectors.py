"""The professional's view of their clients: sessions and bills together, so
these reads live here, where bookings and billing meet."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from tengja.accounts.models import User
from tengja.billing.models import Invoice
from tengja.bookings.models import Booking
from tengja.bookings.selectors import RELATED
from tengja.hubs.models import Membership
from tengja.hubs.selectors import offers_waiting
from tengja.notifications.models import Notification
from tengja.professionals.models import Professional
from tengja.professionals.selectors import professionals_with_checklist


def practice_for_home(*, user: User) -> tuple[Professional | None, int]:
    """The practice card on a professional's Home: their profile with its set-up
    checklist (professional_of), and how many hubs wait for their answer, in one
    query."""
    professional = (
        professionals_with_checklist(user=user)
        .annotate(offers_waiting=offers_waiting(OuterRef("pk")))
        .first()
    )
    return professional, getattr(professional, "offers_waiting", 0)


def _known_to(professional: Professional) -> Exists:
    """The user has a session with the professional that names them: one they
    booked themselves, or whose invitation they accepted (Booking.client_is_known).
    Until then an invited account is listed as its address, with the invited."""
    return Exists(
        Booking.objects.filter(professional=professional, client=OuterRef("pk")).filter(
            Q(invitation__isnull=True) | Q(invitation__accepted_at__isnull=False)
        )
    )


def practice_clients(*, professional: Professional) -> QuerySet[User]:
    """The professional's clients (people with an account who have had or have a
    session with them), each with counts of sessions and open bills: one query
    for any number, counting only this professional's sessions."""
    now = timezone.now()
    confirmed = Q(bookings__status=Booking.Status.CONFIRMED)
    return (
        # The filter comes first, so the counts below only see this professional's rows.
        User.objects.filter(bookings__professional=professional)
        .filter(_known_to(professional))
        .annotate(
            upcoming=Count("bookings", filter=confirmed & Q(bookings__ends_at__gt=now)),
            past=Count("bookings", filter=confirmed & Q(bookings__ends_at__lte=now)),
            cancelled=Count("bookings", filter=Q(bookings__status=Booking.Status.CANCELLED)),
            open_bills=Count(
                "bookings__invoices", filter=Q(bookings__invoices__status=Invoice.Status.OPEN)
            ),
            next_at=Min("bookings__starts_at", filter=confirmed & Q(bookings__ends_at__gt=now)),
            next_end=Min("bookings__ends_at", filter=confirmed & Q(bookings__ends_at__gt=now)),
            last_at=Max("bookings__starts_at", filter=confirmed & Q(bookings__ends_at__lte=now)),
        )
        .order_by("name", "email")
    )


def practice_invited(*, professional: Professional) -> list[Booking]:
    """Sessions to come whose invitation is not yet accepted (whether or not the
    address has an account: the list does not say)."""
    return list(
        Booking.objects.filter(
            professional=professional,
            invitation__isnull=False,
            invitation__accepted_at__isnull=True,
            status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related(*RELATED)
        .order_by("starts_at")[:50]
    )


def practice_client(*, professional: Professional, code: str) -> User:
    """One of the professional's clients; 404 for anyone who is not."""
    # One session that names them is enough: the first found, not all of them.
    named = (
        Booking.objects.filter(professional=professional, client__code=code)
        .filter(Q(invitation__isnull=True) | Q(invitation__accepted_at__isnull=False))
        .select_related("client")
        .order_by()[:1]
    )
    client = named[0].client if named else None
    if client is None:
        raise Http404
    return client


def client_sessions_upcoming(*, professional: Professional, client: User) -> list[Booking]:
    return list(
        Booking.objects.filter(
            professional=professional,
            client=client,
            status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related(*RELATED)
        .order_by("starts_at")[:50]
    )


def client_sessions_past(*, professional: Professional, client: User) -> QuerySet[Booking]:
    """Over or cancelled, newest first (to paginate)."""
    return (
        Booking.objects.filter(professional=professional, client=client)
        .filter(Q(ends_at__lte=timezone.now()) | Q(status=Booking.Status.CANCELLED))
        .select_related(*RELATED)
        .order_by("-starts_at")
    )


def client_open_bills(*, professional: Professional, client: User) -> list[Invoice]:
    return list(
        Invoice.objects.filter(
            professional=professional, booking__client=client, status=Invoice.Status.OPEN
        ).order_by("session_starts_at")
    )


# A session of the professional's week: a link to it, with its times, who, what
# and state (cancelled ones struck through by the class).
SESSION_ROW = (
    '<a class="pro-session{}" href="{}"><span class="pro-session__time">'
    '<time datetime="{}">{}–{}</time></span> <span class="pro-session__who">{}</span> '
    '<span class="pro-session__what">{}</span> <span class="pro-session__status">{}</span></a>'
)


@dataclass(slots=True)
class SessionRow:
    """One session of the professional's week, its row (`html`, SESSION_ROW)
    made here once with format_html rather than by template tags and filters
    per row: a busy week lists a couple of hundred sessions, and today's twice."""

    starts_at: datetime  # the day it is placed on (calendar.place)
    code: str
    who: str
    status: str
    is_cancelled: bool
    html: str


def practice_week_sessions(
    *, professional: Professional, start: datetime, end: datetime
) -> list[SessionRow]:
    """All the professional's sessions starting in [start, end), cancelled ones
    too, for their week: only the columns a row shows, in one query (no model
    instances: a busy week has a couple of hundred rows)."""
    rows = (
        Booking.objects.filter(professional=professional, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "status")
        .values_list(
            "code",
            "starts_at",
            "ends_at",
            "status",
            "late_cancellation",
            "paid_with",
            "client_id",
            "client__name",
            "client__erased_at",
            "invitation__id",
            "invitation__email",
            "invitation__accepted_at",
            "session_type__name",
        )
    )
    # The detail link of each, from one reverse() (codes are URL-safe).
    href = reverse("bookings:detail", args=["CODE"]).replace("CODE", "{}")
    zone = timezone.get_current_timezone()
    clock: dict = {}  # a time of day, as TIME_FORMAT shows it: a week has few

    def hhmm(moment: datetime) -> str:
        local = moment.astimezone(zone).time()
        if local not in clock:
            clock[local] = formats.time_format(local)
        return clock[local]

    labels = {
        "late": gettext("Cancelled late"),
        "cancelled": gettext("Cancelled"),
        "invited": gettext("Invited, not yet accepted"),
        "confirmed": gettext("Confirmed"),
        "given back": gettext("credits given back"),
        "credits": gettext("credits"),
        "deleted": gettext("Deleted account"),
    }
    sessions = []
    for (
        code,
        starts_at,
        ends_at,
        status,
        late,
        paid_with,
        client_id,
        name,
        erased_at,
        invitation_id,
        email,
        accepted_at,
        what,
    ) in rows:
        # As Booking.client_is_known and Booking.client_label say.
        known = client_id is not None and (invitation_id is None or accepted_at is not None)
        cancelled = status == Booking.Status.CANCELLED
        if cancelled:
            state = labels["late"] if late else labels["cancelled"]
        else:
            state = labels["confirmed"] if known else labels["invited"]
        if paid_with == Booking.PaidWith.CREDITS:
            credits = labels["given back"] if cancelled and not late else labels["credits"]
            state = f"{state} · {credits}"
        who = (labels["deleted"] if erased_at else name) if known else email
        html = format_html(
            SESSION_ROW,
            " pro-session--cancelled" if cancelled else "",
            href.format(code),
            starts_at.astimezone(zone).isoformat(),
            hhmm(starts_at),
            hhmm(ends_at),
            who,
            what,
            state,
        )
        sessions.append(SessionRow(starts_at, code, who, state, cancelled, html))
    return sessions


def header_of_request(request: HttpRequest) -> dict:
    """What the header shows of the signed-in person, read once per request in
    one query (see `header_values`); Home asks too."""
    kept = vars(request)
    if "_header" not in kept:
        assert isinstance(request.user, User)  # the header is a signed-in person's
        kept["_header"] = header_values(user=request.user)
    return kept["_header"]


def header_values(*, user: User) -> dict:
    """The header's values, in one query: the unread count; the hub behind the
    house-and-heart icon (shown from the moment a person joins: a pending member
    is taken to the hub's page, which asks them to confirm their work address;
    an active one to browse); and whether they have a practice."""
    membership = Membership.objects.filter(
        user=OuterRef("pk"), status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING]
    ).order_by("status", "joined_at")  # "active" sorts before "pending"
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .values(
            unread=Coalesce(Subquery(unread), Value(0)),
            hub_status=Subquery(membership.values("status")[:1]),
            hub_code=Subquery(membership.values("hub__code")[:1]),
            has_practice=Exists(Professional.objects.filter(user=OuterRef("pk"))),
        )
        .first()
    ) or {"unread": 0, "hub_status": None, "hub_code": None, "has_practice": False}
    return {
        "unread": row["unread"],
        "hub": row["hub_code"]
        and {
            "is_active": row["hub_status"] == Membership.Status.ACTIVE,
            "hub": {"code": row["hub_code"]},
        },
        "has_practice": row["has_practice"],
    }
