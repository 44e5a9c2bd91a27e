#!/usr/bin/env python
"""Free slots of 50 professionals over 4 weeks: time and number of queries.

.venv/bin/python scripts/bench_slots.py [--database-url URL]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tengja-slots-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tengja.settings",
        DEBUG="true",
        VAR_DIR=str(workdir),
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tengja.accounts.models import User
    from tengja.bookings.models import Booking
    from tengja.bookings.slots import free_slots
    from tengja.professionals.models import Professional, SessionType, WeeklyAvailability

    call_command("migrate", verbosity=0)
    now = timezone.now()
    for n in range(50):
        user = User.objects.create_user(
            f"pro{n}@bench.test",
            None,
            name=f"Pro {n}",
            time_zone=["Atlantic/Reykjavik", "Europe/London", "America/New_York"][n % 3],
        )
        pro = Professional.objects.create(user=user, title="Psychologist")
        kind = SessionType.objects.create(
            professional=pro, name="S", duration_minutes=50, price_amount=1, currency="ISK"
        )
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(professional=pro, weekday=d, starts=clock(9), ends=clock(17))
            for d in range(5)
        )
        Booking.objects.bulk_create(
            Booking(
                professional=pro,
                session_type=kind,
                price_amount=1,
                currency="ISK",
                starts_at=now + timedelta(days=1 + i, hours=2),
                ends_at=now + timedelta(days=1 + i, hours=3),
            )
            for i in range(20)
        )
    pros = list(Professional.objects.select_related("user"))
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            slots = free_slots(
                professionals=pros,
                duration=timedelta(minutes=50),
                start=timezone.localdate(),
                days=28,
            )
            times.append(time.perf_counter() - started)
    total = sum(len(v) for v in slots.values())
    first_times = []
    for _ in range(5):
        started = time.perf_counter()
        free_slots(
            professionals=pros,
            duration=timedelta(minutes=50),
            start=timezone.localdate(),
            days=28,
            first_only=True,
        )
        first_times.append(time.perf_counter() - started)
    print(f"database: {connection.vendor}")
    print(
        f"free slots of {len(pros)} professionals over 4 weeks: {total} slots, "
        f"{len(queries.captured_queries)} queries, median {statistics.median(times) * 1000:.0f} ms "
        f"(best {min(times) * 1000:.0f} ms) over {len(times)} runs"
    )
    print(
        f"next free time only (the hub browse page): median "
        f"{statistics.median(first_times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
