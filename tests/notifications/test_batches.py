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
    # One task asked for now (by the first full batch), which will find nothing left,
    # and one when the batch's lease runs out, in case this worker dies before that.
    look, helper = DBTaskResult.objects.order_by("run_after")  # "now" is stored as the last date
    assert helper.task_path == look.task_path == "tengja.notifications.tasks.deliveries_send_task"
    assert look.run_after < helper.run_after
    assert look.run_after > timezone.now() + services.LEASE - timedelta(seconds=5)


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


def test_a_lapsed_claim_is_given_back_by_the_next_task(due, mailoutbox):
    """A worker died 31 s after it last renewed its claim (a lease): the next task
    gives up the e-mail that may have been on its way and sends the rest."""
    ids = due(4)
    claim, claimed = services._claim_due(timezone.now(), 10)
    Delivery.objects.filter(pk=min(claimed)).update(sent_at=timezone.now())  # recorded
    lapsed = timezone.now() - services.LEASE - timedelta(seconds=1)
    Delivery.objects.filter(claim=claim).update(claimed_at=lapsed)

    assert services.deliveries_send_due() == {"sent": 2}
    _recorded, second, *rest = sorted(ids)
    given_up = Delivery.objects.get(pk=second)
    assert given_up.failed_at is not None and given_up.sent_at is None
    assert Delivery.objects.filter(pk__in=rest, sent_at__isnull=False).count() == 2
    assert len(mailoutbox) == 2


def test_a_claim_renewed_within_its_lease_is_left_to_its_worker(due, mailoutbox):
    due(2)
    claim, _ = services._claim_due(timezone.now(), 10)
    renewed = timezone.now() - services.LEASE + timedelta(seconds=5)
    Delivery.objects.filter(claim=claim).update(claimed_at=renewed)

    assert services.deliveries_send_due() == {}
    assert services.deliveries_sweep() == 0
    assert Delivery.objects.filter(claim=claim, failed_at__isnull=True).count() == 2
    assert mailoutbox == []


def test_a_batch_being_sent_has_a_task_look_at_it_when_its_lease_runs_out(due, database_queue):
    """If its worker dies, that task (run by any worker alive) takes the batch over,
    without waiting for the periodic sweep."""
    due(2)
    claim, _ = services._claim_due(timezone.now(), 10)
    renewed = Delivery.objects.filter(claim=claim).values_list("claimed_at", flat=True)[0]
    services.deliveries_sweep()
    [look] = DBTaskResult.objects.all()
    assert look.task_path == "tengja.notifications.tasks.deliveries_send_task"
    lease_end = renewed + services.LEASE
    assert lease_end < look.run_after <= lease_end + timedelta(seconds=2)


def test_an_email_sent_but_not_recorded_stops_its_batch_and_is_never_sent_again(
    due, mailoutbox, monkeypatch
):
    """The record of a sent e-mail could not be committed (the database went away):
    the worker stops that batch, so that e-mail stays the first unrecorded of its
    claim, the one the lapsed lease gives up; the rest are sent once."""
    ids = sorted(due(4))
    send = services._send_claimed

    def unrecorded_second(delivery, claim, now, mail, reminders_off):
        if delivery.pk != ids[1]:
            return send(delivery, claim, now, mail, reminders_off)
        services._message(delivery).send()  # it went; its record did not
        return "unconfirmed"

    monkeypatch.setattr(services, "_send_claimed", unrecorded_second)
    assert services.deliveries_send_due() == {"sent": 1, "unconfirmed": 1}
    monkeypatch.setattr(services, "_send_claimed", send)
    later = timezone.now() + services.LEASE + timedelta(seconds=1)
    assert services.deliveries_send_due(now=later) == {"sent": 2}
    assert sorted(m.extra_headers["Message-ID"] for m in mailoutbox) == sorted(
        set(m.extra_headers["Message-ID"] for m in mailoutbox)
    )
    assert len(mailoutbox) == 4
    assert Delivery.objects.get(pk=ids[1]).failed_at is not None
