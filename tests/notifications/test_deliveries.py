from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from icalendar import Calendar

from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel, booking_invite, booking_move, invitation_seen
from tengja.notifications.feed import preferences_for
from tengja.notifications.models import Delivery, Notification
from tengja.notifications.services import delivery_send


def ics_of(message) -> Calendar:
    [attachment] = [a for a in message.attachments if a[0] == "invite.ics"]
    return Calendar.from_ical(attachment[1])


def reminders(booking) -> list[tuple[str, str]]:
    return sorted(
        Delivery.objects.filter(booking=booking, kind__startswith="reminder").values_list(
            "kind", "role"
        )
    )


def test_confirmation_is_sent_once_with_a_calendar_file(book, alice):
    booking = book(alice.email)
    [message] = mail.outbox
    assert message.to == [alice.email]
    calendar = ics_of(message)
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.code}@tengja"
    assert event["DTSTART"].dt == booking.starts_at
    assert int(event["SEQUENCE"]) == 0
    assert "Individual session" in str(event["SUMMARY"])
    confirmation = Delivery.objects.get(booking=booking, kind="confirmation")
    assert confirmation.sent_at is not None
    # Running it again sends nothing.
    assert delivery_send(delivery_id=confirmation.pk) == "taken"
    assert len(mail.outbox) == 1
    # The client sees it in the app.
    # The booking, and its bill (an existing client has an account to see it in).
    assert set(Notification.objects.filter(user=alice).values_list("kind", flat=True)) == {
        "booked",
        "payment_due",
    }


def test_reminders_are_planned_24h_and_1h_before_for_both(book, alice):
    booking = book(alice.email, timedelta(days=3))
    assert reminders(booking) == [
        ("reminder_1h", "client"),
        ("reminder_1h", "professional"),
        ("reminder_24h", "client"),
        ("reminder_24h", "professional"),
    ]
    soon = book("b@example.com", timedelta(hours=3))
    assert reminders(soon) == [("reminder_1h", "client"), ("reminder_1h", "professional")]
    now = book("c@example.com", timedelta(minutes=30))
    assert reminders(now) == []


def test_reminder_goes_out_at_its_time_once_with_the_join_link(book, alice):
    booking = book(alice.email)
    mail.outbox.clear()
    reminder = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    assert (
        delivery_send(delivery_id=reminder.pk, now=reminder.due_at - timedelta(minutes=1))
        == "taken"
    )
    assert mail.outbox == []  # not due yet
    assert delivery_send(delivery_id=reminder.pk, now=reminder.due_at) == "sent"
    assert delivery_send(delivery_id=reminder.pk, now=reminder.due_at) == "taken"
    [message] = mail.outbox
    assert "starts in 24 hours" in message.subject
    assert f"/sessions/{booking.code}/" in message.body
    assert f"/sessions/{booking.code}/" in message.alternatives[0][0]
    assert Notification.objects.filter(user=alice, kind="upcoming").count() == 1


def test_professional_reminder_names_the_client_once_they_accepted(book, alice, professional):
    """Until the invited client opens their session, the professional's e-mails name
    the address they invited, as for an address with no account (no oracle)."""
    booking = book(alice.email)
    reminder = Delivery.objects.get(booking=booking, kind="reminder_1h", role="professional")
    delivery_send(delivery_id=reminder.pk, now=reminder.due_at)
    message = mail.outbox[-1]
    assert message.to == [professional.user.email]
    assert "alice@example.com" in message.subject and "Alice" not in message.subject

    invitation_seen(booking=booking)
    day = Delivery.objects.get(booking=booking, kind="reminder_24h", role="professional")
    delivery_send(delivery_id=day.pk, now=day.due_at)
    message = mail.outbox[-1]
    assert "Alice Andersen" in message.subject


def test_reminder_in_the_recipients_language_and_zone(book, alice):
    alice.language, alice.time_zone = "is", "Asia/Tokyo"
    alice.save()
    booking = book(alice.email)
    reminder = Delivery.objects.get(booking=booking, kind="reminder_1h", role="client")
    delivery_send(delivery_id=reminder.pk, now=reminder.due_at)
    body = mail.outbox[-1].body
    assert "Asia/Tokyo" in body
    assert "Hvenær" in body


