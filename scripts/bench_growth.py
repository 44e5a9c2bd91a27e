#!/usr/bin/env python
"""Whether a page's cost grows with a person's history: a client and a
professional with 1,000 and then with 10,000 sessions each, and each page's cold
server CPU, SQL time and query count, side by side, with the calendar's size.

Each person's latest 1,000 sessions are two hours apart (a full calendar: 12 a
day), all but the last 100 in the past, at either scale; the larger run's other
9,000, as dense, end more than a year before the first of those. So it adds
history and nothing else: a page that sums up a stretch of time (the practice
page's chart of this year's months) sees as much in it at either scale. The
client sees five professionals in turn and has a bill for every session; the
professional's sessions alternate between that client and 19 others.

A request is timed in this process with Django's test client and the production
settings (DEBUG off), with the cache emptied before it (cold: nothing kept from
an earlier request); the figure is the median of `--requests` such requests.
CPU is this process's CPU time for the request (the database's is not in it);
SQL is the time spent waiting on the database's answers; DB is what the
database itself spent planning and running them (EXPLAIN ANALYZE of each again:
on a busy machine the time waited is noisy, this is not). Neither CPU nor DB
time should grow by more than a fifth from 1,000 to 10,000 sessions.

    .venv/bin/python scripts/bench_growth.py --database-url postgres://…/scratch [--requests 15]

The database named is emptied: give it a scratch one.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from support import ROOT, production_env

SCALES = (1_000, 10_000)
TO_COME = 100  # sessions still to come, at either scale
SPACING = timedelta(hours=2)
RECENT = SCALES[0]  # the latest sessions, the same at either scale
# Between the recent sessions and the older ones: more than any stretch a page
# sums up (a year of months), so the older ones are only history.
HISTORY_GAP = timedelta(days=400)
PASSWORD = "benchmark passphrase 1"

CLIENT_PAGES = {"Home": "/", "calendar": "/calendar/", "Payments": "/payments/"}
CLIENT_PAGES["connections"] = "/connections/"
PROFESSIONAL_PAGES = {
    "pro Home": "/",
    "pro week": "/practice/week/",
    "pro practice": "/practice/",
    "pro clients": "/practice/clients/",
}


def build(sessions: int):
    """A client and a professional, each with `sessions` sessions (and the others
    they see, their own: nothing is shared between the two scales)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from tengja.accounts.models import User
    from tengja.billing.models import Invoice
    from tengja.bookings.models import Booking
    from tengja.professionals.models import Professional, SessionType

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    password = make_password(PASSWORD)
    tag = f"{sessions}"
    client = User.objects.create(
        email=f"client-{tag}@bench.test", name=f"Client {tag}", password=password
    )
    others = User.objects.bulk_create(
        User(email=f"other{n}-{tag}@bench.test", name=f"Other {n:02}", password=password)
        for n in range(19)
    )
    pros, kinds = [], []
    for n in range(5):
        user = User.objects.create(
            email=f"pro{n}-{tag}@bench.test", name=f"Professional {n}", password=password
        )
        pro = Professional.objects.create(user=user, title="Psychologist")
        pros.append(pro)
        kinds.append(
            SessionType.objects.create(
                professional=pro,
                name="Session",
                duration_minutes=50,
                price_amount=15000,
                currency="ISK",
            )
        )
    bookings = []
    for k in range(sessions):
        recent = k - (sessions - RECENT)  # 0 for the first of the recent ones
        start = now + (recent - (RECENT - TO_COME)) * SPACING + timedelta(minutes=30)
        if recent < 0:
            start -= HISTORY_GAP
        # The client's session of this slot, with each professional in turn.
        pro = k % len(pros)
        bookings.append(
            Booking(
                professional=pros[pro],
                client=client,
                session_type=kinds[pro],
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                price_amount=15000,
                currency="ISK",
            )
        )
        if pro != 0:  # the professional's own session of the slot, with someone else
            bookings.append(
                Booking(
                    professional=pros[0],
                    client=others[k % len(others)],
                    session_type=kinds[0],
                    starts_at=start,
                    ends_at=start + timedelta(minutes=50),
                    price_amount=15000,
                    currency="ISK",
                )
            )
    Booking.objects.bulk_create(bookings, batch_size=5000)
    numbers = dict.fromkeys(p.pk for p in pros)
    invoices = []
    for booking in Booking.objects.filter(client=client).order_by("starts_at"):
        numbers[booking.professional_id] = (numbers[booking.professional_id] or 0) + 1
        past = booking.ends_at <= now
        invoices.append(
            Invoice(
                professional_id=booking.professional_id,
                number=numbers[booking.professional_id],
                booking=booking,
                description="Session",
                session_starts_at=booking.starts_at,
                amount=booking.price_amount,
                currency="ISK",
                status=Invoice.Status.PAID if past else Invoice.Status.OPEN,
                issued_at=booking.starts_at - timedelta(days=1),
                paid_at=booking.starts_at if past else None,
            )
        )
    Invoice.objects.bulk_create(invoices, batch_size=5000)
    return client, pros[0].user


