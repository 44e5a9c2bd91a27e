#!/usr/bin/env python
"""How fast one task worker sends reminders: 10,000 sessions due for a reminder,
one `db_worker` sending them all, the rate printed and duplicates counted.

    .venv/bin/python scripts/bench_reminders.py [--sessions 10000] [--database-url URL]

Without --database-url it uses a throwaway SQLite file. With one, give it a
scratch PostgreSQL database: the script migrates it and writes 10,000 rows.
"""

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tengja-reminders-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tengja.settings",
        DEBUG="true",
        VAR_DIR=str(workdir),
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.utils import timezone

    from tengja.accounts.models import User
    from tengja.bookings.models import Booking
    from tengja.notifications.models import Delivery
    from tengja.notifications.tasks import delivery_send_task
    from tengja.professionals.models import Professional, SessionType

    call_command("migrate", verbosity=0)
    mail.outbox = []
    started = time.perf_counter()
    now = timezone.now()
    professionals = []
    for n in range(50):
        user = User.objects.create_user(f"pro{n}@bench.test", None, name=f"Professional {n}")
        professional = Professional.objects.create(user=user, title="Psychologist")
        kind = SessionType.objects.create(
            professional=professional,
            name="Session",
            duration_minutes=50,
            price_amount=1,
            currency="ISK",
        )
        professionals.append((professional, kind))
    clients = User.objects.bulk_create(
        User(email=f"client{n}@bench.test", name=f"Client {n}", password="!") for n in range(1000)
    )
    clients = list(User.objects.filter(email__endswith="@bench.test", name__startswith="Client"))
    bookings = []
    for n in range(args.sessions):
        professional, kind = professionals[n % 50]
        start = now + timedelta(minutes=30 + 60 * (n // 50))
        bookings.append(
            Booking(
                professional=professional,
                client=clients[n % len(clients)],
                session_type=kind,
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                price_amount=1,
                currency="ISK",
            )
        )
    Booking.objects.bulk_create(bookings, batch_size=1000)
    Delivery.objects.bulk_create(
        (
            Delivery(booking=b, kind="reminder_1h", role="client", due_at=now)
            for b in Booking.objects.all()
        ),
        batch_size=1000,
    )
    ids = list(Delivery.objects.values_list("pk", flat=True))
    for delivery_id in ids:
        delivery_send_task.enqueue(delivery_id=delivery_id)
    print(f"set-up: {len(ids)} reminders due and enqueued in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )
    elapsed = time.perf_counter() - started

    ids_sent = Counter(message.extra_headers["Message-ID"] for message in mail.outbox)
    duplicates = sum(count - 1 for count in ids_sent.values() if count > 1)
    recorded = Delivery.objects.filter(sent_at__isnull=False).count()
    print(f"database: {django.db.connection.vendor}")
    print(
        f"one worker sent {len(mail.outbox)} reminders in {elapsed:.1f} s: "
        f"{len(mail.outbox) / elapsed:.0f} reminders per second"
    )
    print(f"recorded as sent: {recorded}; sent twice: {duplicates}")
    if duplicates or len(mail.outbox) != len(ids) or recorded != len(ids):
        sys.exit("FAILED: not every reminder was sent exactly once")


if __name__ == "__main__":
    main()
