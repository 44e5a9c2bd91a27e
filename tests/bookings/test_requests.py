"""Session requests (tengja.bookings.requests): accepted, declined, expired or
withdrawn, each told to the right person once, in their language and zone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking, BookingRequest
from tengja.bookings.requests import (
    request_accept,
    request_create,
    request_decline,
    request_withdraw,
    requests_expire_due,
)
from tengja.bookings.services import BookingError
from tengja.notifications.models import Delivery, Notification
from tengja.notifications.services import deliveries_send_due
from tengja.privacy.services import account_delete
from tengja.professionals.models import SessionType
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

NOW = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)
# Thursday 6 March 2031, 10:00 UTC: 10:00 in Reykjavik, 05:00 in New York.
START = datetime(2031, 3, 6, 10, 0, tzinfo=UTC)
MESSAGE = "I would like to talk about sleep."


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def asked(professional):
    user = professional.user
    user.language, user.time_zone = "is", "Atlantic/Reykjavik"
    user.save()
    return SessionTypeFactory(
        professional=professional,
        name="First talk",
        booking_mode=SessionType.BookingMode.REQUEST,
    )


@pytest.fixture
def client_user(alice):
    alice.language, alice.time_zone = "en", "America/New_York"
    alice.save()
    return alice


@pytest.fixture
def made(asked, client_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_request = request_create(
            client=client_user, session_type=asked, starts_at=START, message=MESSAGE
        )
    mail.outbox.clear()
    return booking_request


def _run(capture, call, *args, **kwargs):
    with capture(execute=True):
        return call(*args, **kwargs)


def test_a_request_tells_the_professional_in_their_language_and_zone(
    asked, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_request = request_create(
            client=client_user, session_type=asked, starts_at=START, message=MESSAGE
        )
    # It expires by the professional's minimum notice before its start (at least an hour).
    notice = max(asked.professional.min_notice, timedelta(hours=1))
    assert booking_request.expires_at == START - notice
    [message] = mail.outbox
    assert message.to == ["helga@example.com"]
    assert message.subject == "Ný beiðni frá Alice Andersen um First talk kl. 6.3.2031 10:00"
    for body in (message.body, message.alternatives[0][0]):
        # What a client writes may be clinical: it stays on Tengja, never in a mailbox.
        assert MESSAGE not in body
        assert "Þú átt skilaboð frá viðkomandi: lestu þau á Tengja." in body
        assert "10:00–10:50 (Atlantic/Reykjavik)" in body
        assert "http://testserver/practice/requests/" in body
    notice = Notification.objects.get(user=asked.professional.user)
    assert (
        notice.kind == Notification.Kind.REQUEST_MADE and notice.booking_request == booking_request
    )


def test_accept_books_the_session_and_tells_the_client_in_their_zone(
    made, django_capture_on_commit_callbacks
):
    booking = _run(django_capture_on_commit_callbacks, request_accept, booking_request=made)
    made.refresh_from_db()
    assert made.status == BookingRequest.Status.ACCEPTED and made.booking == booking
    assert (booking.client, booking.session_type, booking.starts_at) == (
        made.client,
        made.session_type,
        START,
    )
    assert booking.paid_with == Booking.PaidWith.INVOICE
    assert invoice_standing(booking=booking) is not None  # the bill, from the BOOKED event
    # The client is told (the professional, who accepted, is not), once.
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject.startswith("Request accepted: your session with Helga")
    assert "Helga Sigurðardóttir has accepted your request" in message.body
    assert "05:00–05:50 (America/New_York)" in message.body
    assert MESSAGE not in message.body and MESSAGE not in message.alternatives[0][0]
    kinds = set(Notification.objects.filter(user=made.client).values_list("kind", flat=True))
    assert kinds == {Notification.Kind.BOOKED, Notification.Kind.PAYMENT_DUE}


def test_accept_twice_books_once(made, django_capture_on_commit_callbacks):
    first = _run(django_capture_on_commit_callbacks, request_accept, booking_request=made)
    again = _run(
        django_capture_on_commit_callbacks,
        request_accept,
        booking_request=BookingRequest.objects.get(pk=made.pk),
    )
    assert first == again
    assert Booking.objects.count() == 1
    assert len(mail.outbox) == 1


def test_accept_when_the_time_was_taken_leaves_the_request_open(
    made, django_capture_on_commit_callbacks
):
    BookingFactory(session_type=made.session_type, starts_at=START + timedelta(minutes=30))
    with pytest.raises(BookingError, match=r"overlaps another session.*still open"):
        _run(django_capture_on_commit_callbacks, request_accept, booking_request=made)
    made.refresh_from_db()
    assert made.status == BookingRequest.Status.OPEN and made.booking is None
    assert Booking.objects.count() == 1
    assert mail.outbox == []


def test_decline_tells_the_client_the_reason_once_in_their_language(
    made, django_capture_on_commit_callbacks
):
    _run(
        django_capture_on_commit_callbacks,
        request_decline,
        booking_request=made,
        reason="  I am away that week.  ",
    )
    _run(django_capture_on_commit_callbacks, request_decline, booking_request=made, reason="x")
    made.refresh_from_db()
    assert made.status == BookingRequest.Status.DECLINED
    assert made.decline_reason == "I am away that week."
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Your request for First talk at 06/03/2031 05:00 was declined"
    for body in (message.body, message.alternatives[0][0]):
        assert "I am away that week." in body
        assert "05:00–05:50 (America/New_York)" in body
        assert MESSAGE not in body
        assert f"http://testserver/requests/{made.code}/" in body
    assert Notification.objects.get(user=made.client).kind == Notification.Kind.REQUEST_DECLINED
    assert Booking.objects.count() == 0


def test_an_icelandic_client_is_told_in_icelandic(made, django_capture_on_commit_callbacks):
    made.client.language, made.client.time_zone = "is", "Atlantic/Reykjavik"
    made.client.save()
    _run(django_capture_on_commit_callbacks, request_decline, booking_request=made)
    [message] = mail.outbox
    assert message.subject == "Beiðni þinni um First talk kl. 6.3.2031 10:00 var hafnað"
    assert "10:00–10:50 (Atlantic/Reykjavik)" in message.body


def test_decline_after_accept_is_refused(made, django_capture_on_commit_callbacks):
    _run(django_capture_on_commit_callbacks, request_accept, booking_request=made)
    with pytest.raises(BookingError, match="already been accepted"):
        request_decline(booking_request=made, reason="No")
    made.refresh_from_db()
    assert made.status == BookingRequest.Status.ACCEPTED and made.decline_reason == ""


def test_the_expiry_job_expires_and_tells_the_client_once(made, django_capture_on_commit_callbacks):
    with time_machine.travel(made.expires_at - timedelta(seconds=1), tick=False):
        assert _run(django_capture_on_commit_callbacks, requests_expire_due) == 0
    with (
        time_machine.travel(made.expires_at + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("periodic")
        call_command("periodic")
    made.refresh_from_db()
    assert made.status == BookingRequest.Status.EXPIRED
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Your request for First talk at 06/03/2031 05:00 has expired"
    assert MESSAGE not in message.body
    assert (
        Notification.objects.filter(
            user=made.client, kind=Notification.Kind.REQUEST_EXPIRED
        ).count()
        == 1
    )


def test_accept_once_expired_is_refused_and_expires_it(made, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(made.expires_at + timedelta(seconds=1), tick=False),
        pytest.raises(BookingError, match="expired"),
    ):
        _run(django_capture_on_commit_callbacks, request_accept, booking_request=made)
    made.refresh_from_db()
    assert made.status == BookingRequest.Status.EXPIRED
    assert Booking.objects.count() == 0
    assert [m.subject for m in mail.outbox] == [
        "Your request for First talk at 06/03/2031 05:00 has expired"
    ]


def test_withdraw_closes_it_and_the_professional_gets_no_stale_email(asked, client_user):
    # Made, but its e-mail not sent yet (its task not run): then withdrawn.
    booking_request = request_create(client=client_user, session_type=asked, starts_at=START)
    request_withdraw(booking_request=booking_request)
    request_withdraw(booking_request=booking_request)  # again: nothing more
    booking_request.refresh_from_db()
    assert booking_request.status == BookingRequest.Status.WITHDRAWN
    assert deliveries_send_due()["skipped"] == 1
    assert mail.outbox == []
    with pytest.raises(BookingError, match="withdrawn"):
        request_accept(booking_request=booking_request)
    assert Booking.objects.count() == 0


def test_only_the_open_request_may_be_withdrawn(made, django_capture_on_commit_callbacks):
    _run(django_capture_on_commit_callbacks, request_decline, booking_request=made)
    with pytest.raises(BookingError, match="already been declined"):
        request_withdraw(booking_request=made)


def test_a_deleted_account_withdraws_its_requests_and_erases_the_message(
    made, asked, django_capture_on_commit_callbacks
):
    answered = _run(
        django_capture_on_commit_callbacks,
        request_create,
        client=made.client,
        session_type=asked,
        starts_at=START + timedelta(days=1),
        message="Another thing",
    )
    _run(django_capture_on_commit_callbacks, request_decline, booking_request=answered)
    mail.outbox.clear()
    professional_notices = Notification.objects.filter(user=asked.professional.user).count()
    _run(django_capture_on_commit_callbacks, account_delete, user=made.client)
    made.refresh_from_db()
    answered.refresh_from_db()
    assert made.status == BookingRequest.Status.WITHDRAWN
    assert answered.status == BookingRequest.Status.DECLINED
    assert made.message == "" and answered.message == ""
    # The professional is told nothing (the only e-mail is the account's own notice).
    assert all(m.to != ["helga@example.com"] for m in mail.outbox)
    assert Notification.objects.filter(user=asked.professional.user).count() == (
        professional_notices
    )
    assert not Delivery.objects.filter(
        booking_request__client=made.client, sent_at=None, skipped_at=None
    ).exists()


def test_a_type_booked_at_once_is_not_asked_for(professional, client_user):
    instant = SessionTypeFactory(
        professional=professional, booking_mode=SessionType.BookingMode.INSTANT
    )
    with pytest.raises(BookingError):
        request_create(client=client_user, session_type=instant, starts_at=START)
    assert not BookingRequest.objects.exists()


def test_another_clients_request_is_not_in_their_email(
    asked, client_user, django_capture_on_commit_callbacks
):
    other = UserFactory(email="carl@example.com", name="Carl")
    first = _run(
        django_capture_on_commit_callbacks,
        request_create,
        client=client_user,
        session_type=asked,
        starts_at=START,
        message=MESSAGE,
    )
    second = _run(
        django_capture_on_commit_callbacks,
        request_create,
        client=other,
        session_type=asked,
        starts_at=START,
        message="Carl's own words",
    )
    mail.outbox.clear()
    _run(django_capture_on_commit_callbacks, request_accept, booking_request=first)
    _run(django_capture_on_commit_callbacks, request_decline, booking_request=second)
    for message in mail.outbox:
        text = message.body + message.alternatives[0][0]
        assert MESSAGE not in text and "Carl's own words" not in text
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "carl@example.com"]


def test_a_client_has_at_most_three_requests_waiting_with_one_professional(
    asked, client_user, bob, django_capture_on_commit_callbacks
):
    """Each request e-mails the professional: a fourth waiting one is refused (and
    sends nothing); once one is answered or withdrawn, another may be asked."""
    with django_capture_on_commit_callbacks(execute=True):
        made = [
            request_create(
                client=client_user, session_type=asked, starts_at=START + timedelta(hours=h)
            )
            for h in range(3)
        ]
    mail.outbox.clear()
    with pytest.raises(BookingError, match="3 requests waiting"):
        request_create(client=client_user, session_type=asked, starts_at=START + timedelta(days=1))
    assert BookingRequest.objects.count() == 3 and mail.outbox == []
    # Another client is not held by it.
    request_create(client=bob, session_type=asked, starts_at=START + timedelta(days=1))
    request_withdraw(booking_request=made[0])
    request_create(client=client_user, session_type=asked, starts_at=START + timedelta(days=1))
    assert BookingRequest.objects.filter(client=client_user, status="open").count() == 3