class SqlTimer:
    """The time spent in the database's answers, how many there were, and the
    reads among them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self.reads = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1
            if sql.startswith("SELECT"):
                self.reads.append((sql, params))


def database_time(reads: list) -> float:
    """What the database itself spent planning and running the reads, in seconds
    (EXPLAIN ANALYZE of each again, the least of three): unlike the time waited,
    nothing else on the machine adds to it."""
    from django.db import connection

    total = 0.0
    with connection.cursor() as cursor:
        for sql, params in reads:
            best = float("inf")
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                [[plan]] = cursor.fetchone()
                best = min(best, plan["Planning Time"] + plan["Execution Time"])
            total += best / 1000
    return total


def measure(who, path: str) -> tuple[float, float, float, int, int]:
    """One cold request: CPU s, SQL s (waited), database s, the query count and
    the page's size in bytes."""
    from django.core.cache import cache
    from django.db import connection

    cache.clear()
    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        start = time.process_time()
        response = who.get(path, secure=True)
        cpu = time.process_time() - start
    assert response.status_code == 200, (path, response.status_code)
    database = database_time(timer.reads)
    return cpu, timer.seconds, database, timer.count, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a scratch PostgreSQL database")
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tengja-growth-"))
    os.environ.update(production_env(workdir, args.database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("flush", verbosity=0, interactive=False)  # a scratch database: start empty
    call_command("collectstatic", verbosity=0, interactive=False)
    # Both scales in one database, measured in turn, page by page: whatever else
    # the machine does meanwhile falls on both alike.
    pages = []  # (name, sessions, test client, path)
    for sessions in SCALES:
        started = time.perf_counter()
        client_user, professional_user = build(sessions)
        print(f"set-up: {sessions:,} sessions in {time.perf_counter() - started:.0f} s")
        as_client, as_professional = Client(), Client()
        as_client.force_login(client_user)
        as_professional.force_login(professional_user)
        pages += [(name, sessions, as_client, path) for name, path in CLIENT_PAGES.items()]
        pages += [
            (name, sessions, as_professional, path) for name, path in PROFESSIONAL_PAGES.items()
        ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would, after the bulk load
    for _, _, who, path in pages:
        who.get(path, secure=True)  # the process warmed up (templates, translations)
    samples = {(name, sessions): [] for name, sessions, _, _ in pages}
    for _ in range(args.requests):
        for name, sessions, who, path in pages:
            samples[name, sessions].append(measure(who, path))
    results = {
        key: (
            statistics.median(s[0] for s in runs) * 1000,
            statistics.median(s[1] for s in runs) * 1000,
            statistics.median(s[2] for s in runs) * 1000,
            max(s[3] for s in runs),
            runs[-1][4],
        )
        for key, runs in samples.items()
    }

    small, large = SCALES
    columns = ("CPU ms", "SQL ms", "DB ms", "queries", "KB")
    print(f"{'page':<14}" + "".join(f"{c:>14}" for c in columns) + f"{'growth':>9}")
    print(f"{'':<14}" + f"{f'{small:,}':>7}{f'{large:,}':>7}" * len(columns))
    worst = 0.0
    for name in [*CLIENT_PAGES, *PROFESSIONAL_PAGES]:
        one, two = results[name, small], results[name, large]
        # Growth of CPU and of the database's own time (the time waited on it
        # also holds whatever else the machine did meanwhile).
        growth = max(two[0] / one[0], two[2] / one[2]) - 1
        worst = max(worst, growth)
        print(
            f"{name:<14}"
            + "".join(f"{a:>7.1f}{b:>7.1f}" for a, b in zip(one[:3], two[:3], strict=True))
            + f"{one[3]:>7}{two[3]:>7}{one[4] / 1000:>7.1f}{two[4] / 1000:>7.1f}{growth:>+9.0%}"
        )
    print(f"largest growth of CPU or DB time: {worst:+.0%} (at most +20%)")
    calendar = results["calendar", large][4] / 1000
    print(f"calendar page at {large:,} sessions: {calendar:.1f} KB (under 40 KB)")


if __name__ == "__main__":
    main()
