"""E-mails go out in batches: one claim, one mail connection, one task per due second."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tengja.bookings.services import booking_cancel, booking_move
from tengja.notifications import services
from tengja.notifications.models import Delivery
from tests.factories import BookingFactory
from tests.support.slow_mail import CountingBackend, FailingOnceBackend


@pytest.fixture
def due(db):
    def due(count: int, **fields) -> list[int]:
        now = timezone.now()
        return [
            Delivery.objects.create(
                booking=BookingFactory(starts_at=now + timedelta(hours=2)),
                kind="reminder_1h",
                role="client",
                due_at=now,
                **fields,
            ).pk
            for _ in range(count)
        ]

    return due


@pytest.fixture
def database_queue(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_due_emails_go_in_batches_each_over_one_connection(due, settings):
    settings.EMAIL_BACKEND = "tests.support.slow_mail.CountingBackend"
    CountingBackend.opened = 0
    ids = due(7)
    later = Delivery.objects.create(
        booking=BookingFactory(),
        kind="reminder_1h",
        role="client",
        due_at=timezone.now() + timedelta(minutes=5),
    )

    outcomes = services.deliveries_send_due(batch_size=3)

    assert outcomes == {"sent": 7}
    assert CountingBackend.opened == 3  # batches of 3, 3 and 1
    assert len(mail.outbox) == 7
    assert Delivery.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 7
    assert Delivery.objects.filter(pk__in=ids).values("claim").distinct().count() == 3
    later.refresh_from_db()
    assert later.claimed_at is None  # not due yet: left alone
    assert services.deliveries_send_due() == {}


def test_one_task_per_second_of_due_times_not_one_per_email(database_queue):
    at_nine = (timezone.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    for _ in range(50):
        services._enqueue(at_nine)
    services._enqueue(at_nine + timedelta(seconds=1))
    tasks = DBTaskResult.objects.order_by("run_after")
    assert [task.run_after for task in tasks] == [
        at_nine + timedelta(seconds=1),
        at_nine + timedelta(seconds=2),
    ]


def test_a_full_batch_asks_for_another_worker(due, database_queue):
    due(5)
    assert services.deliveries_send_due(batch_size=2) == {"sent": 5}
    # One task asked for (by the first full batch), which will find nothing left.
    [helper] = DBTaskResult.objects.all()
    assert helper.task_path == "tengja.notifications.tasks.deliveries_send_task"


def test_two_batches_never_share_an_email(due):
    ids = due(4)
    now = timezone.now()
    first_claim, first = services._claim_due(now, 3)
    second_claim, second = services._claim_due(now, 3)
    assert first_claim != second_claim
    assert len(first) == 3 and len(second) == 1
    assert sorted(first + second) == sorted(ids)
    assert services._claim_due(now, 3)[1] == []


def test_a_reminder_taken_just_before_its_session_moved_is_not_sent(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email)
    mail.outbox.clear()
    reminder = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    claim, [claimed] = services._claim_due(reminder.due_at, 1)
    assert claimed == reminder.pk
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(
            booking=booking, by=professional.user, starts_at=booking.starts_at + timedelta(days=2)
        )
    mail.outbox.clear()

    reminder.refresh_from_db()
    assert reminder.skipped_at is not None and reminder.last_error == "moved"
    assert services._send_batch(claim, [reminder.pk], reminder.due_at) == {}
    assert mail.outbox == []
    # The reminder for the new time is planned and unclaimed.
    booking.refresh_from_db()
    new = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client", claim="")
    assert new.due_at == booking.starts_at - timedelta(hours=24)


def test_a_failure_mid_batch_retries_that_one_and_sends_the_rest(due, settings):
    settings.EMAIL_BACKEND = "tests.support.slow_mail.FailingOnceBackend"
    FailingOnceBackend.calls = 0
    ids = due(3)
    outcomes = services.deliveries_send_due()
    assert outcomes == {"sent": 2, "retry": 1}
    retry = Delivery.objects.get(pk__in=ids, sent_at__isnull=True)
    assert retry.claim == "" and retry.claimed_at is None and retry.attempts == 1
    assert retry.due_at > timezone.now()


def test_a_session_cancelled_while_its_batch_waits_gets_no_reminder(
    book, alice, django_capture_on_commit_callbacks
):
    booking = book(alice.email)
    reminder = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    claim, ids = services._claim_due(reminder.due_at, 10)
    assert reminder.pk in ids
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=alice)
    mail.outbox.clear()

    services._send_batch(claim, ids, reminder.due_at)
    reminder.refresh_from_db()
    assert reminder.sent_at is None and reminder.last_error == "cancelled"
    assert not [m for m in mail.outbox if "Reminder" in m.subject]


def test_a_slow_batch_keeps_its_claim_alive(due, monkeypatch):
    """A worker still sending says so: its claim's time moves on, so the sweep never
    takes a slow batch for a dead one."""
    monkeypatch.setattr(services, "HEARTBEAT", timedelta(0))
    ids = due(3)
    long_ago = timezone.now() - timedelta(minutes=20)
    claim, claimed = services._claim_due(timezone.now(), 10)
    Delivery.objects.filter(pk__in=claimed).update(claimed_at=long_ago)
    seen = []
    render = services._message

    def rendering(delivery):
        seen.append(Delivery.objects.get(pk=sorted(ids)[-1]).claimed_at)
        return render(delivery)

    monkeypatch.setattr(services, "_message", rendering)
    assert services._send_batch(claim, claimed, timezone.now()) == {"sent": 3}
    assert all(at > long_ago + timedelta(minutes=10) for at in seen)


def test_a_failed_enqueue_lets_the_next_email_of_that_second_try_again(database_queue, monkeypatch):
    from django_tasks_db.backend import DatabaseBackend

    at_nine = (timezone.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    real = DatabaseBackend.enqueue

    def down(self, *args, **kwargs):
        raise ConnectionError("the queue is away")

    monkeypatch.setattr(DatabaseBackend, "enqueue", down)
    services._enqueue(at_nine)  # logged; the sweep would find its e-mail
    monkeypatch.setattr(DatabaseBackend, "enqueue", real)
    services._enqueue(at_nine)
    assert DBTaskResult.objects.count() == 1


@pytest.mark.parametrize(
    "finished",
    [
        {"sent_at": timezone.now},
        {"skipped_at": timezone.now},
        {"failed_at": timezone.now},
        {"claim": lambda: "another-claim"},
    ],
    ids=["sent", "skipped", "failed", "claimed-by-another"],
)
def test_an_email_is_marked_sent_only_if_unfinished_and_still_this_claims(due, finished):
    """_mark_sent writes UNFINISHED's condition by hand; the two must agree."""
    (pk,) = due(1, claim="mine")
    Delivery.objects.filter(pk=pk).update(**{k: v() for k, v in finished.items()})
    delivery = Delivery.objects.get(pk=pk)
    before = Delivery.objects.filter(pk=pk).values().get()

    assert services._mark_sent(delivery, "mine") is False
    assert Delivery.objects.filter(pk=pk).values().get() == before
    assert Delivery.objects.filter(services.UNFINISHED, pk=pk, claim="mine").exists() is False


def test_marking_sent_records_the_time_and_the_attempt(due):
    (pk,) = due(1, claim="mine")
    delivery = Delivery.objects.get(pk=pk)

    assert services._mark_sent(delivery, "mine") is True
    delivery.refresh_from_db()
    assert delivery.sent_at is not None and delivery.attempts == 1
    assert services._mark_sent(delivery, "mine") is False  # once
