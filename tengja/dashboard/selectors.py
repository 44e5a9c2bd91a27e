"""The professional's view of their clients: sessions and bills together, so
these reads live here, where bookings and billing meet."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from tengja.accounts.models import User
from tengja.billing.models import Invoice
from tengja.bookings.models import Booking, BookingRequest, client_known, session_state
from tengja.bookings.selectors import RELATED
from tengja.hubs.models import Membership
from tengja.hubs.selectors import offers_waiting
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


class PracticeClients:
    """The professional's clients (people with an account who have a session
    with them that names them), by name, read a window at a time
    (tengja.lib.windows); each with what its row shows of their sessions with
    this professional: how many are to come and the next (`upcoming`,
    `next_at`), the last one held (`last_at`), and their open bills
    (`open_bills`).

    Nothing here reads a client's whole history, so the page costs the same
    after years of sessions: the clients are found one index entry each
    (_CLIENTS_OF); a window's rows are counted for themselves only, from the
    index on (professional, client, ends_at), which has each one's sessions to
    come and, read backwards from now, the last held; the open bills, in one
    more query, are the professional's open ones (as a subquery of each row
    the database would read every session of the client to find them)."""

    def __init__(self, professional: Professional) -> None:
        self.professional = professional

    def __getitem__(self, window: slice) -> list[User]:
        now = timezone.now()
        theirs = Booking.objects.filter(
            professional=self.professional,
            client=OuterRef("pk"),
            status=Booking.Status.CONFIRMED,
        )
        to_come = theirs.filter(ends_at__gt=now)
        clients: list[User] = list(
            User.objects.filter(pk__in=_clients_of(self.professional))
            .filter(_known_to(self.professional))
            .only("code", "name", "email")
            .annotate(
                upcoming=_count(to_come),
                next_at=Subquery(to_come.order_by("ends_at").values("starts_at")[:1]),
                # The last to end is the last to start: a professional's
                # confirmed sessions do not overlap.
                last_at=Subquery(
                    theirs.filter(ends_at__lte=now).order_by("-ends_at").values("starts_at")[:1]
                ),
            )
            .order_by("name", "email", "pk")[window]
        )
        # The professional's open bills, each's client read by its session's
        # key: a join, or a list of the window's clients, may have the database
        # read every session of theirs (or of everyone).
        client_of = Booking.objects.filter(pk=OuterRef("booking_id")).order_by().values("client_id")
        open_bills = dict(
            Invoice.objects.filter(professional=self.professional, status=Invoice.Status.OPEN)
            .order_by()
            .values_list(Subquery(client_of[:1]))
            .annotate(n=Count("pk"))
        )
        for client in clients:
            client.open_bills = open_bills.get(client.pk, 0)  # type: ignore[attr-defined]
        return clients


def practice_clients(*, professional: Professional) -> PracticeClients:
    """The professional's clients, to read a window at a time (PracticeClients)."""
    return PracticeClients(professional)


# The ids of everyone who has a session with a professional, each read once: a
# recursive query steps from one client to the next in the index on
# (professional, client, ends_at) (booking_professional_client), so it reads as many
# index entries as the professional has clients, not sessions (a DISTINCT, a
# join or a semi-join would read every session, or every user). Raw SQL: the
# ORM makes no recursive query. Only quoted names are formatted in; the
# professional is a parameter.
_CLIENTS_OF = (  # noqa: S608
    "WITH RECURSIVE clients (id) AS ("
    " SELECT MIN({client}) FROM {table} WHERE {professional} = %s"
    " UNION ALL"
    " SELECT (SELECT {client} FROM {table} WHERE {professional} = %s AND {client} > clients.id"
    " ORDER BY {professional}, {client} LIMIT 1)"
    " FROM clients WHERE clients.id IS NOT NULL"
    ") SELECT id FROM clients WHERE id IS NOT NULL"
).format(
    table=connection.ops.quote_name(Booking._meta.db_table),
    client=connection.ops.quote_name(Booking._meta.get_field("client").column),
    professional=connection.ops.quote_name(Booking._meta.get_field("professional").column),
)


def _clients_of(professional: Professional) -> RawSQL:
    return RawSQL(_CLIENTS_OF, (professional.pk, professional.pk))  # noqa: S611 (see _CLIENTS_OF)


def practice_client_choices(*, professional: Professional) -> list[tuple[int, str, str]]:
    """The professional's clients (as PracticeClients finds them) as (pk, code,
    label) for a filter's list, by name: one query, one index entry a client."""
    deleted = gettext("Deleted account")
    return [
        (pk, code, deleted if erased_at else name or email)
        for pk, code, name, email, erased_at in User.objects.filter(
            pk__in=_clients_of(professional)
        )
        .filter(_known_to(professional))
        .order_by("name", "email", "pk")
        .values_list("pk", "code", "name", "email", "erased_at")
    ]


