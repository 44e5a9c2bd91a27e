"""A page's cost does not grow with a person's history: with 4,000 sessions,
no step of any query of the client's and the professional's pages reads more
than a window's worth of rows (PostgreSQL's EXPLAIN ANALYZE says how many each
step read). scripts/bench_growth.py times the same pages at 1,000 and 10,000."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tengja.billing.models import Invoice
from tengja.bookings.models import Booking
from tests.conftest import requires_postgres
from tests.factories import SessionTypeFactory

SESSIONS = 4_000
TO_COME = 20
# No step reads more rows than this: a page shows 10 to 50, and the practice
# page's chart counts the professional's sessions of its twelve months, here one
# every third day: up to 122 of them (in December; fewer earlier in the year).
WINDOW = 125


@pytest.fixture
def history(alice, professional):
    """Alice has a session every day for eleven years, all with one of three
    professionals (Helga among them); all but the last 20 are over; each has
    its bill, paid once the session is over."""
    kinds = [SessionTypeFactory(professional=professional)] + [
        SessionTypeFactory() for _ in range(2)
    ]
    now = timezone.now()
    start = now.replace(hour=9, minute=0, second=0, microsecond=0)
    bookings = Booking.objects.bulk_create(
        Booking(
            professional_id=kinds[k % 3].professional_id,
            client=alice,
            session_type=kinds[k % 3],
            starts_at=start + timedelta(days=k - SESSIONS + TO_COME),
            ends_at=start + timedelta(days=k - SESSIONS + TO_COME, minutes=50),
            price_amount=15000,
            currency="ISK",
        )
        for k in range(SESSIONS)
    )
    Invoice.objects.bulk_create(
        Invoice(
            professional_id=b.professional_id,
            number=n + 1,
            booking=b,
            description="Session",
            session_starts_at=b.starts_at,
            amount=b.price_amount,
            currency="ISK",
            issued_at=b.starts_at - timedelta(days=1),
            # Paid once over; those to come are still open.
            status=Invoice.Status.PAID if b.starts_at < now else Invoice.Status.OPEN,
            paid_at=b.starts_at if b.starts_at < now else None,
        )
        for n, b in enumerate(bookings)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE bookings_booking")
        cursor.execute("ANALYZE billing_invoice")
        # On a table this small a sequential scan can be the cheaper plan; what
        # is checked is that the query lets the database read a window (the
        # benchmark's 10,000 sessions show it choosing to). For this test only.
        cursor.execute("SET LOCAL enable_seqscan = off")


def rows_read(plan: dict) -> int:
    """The most rows any step of a plan read (kept or filtered out, times loops)."""
    read = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
    own = read * plan.get("Actual Loops", 1)
    return max([own, *(rows_read(child) for child in plan.get("Plans", []))])


def largest_step(client, path: str) -> tuple[int, str]:
    queries = []

    def keep(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert client.get(path).status_code == 200
    largest = (0, "")
    with connection.cursor() as cursor:
        for sql, params in queries:
            if not sql.startswith("SELECT") or "bookings_booking" not in sql + "billing_invoice":
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            [[plan]] = cursor.fetchone()
            largest = max(
                largest, (rows_read(plan["Plan"]), f"{sql}\n{json.dumps(plan, indent=1)}")
            )
    return largest


@requires_postgres
@pytest.mark.parametrize(
    "who, path",
    [
        ("client", "/"),
        ("client", "/calendar/"),
        ("client", "/payments/"),
        ("client", "/connections/"),
        ("client", "/connections/{professional.code}/"),
        ("professional", "/"),
        ("professional", "/practice/"),
        ("professional", "/practice/week/"),
        ("professional", "/practice/clients/{alice.code}/"),
    ],
)
def test_no_step_of_a_page_reads_the_history(client, alice, professional, history, who, path):
    client.force_login(alice if who == "client" else professional.user)
    rows, sql = largest_step(client, path.format(alice=alice, professional=professional))
    assert rows <= WINDOW, f"{rows} rows in one step of:\n{sql}"
