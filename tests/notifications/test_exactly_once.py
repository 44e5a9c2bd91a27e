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


def enqueue(settings, times: int = 1) -> None:
    """What a booking's commit does: a task to send what is due, on the database queue."""
    from tengja.notifications.tasks import deliveries_send_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for _ in range(times):
        deliveries_send_task.enqueue()


WORKER = [
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
    enqueue(settings, times=2)  # two tasks for the same e-mails, as a retried enqueue would
    env = worker_env(mail_dir, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    command = [*WORKER[:4], "--batch", *WORKER[4:]]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    assert len(sent_files(mail_dir)) == 20
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 20


def kill_after_sending(mail_dir: Path, env: dict, count: int) -> None:
    """Start a worker that hangs once it has sent `count` e-mails, and kill it there:
    it dies before it records the last one."""
    worker = subprocess.Popen(WORKER, cwd=ROOT, env={**env, "TENGJA_HANG_AFTER_SEND": str(count)})
    deadline = time.monotonic() + 60
    while len(sent_files(mail_dir)) < count:
        assert time.monotonic() < deadline, "the worker never sent"
        assert worker.poll() is None, "the worker stopped by itself"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


def restart(env: dict, settings) -> None:
    """A new worker, the sweep (later, when the claim is stale), the task enqueued again."""
    enqueue(settings)
    deliveries_sweep(now=timezone.now() + timedelta(minutes=30))
    restarted = subprocess.run(
        [*WORKER[:4], "--batch", *WORKER[4:]], cwd=ROOT, env=env, timeout=120
    )
    assert restarted.returncode == 0


def message_ids(mail_dir: Path) -> list[str]:
    from email import message_from_bytes

    return [message_from_bytes(path.read_bytes())["Message-ID"] for path in sent_files(mail_dir)]


def test_a_worker_killed_after_sending_does_not_send_again_on_restart(tmp_path, settings):
    mail_dir = tmp_path / "mail"
    [delivery_id] = due_deliveries(1)
    enqueue(settings)
    env = worker_env(mail_dir, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    kill_after_sending(mail_dir, env, 1)
    assert Delivery.objects.get(pk=delivery_id).sent_at is None  # died before recording it

    restart(env, settings)
    assert len(sent_files(mail_dir)) == 1
    given_up = Delivery.objects.get(pk=delivery_id)
    assert given_up.failed_at is not None and "not sent again" in given_up.last_error


def test_a_worker_killed_mid_batch_leaves_the_rest_to_send_exactly_once(tmp_path, settings):
    """Killed while sending the 3rd of a batch of 6: the first two are recorded, the
    3rd may have gone (here it did) and is not sent again, the last three are sent
    by the next worker. Every e-mail reached its recipient once."""
    mail_dir = tmp_path / "mail"
    ids = due_deliveries(6)
    enqueue(settings)
    env = worker_env(mail_dir, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    kill_after_sending(mail_dir, env, 3)
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 2
    assert Delivery.objects.filter(pk__in=ids, claimed_at__isnull=False).count() == 6

    restart(env, settings)
    sent = message_ids(mail_dir)
    assert len(sent) == 6 and len(set(sent)) == 6
    assert all(any(m.startswith(f"<delivery-{pk}.") for m in sent) for pk in ids)
    third = Delivery.objects.get(pk=sorted(ids)[2])
    assert third.sent_at is None and third.failed_at is not None
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 5


def unfinished(ids: list[int]) -> int:
    return Delivery.objects.filter(
        pk__in=ids, sent_at__isnull=True, skipped_at__isnull=True, failed_at__isnull=True
    ).count()


@requires_postgres
def test_a_killed_workers_batch_goes_out_within_a_minute_by_another_worker(tmp_path, settings):
    """300 reminders due at once, and their worker killed (SIGKILL) after sending 227,
    before it could record the 227th. With the periodic jobs running, as in
    production, and another worker alive, the other 73 go out within a minute of
    the kill, not 15 minutes later: the one on its way is given up (it had gone,
    and is not sent twice), the rest are sent once."""
    mail_dir = tmp_path / "mail"
    ids = due_deliveries(300)
    enqueue(settings)
    env = worker_env(mail_dir, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    periodic = subprocess.Popen(
        [sys.executable, "manage.py", "periodic", "--every", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    other = None
    try:
        kill_after_sending(mail_dir, env, 227)
        killed_at = time.monotonic()
        assert unfinished(ids) == 74  # the 227th was sent, not recorded
        other = subprocess.Popen(WORKER, cwd=ROOT, env=env)
        while unfinished(ids):
            assert time.monotonic() - killed_at < 62, f"{unfinished(ids)} still waiting"
            time.sleep(0.25)
    finally:
        for process in (other, periodic):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    sent = message_ids(mail_dir)
    assert len(sent) == 300 and len(set(sent)) == 300  # each reached its recipient once
    [given_up] = Delivery.objects.filter(pk__in=ids, failed_at__isnull=False)
    assert "not sent again" in given_up.last_error
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 299


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


@requires_postgres
def test_workers_claiming_at_once_take_disjoint_batches():
    from tengja.notifications.services import _claim_due

    ids = due_deliveries(12)
    barrier = threading.Barrier(3)
    taken = []

    def claim():
        try:
            barrier.wait()
            while batch := _claim_due(timezone.now(), 2)[1]:
                taken.append(batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    every = [pk for batch in taken for pk in batch]
    assert sorted(every) == sorted(ids)  # each taken once, none left
    assert all(len(batch) <= 2 for batch in taken)


@requires_postgres
def test_a_client_cancelling_while_their_invitation_is_being_sent_waits_for_it(
    settings, monkeypatch, professional, alice
):
    """The confirmation of an invitation writes the invitation's new link; the
    client cancelling marks the invitation seen. Both take the session first, so
    the cancellation waits for the e-mail instead of the two deadlocking."""
    from tengja.bookings.models import Booking
    from tengja.bookings.services import booking_cancel, booking_invite
    from tengja.notifications import services
    from tests.factories import SessionTypeFactory

    kind = SessionTypeFactory(professional=professional)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # not sent yet
    booking = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=3),
        email=alice.email,
    )
    confirmation = Delivery.objects.get(booking=booking, kind="confirmation")
    rendering, go = threading.Event(), threading.Event()
    render = services._message

    def slow_render(delivery):
        rendering.set()
        go.wait(timeout=15)
        return render(delivery)

    monkeypatch.setattr(services, "_message", slow_render)
    results = {}

    def send():
        try:
            results["confirmation"] = delivery_send(delivery_id=confirmation.pk)
        finally:
            connection.close()

    def cancel():
        try:
            booking_cancel(booking=booking, by=alice)
            results["cancelled"] = True
        except Exception as error:
            results["cancelled"] = repr(error)
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    assert rendering.wait(timeout=15)
    canceller = threading.Thread(target=cancel)
    canceller.start()
    canceller.join(timeout=1.5)
    assert not Booking.objects.get(pk=booking.pk).is_cancelled  # waiting for the e-mail
    go.set()
    sender.join(timeout=15)
    canceller.join(timeout=15)
    assert results == {"confirmation": "sent", "cancelled": True}
    assert Booking.objects.get(pk=booking.pk).is_cancelled


@requires_postgres
def test_a_lapsed_claim_of_a_worker_still_sending_is_left_to_it(settings, mailoutbox, monkeypatch):
    """One e-mail takes longer than the lease (a slow mail server): its row is
    locked while it is sent, so the sweep knows its worker is alive, and neither
    gives it up nor lets the batch be sent twice."""
    from tengja.notifications import services
    from tests.support.slow_mail import PausingBackend

    ids = due_deliveries(3)
    claim, claimed = services._claim_due(timezone.now(), 10)
    lapsed = timezone.now() - services.LEASE - timedelta(seconds=1)
    Delivery.objects.filter(claim=claim).update(claimed_at=lapsed)
    monkeypatch.setattr(services, "HEARTBEAT", timedelta(minutes=5))  # it renews no more
    PausingBackend.sending, PausingBackend.go = threading.Event(), threading.Event()
    settings.EMAIL_BACKEND = "tests.support.slow_mail.PausingBackend"
    results = {}

    def send():
        try:
            results["batch"] = services._send_batch(claim, claimed, timezone.now())
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    assert PausingBackend.sending.wait(timeout=15)
    started = time.monotonic()
    assert services.deliveries_sweep() == 0  # alive: left alone
    assert time.monotonic() - started < 2  # without waiting for the e-mail
    PausingBackend.go.set()
    sender.join(timeout=15)
    assert results["batch"] == {"sent": 3}
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 3
    assert len(mailoutbox) == 3
