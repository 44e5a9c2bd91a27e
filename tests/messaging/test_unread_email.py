"""The e-mail that says a message waits unread (messaging.notify)."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.messaging.models import Conversation
from tengja.messaging.notify import messages_email_due
from tengja.messaging.preferences import email_unread_set
from tests.messaging.helpers import conversation_of, read, say

Role = Booking.Role
SECRET = "Ég hef ekki sofið í viku"
FILE = "blóðprufa-niðurstöður.pdf"
T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


def minutes(n: float):
    return T0 + timedelta(minutes=n)


@pytest.fixture
def talk(alice, professional):
    return conversation_of(professional=professional, client=alice)


def sent(now, captured) -> int:
    with captured(execute=True):
        return messages_email_due(now=now)


def test_not_before_ten_minutes_then_once(talk, alice, django_capture_on_commit_callbacks):
    say(talk, Role.PROFESSIONAL, SECRET, at=minutes(0), file_name=FILE)
    assert sent(minutes(9.9), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert sent(minutes(11), django_capture_on_commit_callbacks) == 0
    # More messages in the same stretch: still the one e-mail.
    say(talk, Role.PROFESSIONAL, "more", at=minutes(12))
    assert sent(minutes(30), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1


def test_the_email_says_that_a_message_waits_and_nothing_of_it(
    talk, alice, professional, django_capture_on_commit_callbacks
):
    say(talk, Role.PROFESSIONAL, SECRET, at=minutes(0), file_name=FILE)
    sent(minutes(10), django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert email.subject == "A message waits for you on Tengja"
    assert "does not say who wrote it or what it says" in email.body
    assert "/messages/" in email.body and "/messages/" in html
    for part in (email.subject, email.body, html):
        assert SECRET not in part
        assert FILE not in part and "blóðprufa" not in part
        assert professional.user.name not in part  # nor who wrote it
        assert "Helga" not in part


def test_in_the_recipients_language(talk, professional, django_capture_on_commit_callbacks):
    professional.user.language = "is"
    professional.user.save()
    say(talk, Role.CLIENT, SECRET, at=minutes(0))
    sent(minutes(10), django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert email.to == [professional.user.email]
    assert email.subject == "Skilaboð bíða þín á Tengja"
    assert SECRET not in email.body


def test_a_stream_of_messages_does_not_put_it_off(talk, django_capture_on_commit_callbacks):
    for n in range(0, 15, 3):
        say(talk, Role.PROFESSIONAL, at=minutes(n))
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 1


def test_none_after_reading(talk, professional, django_capture_on_commit_callbacks):
    say(talk, Role.PROFESSIONAL, at=minutes(0))
    read(talk, Role.CLIENT, at=minutes(5))
    assert sent(minutes(30), django_capture_on_commit_callbacks) == 0
    # Nor once they have answered (which reads): now the professional's turn.
    say(talk, Role.PROFESSIONAL, at=minutes(31))
    say(talk, Role.CLIENT, at=minutes(32))
    assert sent(minutes(60), django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [[professional.user.email]]


def test_again_for_a_new_unread_stretch(talk, alice, django_capture_on_commit_callbacks):
    say(talk, Role.PROFESSIONAL, at=minutes(0))
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 1
    read(talk, Role.CLIENT, at=minutes(20))
    say(talk, Role.PROFESSIONAL, at=minutes(30))
    assert sent(minutes(39), django_capture_on_commit_callbacks) == 0
    assert sent(minutes(40), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2


def test_each_side_has_its_own_stretch(
    talk, alice, professional, django_capture_on_commit_callbacks
):
    say(talk, Role.CLIENT, at=minutes(0))
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 1
    say(talk, Role.PROFESSIONAL, at=minutes(11))  # answering reads the client's
    assert sent(minutes(21), django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [[professional.user.email], [alice.email]]


def test_none_when_turned_off_and_not_later_for_that_stretch(
    talk, alice, django_capture_on_commit_callbacks
):
    email_unread_set(user=alice, email_unread=False)
    say(talk, Role.PROFESSIONAL, at=minutes(0))
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 0
    talk.refresh_from_db()
    assert talk.client_emailed_at == minutes(10)  # claimed: silenced, not postponed
    email_unread_set(user=alice, email_unread=True)
    assert sent(minutes(20), django_capture_on_commit_callbacks) == 0
    # On again: the next stretch is e-mailed.
    read(talk, Role.CLIENT, at=minutes(30))
    say(talk, Role.PROFESSIONAL, at=minutes(31))
    assert sent(minutes(41), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1


def test_none_for_an_inactive_or_erased_account(
    talk, alice, professional, django_capture_on_commit_callbacks
):
    alice.is_active = False
    alice.save()
    say(talk, Role.PROFESSIONAL, at=minutes(0))
    professional.user.erased_at = minutes(0)
    professional.user.save()
    other = conversation_of(professional=professional, client=alice)
    assert other == talk
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_a_removed_message_is_not_waiting(talk, django_capture_on_commit_callbacks):
    message = say(talk, Role.PROFESSIONAL, SECRET, at=minutes(0))
    message.removed_at, message.body = minutes(1), ""
    message.save()
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 0


def test_a_closed_conversation_still_says_a_message_waits(talk, django_capture_on_commit_callbacks):
    say(talk, Role.PROFESSIONAL, "How to reach me from now on", at=minutes(0))
    talk.closed_at = minutes(1)
    talk.save()
    assert sent(minutes(10), django_capture_on_commit_callbacks) == 1


def test_the_periodic_command_runs_it(talk, django_capture_on_commit_callbacks):
    from io import StringIO

    import time_machine
    from django.core.management import call_command

    say(talk, Role.PROFESSIONAL, at=minutes(0))
    out = StringIO()
    with (
        time_machine.travel(minutes(10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("periodic", stdout=out)
    assert "messages_email_due: 1" in out.getvalue()
    assert len(mail.outbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_email(alice, professional):
    talk = conversation_of(professional=professional, client=alice)
    for n in range(20):
        other = conversation_of(
            professional=professional,
            client=type(alice).objects.create_user(email=f"c{n}@example.com", password="x"),
        )
        say(other, Role.PROFESSIONAL, at=minutes(0))
    say(talk, Role.PROFESSIONAL, at=minutes(0))
    start = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            start.wait()
            counts.append(messages_email_due(now=minutes(10)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 21
    assert len(mail.outbox) == 21
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        Conversation.objects.values_list("client__email", flat=True)
    )
