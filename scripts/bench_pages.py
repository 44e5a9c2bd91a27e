#!/usr/bin/env python
"""Server time per page with demo data scaled up (1,000 clients, 50 professionals,
20,000 sessions, 5,000 invoices), each as a ratio to the bare /health/ view served
by the same server process in the same run, and each page's SQL query count.

    .venv/bin/python scripts/bench_pages.py [--requests 50] [--database-url URL]
"""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark passphrase 1"


def build(now):
    from django.contrib.auth.hashers import make_password

    from tengja.accounts.models import User
    from tengja.billing.models import Invoice
    from tengja.bookings.models import Booking
    from tengja.hubs.models import Company, CreditEntry, Hub, HubProfessional, Membership
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
    upcoming = (
        Booking.objects.filter(client=clients[0], starts_at__gt=now).order_by("starts_at").first()
    )
    return clients[0], upcoming


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tengja-pages-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" * 10,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SITE_URL": "https://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    user, upcoming = build(timezone.now())
    print(f"set-up: scaled data in {time.perf_counter() - started:.0f} s ({connection.vendor})")
    pages = {
        "health (baseline)": "/health/",
        "Home": "/",
        "calendar": "/calendar/",
        "Payments": "/payments/",
        "hub browse": "/hubs/bench/professionals/",
        "session page": f"/sessions/{upcoming.code}/",
    }
    queries = {}
    django_client = Client()
    django_client.force_login(user)
    for name, path in pages.items():
        with CaptureQueriesContext(connection) as captured:
            status = django_client.get(path, secure=True).status_code
        assert status == 200, (path, status)
        queries[name] = len(captured.captured_queries)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tengja.asgi:application",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        deadline = time.monotonic() + 20
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        session = django_client.cookies["sessionid"].value
        headers = {"Cookie": f"sessionid={session}"}
        timings = {}
        for name, path in pages.items():
            samples = []
            for i in range(args.requests + 3):
                start = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                if i >= 3:  # the first few warm caches up
                    samples.append(time.perf_counter() - start)
                assert response.status == 200, (path, response.status, body[:200])
            timings[name] = statistics.median(samples)
        baseline = timings["health (baseline)"]
        print(f"{'page':<20}{'median ms':>10}{'x health':>10}{'queries':>9}")
        for name in pages:
            print(
                f"{name:<20}{timings[name] * 1000:>10.1f}{timings[name] / baseline:>10.1f}{queries[name]:>9}"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