def _count(rows: QuerySet) -> Coalesce:
    """How many `rows` there are, as a scalar subquery of an outer query."""
    return Coalesce(
        Subquery(rows.order_by().values(one=Value(1)).annotate(n=Count("pk")).values("n")),
        Value(0),
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
            "cancel_reason",
            "completed_at",
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

    now = timezone.now()
    # Each state's label once (Booking.State), as Booking.state decides it.
    states = {choice: str(choice.label) for choice in Booking.State}
    labels = {
        "late": gettext("Cancelled late"),
        "invited": gettext("invited, not yet accepted"),
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
        reason,
        completed_at,
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
        known = client_known(
            client_id=client_id, invited=invitation_id is not None, accepted_at=accepted_at
        )
        cancelled = status == Booking.Status.CANCELLED
        # Booking.state's rule, on the values read.
        state = states[
            session_state(
                status=status,
                cancel_reason=reason,
                completed_at=completed_at,
                starts_at=starts_at,
                ends_at=ends_at,
                now=now,
            )
        ]
        if cancelled and late and state == states[Booking.State.CANCELLED]:
            state = labels["late"]
        elif not cancelled and not known:
            state = f"{state} · {labels['invited']}"
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


# The header's values, in one statement. Raw SQL through Django's public API,
# because every signed-in page asks it: as an ORM query (four correlated
# subqueries) Django spent about 5 ms compiling it for 0.3 ms in the database.
# Each subquery reads one index: notifications (user, read_at, created_at),
# memberships (user, hub), professionals (user), HR teams (user) and
# conversations (client or professional, newest: a person's own rows). Home
# asks it too: it looks up memberships and administered hubs only for a person
# who has any, and questionnaires only for one who was ever sent one.
HEADER_SQL = """
SELECT
    (SELECT COUNT(*) FROM notifications_notification
        WHERE user_id = %(user)s AND read_at IS NULL),
    (SELECT m.status FROM hubs_membership m
        WHERE m.user_id = %(user)s AND m.status IN (%(active)s, %(pending)s)
        ORDER BY m.status, m.joined_at LIMIT 1),
    (SELECT h.code FROM hubs_membership m
        JOIN hubs_hub h ON h.id = m.hub_id
        WHERE m.user_id = %(user)s AND m.status IN (%(active)s, %(pending)s)
        ORDER BY m.status, m.joined_at LIMIT 1),
    EXISTS(SELECT 1 FROM professionals_professional WHERE user_id = %(user)s),
    EXISTS(SELECT 1 FROM hubs_company_admins WHERE user_id = %(user)s),
    EXISTS(SELECT 1 FROM bookings_bookingrequest
        WHERE client_id = %(user)s AND status = %(request_open)s),
    EXISTS(SELECT 1 FROM measures_measurerequest WHERE client_id = %(user)s),
    (SELECT COUNT(*) FROM messaging_conversation
        WHERE client_id = %(user)s AND last_sender_role = %(professional_role)s
        AND (client_read_at IS NULL OR last_message_at > client_read_at))
    + (SELECT COUNT(*) FROM messaging_conversation c
        JOIN professionals_professional p ON p.id = c.professional_id
        WHERE p.user_id = %(user)s AND c.last_sender_role = %(client_role)s
        AND (c.professional_read_at IS NULL OR c.last_message_at > c.professional_read_at))
"""


def header_values(*, user: User) -> dict:
    """The header's values, in one query: the unread count; the hub behind the
    house-and-heart icon (shown from the moment a person joins: a pending member
    is taken to the hub's page, which asks them to confirm their work address;
    an active one to browse, the "active" membership first: it sorts before
    "pending"); whether they have a practice; and whether they are in a
    company's HR team; whether they have a session request open; whether they
    were ever sent a questionnaire; and how many
    of their conversations wait unread."""
    params: dict[str, int | str] = {
        "user": user.pk,
        "active": Membership.Status.ACTIVE.value,
        "pending": Membership.Status.PENDING.value,
        "request_open": BookingRequest.Status.OPEN.value,
        "client_role": Booking.Role.CLIENT.value,
        "professional_role": Booking.Role.PROFESSIONAL.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(HEADER_SQL, params)
        (unread, hub_status, hub_code, has_practice, in_hr, asking, asked, messages) = (
            cursor.fetchone()
        )
    return {
        "unread": unread,
        "hub": hub_code
        and {
            "is_active": hub_status == Membership.Status.ACTIVE,
            "hub": {"code": hub_code},
        },
        "has_practice": bool(has_practice),
        "in_hr": bool(in_hr),
        # Whether they wait for an answer to a session request (Home lists them).
        "has_open_requests": bool(asking),
        # Whether they were ever sent a questionnaire (Home's measures card).
        "was_sent_measures": bool(asked),
        # Conversations waiting unread: messaging.selectors.unread_for, as SQL
        # (a test holds the two to the same answer).
        "unread_messages": messages,
    }
