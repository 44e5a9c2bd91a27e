#!/usr/bin/env python
"""How fast task workers send reminders: 10,000 sessions due for their 1-hour
reminder at once (the top of the hour), the product's own `db_worker` processes
sending them to .eml files, for 1 and then 2 workers; then one worker killed
mid-batch, another taking over (with the periodic jobs running). Prints the rates,
how long the killed worker's batch waited, and counts every e-mail sent twice.

    .venv/bin/python scripts/bench_reminders.py [--sessions 10000] [--workers 1,2]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_reminders]

Without --database-url it uses a throwaway SQLite file (one worker: SQLite takes
one writer at a time). With one, give it a scratch PostgreSQL database: the
script migrates it and writes the rows. Production settings (DEBUG off).
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from email import message_from_binary_file
from pathlib import Path

from support import ROOT, production_env

WORKER = ["manage.py", "db_worker", "--no-reload", "--queue-name", "*", "-v", "0"]


def setup(sessions: int) -> list[int]:
    """`sessions` bookings whose 1-hour reminders (client's) are all due now.

    Half the clients read Icelandic, and every professional's name has Icelandic
    letters, as most of Tengja's will: their subjects are encoded (RFC 2047)."""
    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tengja.accounts.models import User
    from tengja.bookings.models import Booking
    from tengja.notifications.models import Delivery
    from tengja.professionals.models import Professional, SessionType

    Delivery.objects.all().delete()
    DBTaskResult.objects.all().delete()
    now = timezone.now()
    # Sessions from an earlier run may have started: their reminders would be skipped.
    if Booking.objects.filter(starts_at__gt=now + timedelta(minutes=30)).count() < sessions:
        Booking.objects.all().delete()
        professionals = []
        for n in range(50):
            user, _ = User.objects.get_or_create(
                email=f"pro{n}@bench.test", defaults={"name": f"Þórdís Guðmundsdóttir {n}"}
            )
            professional, _ = Professional.objects.get_or_create(
                user=user, defaults={"title": "Psychologist"}
            )
            kind, _ = SessionType.objects.get_or_create(
                professional=professional,
                name="Session",
                defaults={"duration_minutes": 50, "price_amount": 1, "currency": "ISK"},
            )
            professionals.append((professional, kind))
        User.objects.bulk_create(
            (
                User(
                    email=f"client{n}@bench.test",
                    name=f"Client {n}",
                    password="!",
                    language=("en", "is")[n % 2],
                )
                for n in range(1000)
            ),
            ignore_conflicts=True,
        )
        clients = list(
            User.objects.filter(email__startswith="client", email__endswith="@bench.test")
        )
        bookings = []
        for n in range(sessions):
            professional, kind = professionals[n % 50]
            start = now + timedelta(hours=1 + n // 50)
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
    now = timezone.now()
    Delivery.objects.bulk_create(
        (
            Delivery(
                booking_id=pk,
                kind=Delivery.Kind.REMINDER_1H,
                role="client",
                due_at=now,
                context={"starts_at": starts_at.isoformat()},
            )
            for pk, starts_at in Booking.objects.values_list("pk", "starts_at")[:sessions]
        ),
        batch_size=1000,
    )
    # A production database has statistics on its tables; fresh bulk loads do not
    # until autovacuum comes round, and the planner guesses badly without them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return list(Delivery.objects.values_list("pk", flat=True))


def enqueue() -> None:
    """What the bookings' commits did: one task for the second they are due in."""
    from tengja.notifications.tasks import deliveries_send_task

    deliveries_send_task.enqueue()


def unfinished() -> int:
    from tengja.notifications.models import Delivery

    return Delivery.objects.filter(
        sent_at__isnull=True, skipped_at__isnull=True, failed_at__isnull=True
    ).count()


def start_workers(count: int, env: dict, **extra) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, *WORKER], cwd=ROOT, env={**env, **extra})
        for _ in range(count)
    ]


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=30)


