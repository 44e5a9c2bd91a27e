"""The professional's view of their clients: sessions and bills together, so
these reads live here, where bookings and billing meet."""

from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from tengja.accounts.models import User
from tengja.billing.models import Invoice
from tengja.bookings.models import Booking
from tengja.bookings.selectors import RELATED
from tengja.hubs.models import Membership
from tengja.professionals.models import Professional


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
# memberships (user, hub), professionals (user) and HR teams (user). Home
# asks it too: it looks up memberships and administered hubs only for a person
# who has any.
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
    EXISTS(SELECT 1 FROM hubs_company_admins WHERE user_id = %(user)s)
"""


def header_values(*, user: User) -> dict:
    """The header's values, in one query: the unread count; the hub behind the
    house-and-heart icon (shown from the moment a person joins: a pending member
    is taken to the hub's page, which asks them to confirm their work address;
    an active one to browse, the "active" membership first: it sorts before
    "pending"); whether they have a practice; and whether they are in a
    company's HR team."""
    params: dict[str, int | str] = {
        "user": user.pk,
        "active": Membership.Status.ACTIVE.value,
        "pending": Membership.Status.PENDING.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(HEADER_SQL, params)
        unread, hub_status, hub_code, has_practice, in_hr = cursor.fetchone()
    return {
        "unread": unread,
        "hub": hub_code
        and {
            "is_active": hub_status == Membership.Status.ACTIVE,
            "hub": {"code": hub_code},
        },
        "has_practice": bool(has_practice),
        "in_hr": bool(in_hr),
    }
