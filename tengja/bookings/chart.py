"""The practice page's chart: sessions and income per month for the last twelve
months, in the professional's zone, drawn as SVG bars on the server (the
template draws what `practice_months` measures) beside the same figures as a
table, which is what a screen reader reads.

A month's sessions are those that start in it and were not cancelled (planned,
in progress, ended or done); its income is the bills paid for sessions that
start in it (not refunded, not void), in each currency. Two queries, whatever
the months hold.

Here, under the practice page's view, rather than in dashboard where sessions
and bills meet: bookings may not import billing, so the bills are read by the
model's name in the app registry (as bookings.selectors._with_bill_status does)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.apps import apps
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.lib.money import money_format
from tengja.professionals.models import Professional

MONTHS = 12
# The bars' drawing box (SVG user units): twelve bars a BAR wide, a GAP apart,
# at most HEIGHT tall above a line of month letters.
BAR, GAP, HEIGHT = 16, 6, 80


@dataclass(slots=True)
class Month:
    start: date
    sessions: int = 0
    income: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    # Bar heights and positions, in the SVG's units.
    x: int = 0
    sessions_height: int = 0
    income_height: int = 0

    @property
    def sessions_y(self) -> int:
        return HEIGHT - self.sessions_height

    @property
    def income_y(self) -> int:
        return HEIGHT - self.income_height

    @property
    def label_x(self) -> int:
        return self.x + BAR // 2

    @property
    def income_text(self) -> str:
        return ", ".join(money_format(amount, currency) for currency, amount in self.income.items())


@dataclass(slots=True)
class Months:
    months: list[Month]
    currency: str  # the one the income bars show (the most earned)
    most_sessions: int
    most_income: int
    width: int = MONTHS * (BAR + GAP)
    height: int = HEIGHT
    bar: int = BAR
    # The drawing's height with the month letters under the bars.
    full_height: int = HEIGHT + 14
    label_y: int = HEIGHT + 11

    @property
    def has_other_currencies(self) -> bool:
        return any(set(m.income) - {self.currency} for m in self.months)


def _month_starts(today: date) -> list[date]:
    starts = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _as_date(moment: date | datetime, zone) -> date:
    if isinstance(moment, datetime):
        return (
            timezone.localtime(moment, zone).date() if timezone.is_aware(moment) else moment.date()
        )
    return moment


def practice_months(*, professional: Professional, now: datetime | None = None) -> Months:
    """The last twelve months (this one last), each with its sessions and income."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), zone).date()
    starts = _month_starts(today)
    first = _midnight(starts[0])
    after = _midnight(date(today.year + (today.month == 12), today.month % 12 + 1, 1))
    months = {start: Month(start=start) for start in starts}
    # Each reads twelve months, from the index on (professional, starts_at) and
    # on bills (professional, status, session_starts_at).
    held = (
        Booking.objects.filter(
            professional=professional,
            starts_at__gte=first,
            starts_at__lt=after,
            status=Booking.Status.CONFIRMED,
        )
        .annotate(chart_month=TruncMonth("starts_at", tzinfo=zone))
        .order_by()
        .values_list("chart_month", "currency")
        .annotate(n=Count("pk"))
    )
    by_currency: dict[str, int] = defaultdict(int)
    for month, currency, n in held:
        months[_as_date(month, zone)].sessions += n
        by_currency[currency] += n
    invoices = apps.get_model("billing", "Invoice")._default_manager
    earned = (
        invoices.filter(
            professional=professional,
            kind="invoice",
            status="paid",
            session_starts_at__gte=first,
            session_starts_at__lt=after,
        )
        .annotate(chart_month=TruncMonth("session_starts_at", tzinfo=zone))
        .order_by()
        .values_list("chart_month", "currency")
        .annotate(total=Sum("amount"))
    )
    income: dict[str, int] = defaultdict(int)
    for month, currency, total in earned:
        months[_as_date(month, zone)].income[currency] = total
        income[currency] += total
    # The bars show the currency most earned (else the one most booked).
    currency = max(income or by_currency or {"ISK": 0}, key=lambda c: (income[c], by_currency[c]))
    most_sessions = max(m.sessions for m in months.values())
    most_income = max(m.income.get(currency, 0) for m in months.values())
    for index, month in enumerate(months.values()):
        month.x = index * (BAR + GAP) + GAP // 2
        month.sessions_height = (
            round(HEIGHT * month.sessions / most_sessions) if most_sessions else 0
        )
        amount = month.income.get(currency, 0)
        month.income_height = round(HEIGHT * amount / most_income) if most_income else 0
        if not month.income:
            month.income = {currency: 0}
    return Months(
        months=list(months.values()),
        currency=currency,
        most_sessions=most_sessions,
        most_income=most_income,
    )
