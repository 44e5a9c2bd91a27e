#!/usr/bin/env python
"""Server time per page with demo data scaled up (1,000 clients, 50 professionals,
20,000 sessions, 5,000 invoices), each as a ratio to the bare /health/ view served
by the same server process, requested in turn with the page (so both are timed
over the same stretch), and each page's SQL query count.

Every request is a cold one: nothing a page shows of a person is kept between
requests, and each is made in a session of its own (the person signed in
afresh), so the median is what a person's first visit costs. Apart from it:
"first in process", the page's first request after the server started (its
templates compiled), which a restarted worker pays once; and for hub browse,
which keeps each professional's next free time a minute for everyone (shared,
not personal), the same page with that cache emptied before each request.

Pages are seen by a heavy client (400 sessions, a hub membership, 500
notifications), a professional with every hour of the week booked (their Home,
week and practice pages), and a hub's HR admin (200 members, a year of credits).

    .venv/bin/python scripts/bench_pages.py [--requests 50] [--database-url URL]
"""

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

from support import ROOT, asgi_server, free_port, production_env

PASSWORD = "benchmark passphrase 1"


def build(now):
    from django.contrib.auth.hashers import make_password

    from tengja.accounts.models import User
    from tengja.billing.models import Invoice
    from tengja.bookings.models import Booking
    from tengja.hubs.models import Company, CreditEntry, Hub, HubProfessional, Membership
    from tengja.lib.dates import add_months
    from tengja.notifications.models import Notification
    from tengja.professionals.models import Professional, SessionType, WeeklyAvailability

    password = make_password(PASSWORD)
    clients = User.objects.bulk_create(
        User(email=f"client{n}@bench.test", name=f"Client {n}", password=password)
        for n in range(1000)
    )
    clients = list(User.objects.filter(email__startswith="client").order_by("pk"))
    pros, kinds = [], []
    for n in range(50):
        user = User.objects.create(email=f"pro{n}@bench.test", name=f"Pro {n}", password=password)
        pro = Professional.objects.create(user=user, title="Psychologist")
        kinds.append(
            SessionType.objects.create(
                professional=pro,
                name="Session",
                duration_minutes=50,
                price_amount=15000,
                currency="ISK",
            )
        )
        pros.append(pro)
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(professional=pro, weekday=d, starts=clock(8), ends=clock(18))
            for d in range(7)
        )
    bookings = []
    for n in range(20_000):
        pro_index = n % 50
        slot = n // 50  # each professional's sessions an hour apart, half past, half to come
        start = now + timedelta(hours=slot - 200, minutes=30)
        client = clients[0] if n % 50 == 0 else clients[n % 1000]  # client 0 is a heavy user
        bookings.append(
            Booking(
                professional=pros[pro_index],
                client=client,
                session_type=kinds[pro_index],
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                price_amount=15000,
                currency="ISK",
            )
        )
    Booking.objects.bulk_create(bookings, batch_size=2000)
    invoiced = list(Booking.objects.order_by("pk")[:5000])
    Invoice.objects.bulk_create(
        (
            Invoice(
                professional_id=b.professional_id,
                number=i + 1,
                booking=b,
                description="Session",
                session_starts_at=b.starts_at,
                amount=b.price_amount,
                currency="ISK",
            )
            for i, b in enumerate(invoiced)
        ),
        batch_size=2000,
    )
    company = Company.objects.create(name="Bench hf.")
    hub = Hub.objects.create(company=company, name="Bench Hub", code="bench")
    HubProfessional.objects.bulk_create(
        HubProfessional(hub=hub, professional=p, session_type=k, status="accepted")
        for p, k in zip(pros, kinds, strict=True)
    )
    membership = Membership.objects.create(
        hub=hub, user=clients[0], email=clients[0].email, status="active"
    )
    CreditEntry.objects.create(
        membership=membership, kind="grant", amount=6, expires_at=now + timedelta(days=300)
    )
    # HR's view: 200 colleagues who joined a year ago and used credits since.
    hr = User.objects.create(email="hr@bench.test", name="HR", password=password)
    company.admins.add(hr)
    year_ago = add_months(now, -12)
    colleagues = Membership.objects.bulk_create(
        Membership(hub=hub, user=c, email=c.email, status="active", verified_at=year_ago)
        for c in clients[1:201]
    )
    CreditEntry.objects.bulk_create(
        [CreditEntry(membership=m, kind="grant", amount=6, created_at=year_ago) for m in colleagues]
        + [
            CreditEntry(
                membership=m, kind="spend", amount=-1, created_at=add_months(year_ago, month)
            )
            for i, m in enumerate(colleagues)
            for month in range(1, 12)
            if (i + month) % 2 == 0
        ]
    )
    # 500 notifications for the heavy client, the newest 20 unread.
    notices = list(Booking.objects.filter(client=clients[0]).order_by("-starts_at")[:500])
    Notification.objects.bulk_create(
        Notification(
            user=clients[0],
            kind="booked",
            booking=b,
            created_at=now - timedelta(hours=i),
            read_at=None if i < 20 else now,
        )
        for i, b in enumerate(notices)
    )
    upcoming = (
        Booking.objects.filter(client=clients[0], starts_at__gt=now).order_by("starts_at").first()
    )
    return {"client": clients[0], "professional": pros[0].user, "hr": hr}, upcoming


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", help="cache in Redis, as at scale (default: in-process)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tengja-pages-"))
    env = production_env(workdir, args.database_url, args.redis_url)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    call_command("flush", verbosity=0, interactive=False)  # a scratch database: start empty
    cache.clear()  # no rate-limit counts left from the last run
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    people, upcoming = build(timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, after the bulk load
    print(f"set-up: scaled data in {time.perf_counter() - started:.0f} s ({connection.vendor})")
    pages = {  # name: (who, path)
        "health (baseline)": ("client", "/health/"),
        # The terms page shows nothing of the person's: what every signed-in page
        # pays before its own content (session, user, the header's look-ups, base).
        "signed-in floor": ("client", "/accounts/terms/"),
        "Home": ("client", "/"),
        "calendar": ("client", "/calendar/"),
        "Payments": ("client", "/payments/"),
        "notifications": ("client", "/notifications/"),
        "hub browse": ("client", "/hubs/bench/professionals/"),
        "session page": ("client", f"/sessions/{upcoming.code}/"),
        "pro Home": ("professional", "/"),
        "pro week": ("professional", "/practice/week/"),
        "pro practice": ("professional", "/practice/"),
        "pro clients": ("professional", "/practice/clients/"),
        "HR admin": ("hr", "/hubs/bench/admin/"),
    }
    queries = {}
    clients = {}
    for who, user in people.items():
        clients[who] = Client()
        clients[who].force_login(user)
    for name, (who, path) in pages.items():
        with CaptureQueriesContext(connection) as captured:
            status = clients[who].get(path, secure=True).status_code
        assert status == 200, (path, status)
        queries[name] = len(captured.captured_queries)
    queries["hub browse, no cache"] = queries["hub browse"]  # the first: nothing kept yet
    with CaptureQueriesContext(connection) as captured:
        clients["client"].get(pages["hub browse"][1], secure=True)
    queries["hub browse"] = len(captured.captured_queries)
    # A session of its own for each request: each is a person's first visit.
    # (Made before the request's clock starts.)

    def fresh_session(who: str) -> str:
        fresh = Client()
        fresh.force_login(people[who])
        return fresh.cookies["sessionid"].value

    port = free_port()
    with asgi_server({**os.environ, **env}, port):
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def get(who: str, path: str) -> float:
            cookie = fresh_session(who)
            start = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, (path, response.status, body[:200])
            return time.perf_counter() - start

        baseline_who, baseline_path = pages.pop("health (baseline)")
        for _ in range(args.requests):
            get(baseline_who, baseline_path)  # the server warmed up
        timings = {}
        runs = [(name, who, path, False) for name, (who, path) in pages.items()]
        runs.append(("hub browse, no cache", *pages["hub browse"], True))
        for name, who, path, empty_cache in runs:
            # Each request of the page is followed by one of /health/: the ratio
            # is taken over the same stretch of time, whatever the machine does
            # meanwhile. The first is the first in this process (the page's
            # templates compiled); each is a person's first visit (a session of
            # its own; nothing of a person is kept between requests).
            samples, baseline = [], []
            for _ in range(args.requests + 1):
                if empty_cache:
                    cache.clear()
                samples.append(get(who, path))
                baseline.append(get(baseline_who, baseline_path))
            health = statistics.median(baseline)
            timings[name] = (samples[0], statistics.median(samples[1:]), health)
        print(
            f"{'page (cold: a first visit)':<28}{'ms':>7}{'x health':>10}{'queries':>9}"
            f"{'health ms':>10}{'first in process ms':>21}"
        )
        for name, *_ in runs:
            first, cold, health = timings[name]
            print(
                f"{name:<28}{cold * 1000:>7.1f}{cold / health:>10.1f}{queries[name]:>9}"
                f"{health * 1000:>10.1f}{first * 1000:>21.1f}"
            )


if __name__ == "__main__":
    main()