def wait_until_done(timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while unfinished():
        if time.monotonic() > deadline:
            sys.exit("FAILED: the workers did not finish")
        time.sleep(0.2)


def sent_ids(mail_dir: Path) -> Counter:
    ids = Counter()
    for path in mail_dir.glob("*.eml"):
        with path.open("rb") as file:
            ids[message_from_binary_file(file)["Message-ID"]] += 1
    return ids


def span() -> float:
    """From the first claim to the last e-mail recorded as sent, in seconds."""
    from django.db.models import Max, Min

    from tengja.notifications.models import Delivery

    times = Delivery.objects.aggregate(first=Min("claimed_at"), last=Max("sent_at"))
    return (times["last"] - times["first"]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--workers", default=None, help="e.g. 1,2 (default: 1,2 on PostgreSQL)")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tengja-reminders-"))
    env = {
        **os.environ,
        **production_env(workdir, args.database_url),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "tengja.lib.mail.EmlFileBackend",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tengja.notifications.models import Delivery
    from tengja.notifications.services import BATCH_SIZE

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    counts = [
        int(n) for n in (args.workers or ("1,2" if vendor == "postgresql" else "1")).split(",")
    ]
    print(f"{args.sessions} reminders due at once, batches of {BATCH_SIZE}, database: {vendor}")
    print(f"{'workers':>8} {'reminders/s':>12} {'all sent after':>15} {'sent':>7} {'twice':>6}")
    failed = False
    for count in counts:
        env["VAR_DIR"] = str(workdir / f"workers-{count}")  # its e-mails in mail/ there
        mail_dir = workdir / f"workers-{count}" / "mail"
        ids = setup(args.sessions)
        connection.close()
        workers = start_workers(count, env)
        enqueue()
        wait_until_done()
        stop(workers)
        seconds = span()
        sent = sent_ids(mail_dir)
        twice = sum(n - 1 for n in sent.values() if n > 1)
        recorded = Delivery.objects.filter(sent_at__isnull=False).count()
        print(
            f"{count:>8} {len(ids) / seconds:>12.0f} {seconds:>14.1f}s "
            f"{sum(sent.values()):>7} {twice:>6}"
        )
        failed |= bool(twice or recorded != len(ids) or sum(sent.values()) != len(ids))

    # One worker killed with SIGKILL mid-batch, another worker alive and the periodic
    # jobs running, as in production: how long the rest of the batch waits.
    env["VAR_DIR"] = str(workdir / "killed")
    mail_dir = workdir / "killed" / "mail"
    ids = setup(min(args.sessions, 2000))
    connection.close()
    periodic = subprocess.Popen(
        [sys.executable, "manage.py", "periodic", "--every", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    [worker] = start_workers(1, env)
    enqueue()
    deadline = time.monotonic() + 120
    # Halfway and mid-batch: some of its claimed batch sent, the rest not.
    while len(list(mail_dir.glob("*.eml"))) < len(ids) // 2 + BATCH_SIZE // 3:
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit("FAILED: the worker stopped before it could be killed")
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed_at = time.monotonic()
    at_kill = len(list(mail_dir.glob("*.eml")))
    workers = start_workers(1, env)
    wait_until_done()
    waited = time.monotonic() - killed_at
    stop([*workers, periodic])
    sent = sent_ids(mail_dir)
    twice = sum(n - 1 for n in sent.values() if n > 1)
    given_up = list(Delivery.objects.filter(failed_at__isnull=False).values_list("pk", flat=True))
    gone = sum(1 for pk in given_up if any(m.startswith(f"<delivery-{pk}.") for m in sent))
    missing = len(ids) - len(sent)
    print(f"killed mid-batch: all sent or given up {waited:.1f}s after the kill")
    print(
        f"killed after {at_kill} of {len(ids)}, another worker: {sum(sent.values())} sent, "
        f"sent twice {twice}; the one on its way at the kill: given up "
        f"{'(it had gone out)' if gone else '(it had not gone out: lost)'}"
        if len(given_up) == 1
        else f"killed after {at_kill}: {sum(sent.values())} sent, twice {twice}, "
        f"given up {len(given_up)}, never sent {missing}"
    )
    failed |= bool(twice or missing > len(given_up) - gone or len(given_up) > 1)
    if failed:
        sys.exit("FAILED: not every reminder was sent exactly once")


if __name__ == "__main__":
    main()
