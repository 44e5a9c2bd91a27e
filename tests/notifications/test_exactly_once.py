"""Exactly once, with real task workers: two at once, and one killed mid-send."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tengja.notifications.models import Delivery
from tengja.notifications.services import deliveries_sweep, delivery_send
from tests.conftest import requires_postgres
from tests.factories import BookingFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    return "postgres://{}@{}:{}/{}".format(
        settings["USER"] or "", settings["HOST"] or "", settings["PORT"] or "", settings["NAME"]
    )


def worker_env(mail_dir: Path, **extra) -> dict:
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "tests.support.slow_mail.SendThenHangBackend",
        "VAR_DIR": str(mail_dir.parent),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def due_deliveries(count: int) -> list[int]:
    now = timezone.now()
    ids = []
    for _ in range(count):
        booking = BookingFactory(starts_at=now + timedelta(hours=2))
        ids.append(
            Delivery.objects.create(
                booking=booking, kind="reminder_1h", role="client", due_at=now
            ).pk
        )
    return ids


def enqueue(ids, settings) -> None:
    from tengja.notifications.tasks import delivery_send_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for delivery_id in ids:
        delivery_send_task.enqueue(delivery_id=delivery_id)


def sent_files(mail_dir: Path) -> list[Path]:
    return sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []


@requires_postgres
def test_two_threads_claiming_one_reminder_send_it_once(mailoutbox):
    [delivery_id] = due_deliveries(1)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(delivery_send(delivery_id=delivery_id))
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "taken"]
    assert len(mailoutbox) == 1


@requires_postgres
def test_two_real_workers_on_the_same_tasks_send_each_once(tmp_path, settings):
    mail_dir = tmp_path / "mail"
    ids = due_deliveries(20)
    enqueue(ids, settings)
    enqueue(ids, settings)  # every task twice, as a retried enqueue would
    env = worker_env(mail_dir, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--queue-name",
        "*",
        "-v",
        "0",
    ]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    assert len(sent_files(mail_dir)) == 20
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 20


def test_a_worker_killed_after_sending_does_not_send_again_on_restart(tmp_path, settings):
    mail_dir = tmp_path / "mail"
    [delivery_id] = due_deliveries(1)
    enqueue([delivery_id], settings)
    env = worker_env(mail_dir, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--queue-name",
        "*",
        "-v",
        "0",
    ]
    worker = subprocess.Popen(command, cwd=ROOT, env={**env, "TENGJA_HANG_AFTER_SEND": "1"})
    deadline = time.monotonic() + 60
    while not sent_files(mail_dir):
        assert time.monotonic() < deadline, "the worker never sent"
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)  # dies before it records the send
    worker.wait(timeout=10)
    assert Delivery.objects.get(pk=delivery_id).sent_at is None

    # Restart: a new worker, the sweep, and the same task enqueued again.
    enqueue([delivery_id], settings)
    later = timezone.now() + timedelta(minutes=30)
    deliveries_sweep(now=later)
    restarted = subprocess.run(
        [*command[:4], "--batch", *command[4:]], cwd=ROOT, env=env, timeout=120
    )
    assert restarted.returncode == 0
    assert len(sent_files(mail_dir)) == 1


def test_the_sweep_finds_what_a_lost_task_left_behind(settings, mailoutbox):
    [delivery_id] = due_deliveries(1)  # no task enqueued at all
    Delivery.objects.filter(pk=delivery_id).update(due_at=timezone.now() - timedelta(minutes=10))
    assert deliveries_sweep() == 1  # the immediate backend sends it at once
    assert len(mailoutbox) == 1
    assert deliveries_sweep() == 0


@requires_postgres
def test_a_cancellation_waits_for_a_reminder_being_sent(settings, mailoutbox):
    """A session cancelled while its reminder is going out: the cancellation waits
    until the reminder has gone (then the cancellation follows it), and never lets
    a reminder out after the session was cancelled."""
    from django.core import mail

    from tengja.bookings.models import Booking
    from tengja.bookings.services import booking_cancel
    from tests.support.slow_mail import PausingBackend

    [delivery_id] = due_deliveries(1)
    booking = Booking.objects.get(deliveries__pk=delivery_id)
    PausingBackend.sending, PausingBackend.go = threading.Event(), threading.Event()
    settings.EMAIL_BACKEND = "tests.support.slow_mail.PausingBackend"
    results = {}

    def send():
        try:
            results["reminder"] = delivery_send(delivery_id=delivery_id)
        finally:
            connection.close()

    def cancel():
        try:
            booking_cancel(booking=booking, by=booking.client)
            results["cancelled_while_sending"] = not PausingBackend.go.is_set()
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    assert PausingBackend.sending.wait(timeout=15)
    canceller = threading.Thread(target=cancel)
    canceller.start()
    canceller.join(timeout=1.0)
    # Not committed while the reminder is on its way.
    assert not Booking.objects.get(pk=booking.pk).is_cancelled
    PausingBackend.go.set()
    sender.join(timeout=15)
    canceller.join(timeout=15)
    assert results == {"reminder": "sent", "cancelled_while_sending": False}
    assert "Reminder" in mail.outbox[0].subject and "cancelled" in mail.outbox[1].subject
    assert Booking.objects.get(pk=booking.pk).is_cancelled
    assert Delivery.objects.get(pk=delivery_id).sent_at is not None
