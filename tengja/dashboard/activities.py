"""The professional's activities: every session of theirs, filtered, newest
first, with the totals of the filter, read a page at a time (the activities
page) or as a whole (the CSV and spreadsheet exports).

Rows are read as values, not model instances, in one query with their
standing bill (a LEFT JOIN: a session has at most one, a database constraint),
so a page of 50 and an export of 50,000 cost the same number of queries; an
export reads them in chunks (bounded memory)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, FilteredRelation, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext

from tengja.billing.models import Invoice
from tengja.bookings.models import Booking, client_known
from tengja.bookings.selectors import with_state
from tengja.dashboard.calendar import local_midnight
from tengja.professionals.models import Professional

# An export reads this many rows at a time.
EXPORT_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Filters:
    """What the activities show: each filter optional; dates in the viewer's zone,
    both days included."""

    state: str = ""
    client_id: int | None = None
    session_type_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(slots=True)
class Activity:
    """One session as the activities list and its exports show it."""

    code: str
    starts_at: datetime
    ends_at: datetime
    client: str  # as the professional may see them (bookings.models.client_known)
    session_type: str
    state: str
    state_label: str
    paid_with_credits: bool
    price_amount: int
    currency: str
    credits: int | None
    bill_number: str
    bill_status: str
    bill_status_label: str
    bill_amount: int | None
    bill_currency: str

    @property
    def href(self) -> str:
        return reverse("bookings:detail", args=[self.code])


@dataclass(slots=True)
class Money:
    """A currency's bills among the filtered sessions: billed (open or paid),
    paid and open, in minor units."""

    currency: str
    billed: int
    paid: int
    open: int


@dataclass(slots=True)
class Totals:
    sessions: int
    credits: int
    money: list[Money]


def activities_of(
    *, professional: Professional, filters: Filters, now: datetime | None = None
) -> QuerySet[Booking]:
    """The professional's sessions the filters keep, each with its state
    (`state_code`) and its standing bill (`bill`), newest first. They are read
    from the index on (professional, starts_at)."""
    sessions = with_state(Booking.objects.filter(professional=professional), now)
    if filters.state:
        sessions = sessions.filter(state_code=filters.state)  # type: ignore[misc]  # with_state annotates it
    if filters.client_id is not None:
        # Only the sessions that name the client: an invitation they have not
        # accepted is not theirs to the professional yet (client_known).
        sessions = sessions.filter(client_id=filters.client_id).filter(
            Q(invitation__isnull=True) | Q(invitation__accepted_at__isnull=False)
        )
    if filters.session_type_id is not None:
        sessions = sessions.filter(session_type_id=filters.session_type_id)
    if filters.since is not None:
        sessions = sessions.filter(starts_at__gte=local_midnight(filters.since))
    if filters.until is not None:
        sessions = sessions.filter(starts_at__lt=local_midnight(filters.until + timedelta(days=1)))
    return sessions.annotate(
        bill=FilteredRelation(
            "invoices",
            condition=Q(invoices__kind=Invoice.Kind.INVOICE)
            & ~Q(invoices__status=Invoice.Status.CREDITED),
        )
    )


_COLUMNS = (
    "code",
    "starts_at",
    "ends_at",
    "status",
    "client_id",
    "client__name",
    "client__email",
    "client__erased_at",
    "invitation__id",
    "invitation__email",
    "invitation__accepted_at",
    "session_type__name",
    "state_code",
    "paid_with",
    "price_amount",
    "currency",
    "credits",
    "bill__number",
    "bill__issued_at",
    "bill__status",
    "bill__amount",
    "bill__currency",
)


class Activities:
    """The rows of `activities_of`, to read a window at a time (tengja.lib.windows)
    or all of them (`all`)."""

    def __init__(self, sessions: QuerySet[Booking]) -> None:
        self.sessions = sessions.order_by("-starts_at", "-pk").values_list(*_COLUMNS)
        self.labels = {
            "deleted": gettext("Deleted account"),
            **{code: str(label) for code, label in Booking.State.choices},
            **{f"bill:{code}": str(label) for code, label in Invoice.Status.choices},
        }

    def __getitem__(self, window: slice) -> list[Activity]:
        return [self._row(values) for values in self.sessions[window]]

    def all(self) -> Iterator[Activity]:
        for values in self.sessions.iterator(chunk_size=EXPORT_CHUNK):
            yield self._row(values)

    def _row(self, values: tuple) -> Activity:
        (
            code,
            starts_at,
            ends_at,
            _status,
            client_id,
            name,
            email,
            erased_at,
            invitation_id,
            invited_email,
            accepted_at,
            type_name,
            state,
            paid_with,
            price_amount,
            currency,
            credits,
            bill_number,
            bill_issued_at,
            bill_status,
            bill_amount,
            bill_currency,
        ) = values
        known = client_known(
            client_id=client_id, invited=invitation_id is not None, accepted_at=accepted_at
        )
        if not known:
            who = invited_email or ""
        elif erased_at:
            who = self.labels["deleted"]
        else:
            who = name or email
        return Activity(
            code=code,
            starts_at=starts_at,
            ends_at=ends_at,
            client=who,
            session_type=type_name,
            state=state,
            state_label=self.labels[state],
            paid_with_credits=paid_with == Booking.PaidWith.CREDITS,
            price_amount=price_amount,
            currency=currency,
            credits=credits,
            # As Invoice.display_number.
            bill_number=f"{bill_issued_at:%Y}-{bill_number:05d}" if bill_number else "",
            bill_status=bill_status or "",
            bill_status_label=self.labels[f"bill:{bill_status}"] if bill_status else "",
            bill_amount=bill_amount,
            bill_currency=bill_currency or "",
        )


def activities_totals(*, sessions: QuerySet[Booking]) -> Totals:
    """The filter's totals in one query: sessions and credits, and per currency
    its bills billed (open or paid: a void or refunded bill is not counted),
    paid and open."""
    Status = Invoice.Status
    groups = (
        sessions.order_by()
        .values("bill__currency")  # type: ignore[misc]  # activities_of annotates it
        .annotate(
            n=Count("pk"),
            credits_spent=Sum("credits", filter=Q(paid_with=Booking.PaidWith.CREDITS)),
            billed=Sum("bill__amount", filter=Q(bill__status__in=[Status.OPEN, Status.PAID])),
            paid=Sum("bill__amount", filter=Q(bill__status=Status.PAID)),
            unpaid=Sum("bill__amount", filter=Q(bill__status=Status.OPEN)),
        )
    )
    totals = Totals(sessions=0, credits=0, money=[])
    for group in groups:
        totals.sessions += group["n"]
        totals.credits += group["credits_spent"] or 0
        if group["bill__currency"]:
            totals.money.append(
                Money(
                    currency=group["bill__currency"],
                    billed=group["billed"] or 0,
                    paid=group["paid"] or 0,
                    open=group["unpaid"] or 0,
                )
            )
    totals.money.sort(key=lambda money: money.currency)
    return totals