def test_a_moved_session_reminds_at_the_new_time_and_updates_the_calendar(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email)
    old = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(
            booking=booking, by=professional.user, starts_at=booking.starts_at + timedelta(days=2)
        )
    booking.refresh_from_db()
    assert not Delivery.objects.filter(pk=old.pk).exists()
    new = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    assert new.due_at == booking.starts_at - timedelta(hours=24)
    # The old task, should it still run, finds nothing to send.
    assert delivery_send(delivery_id=old.pk, now=old.due_at) == "taken"
    change = mail.outbox[-1]
    assert "moved" in change.subject
    [event] = ics_of(change).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.code}@tengja"
    assert int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt == booking.starts_at
    assert Notification.objects.filter(user=alice, kind="moved").exists()


def test_a_cancelled_session_sends_no_reminder_and_cancels_the_event(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email)
    reminder_ids = list(
        Delivery.objects.filter(booking=booking, kind__startswith="reminder").values_list(
            "pk", flat=True
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=professional.user)
    assert not Delivery.objects.filter(pk__in=reminder_ids).exists()
    cancellation = mail.outbox[-1]
    assert cancellation.to == [alice.email]
    calendar = ics_of(cancellation)
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"booking-{booking.code}@tengja"


def test_the_client_cancelling_tells_the_professional(
    book, alice, professional, django_capture_on_commit_callbacks
):
    booking = book(alice.email)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=alice)
    assert mail.outbox[-1].to == [professional.user.email]
    assert Notification.objects.filter(user=professional.user, kind="cancelled").exists()


def test_worker_down_at_due_time_sends_late_once_or_skips_if_started(book, alice):
    booking = book(alice.email, timedelta(days=3))
    mail.outbox.clear()
    day = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    hour = Delivery.objects.get(booking=booking, kind="reminder_1h", role="client")
    # Back three hours after the 24-hour reminder was due: still before the session.
    assert delivery_send(delivery_id=day.pk, now=day.due_at + timedelta(hours=3)) == "sent"
    # Back after the session started: the 1-hour reminder is skipped.
    assert (
        delivery_send(delivery_id=hour.pk, now=booking.starts_at + timedelta(minutes=1))
        == "skipped"
    )
    assert len(mail.outbox) == 1
    hour.refresh_from_db()
    assert hour.skipped_at and hour.last_error == "started"


def test_reminders_can_be_turned_off_but_confirmations_cannot(alice, book):
    preferences = preferences_for(user=alice)
    preferences.email_reminders = False
    preferences.save()
    booking = book(alice.email)
    assert len(mail.outbox) == 1  # the confirmation still comes
    reminder = Delivery.objects.get(booking=booking, kind="reminder_1h", role="client")
    assert delivery_send(delivery_id=reminder.pk, now=reminder.due_at) == "skipped"
    pro_reminder = Delivery.objects.get(booking=booking, kind="reminder_1h", role="professional")
    assert delivery_send(delivery_id=pro_reminder.pk, now=pro_reminder.due_at) == "sent"


def test_smtp_failure_is_retried_with_backoff_and_never_breaks_the_booking(
    professional, kind, alice, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=OSError("SMTP down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        booking = booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=timezone.now() + timedelta(days=2),
            email=alice.email,
        )
    assert Booking.objects.filter(pk=booking.pk).exists()
    confirmation = Delivery.objects.get(booking=booking, kind="confirmation")
    assert confirmation.sent_at is None and confirmation.claimed_at is None
    assert confirmation.attempts == 1
    assert "SMTP down" in confirmation.last_error
    assert confirmation.due_at > confirmation.created_at + timedelta(seconds=50)
    assert delivery_send(delivery_id=confirmation.pk, now=confirmation.due_at) == "sent"
    assert len(mail.outbox) == 1


def test_after_the_last_retry_the_failure_is_recorded(book, alice):
    booking = book(alice.email)
    reminder = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    results = []
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")
    ):
        for _ in range(6):
            reminder.refresh_from_db()
            results.append(delivery_send(delivery_id=reminder.pk, now=reminder.due_at))
    assert results == ["retry", "retry", "retry", "retry", "failed", "taken"]
    reminder.refresh_from_db()
    assert reminder.failed_at is not None and reminder.attempts == 5


def test_nothing_is_written_or_sent_for_a_booking_that_rolled_back(
    professional, kind, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=timezone.now() + timedelta(days=2),
            email="x@example.com",
        )
        raise RuntimeError
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_every_booking_email_has_the_headers_too(book, alice, settings):
    settings.SITE_URL = "https://tengja.example"
    book(alice.email)
    [message] = mail.outbox
    headers = dict(message.message().items())
    assert headers["Message-ID"].startswith("<delivery-")
    assert headers["Message-ID"].endswith("@tengja.example>")
    assert headers["Auto-Submitted"] == "auto-generated"
