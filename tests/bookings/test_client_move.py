"""A client moves their own session to another of the professional's free times,
until the notice period before the start (issue 15): the rule, the times offered,
the service, and what follows (the people told, the bill, the credit)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
import vobject
from django.core import mail
from icalendar import Calendar

from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_pay, new_payment_key
from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_cancel, booking_move
from tengja.bookings.slots import free_slots_to_move_to
from tengja.hubs.models import CreditEntry
from tengja.hubs.services import balance, hub_book
from tengja.notifications.models import Delivery, Notification
from tengja.professionals.services import professional_set_active
from tests.billing.conftest import add_card
from tests.bookings.conftest import START, at
from tests.factories import BookingFactory, SessionTypeFactory

CLIENT = Booking.Role.CLIENT


@pytest.fixture
def booking(moving):
    return moving


def offered(booking, day: int) -> set[datetime]:
    start = at(0, day=day).date()
    return {s.starts_at for s in free_slots_to_move_to(booking=booking, start=start, days=1)}


# ------------------------------------------------------------------ the times offered


def test_the_professionals_free_times_around_the_session_are_offered(
    alice, bob, other_professional, session_type, booking
):
    BookingFactory(client=bob, session_type=session_type, starts_at=at(13))
    BookingFactory(
        client=alice,
        session_type=SessionTypeFactory(professional=other_professional),
        starts_at=at(15),
    )
    times = offered(booking, 6)
    # Its own time does not count as taken: the half hours next to it are offered.
    assert {at(9), at(9, 30), at(10, 30), at(11), at(12), at(14), at(16)} <= times
    # Not its current time, nor the professional's other session, nor the client's
    # other session (with another professional), nor past the end of the hours.
    for taken in (at(10), at(12, 30), at(13), at(13, 30), at(14, 30), at(15), at(15, 30)):
        assert taken not in times, taken
    assert at(16, 30) not in times  # would end after 17:00
    assert offered(booking, 3) == set()  # today: within the minimum notice
    # A session of another length is offered times of its own length.
    Booking.objects.filter(pk=booking.pk).update(ends_at=START + timedelta(minutes=25))
    booking.refresh_from_db()
    assert at(16, 30) in offered(booking, 6)


# ------------------------------------------------------------------ the move


def test_the_client_moves_their_session_and_both_are_told(
    alice, professional, booking, django_capture_on_commit_callbacks
):
    new = at(11, day=7)
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(booking=booking, by=alice, starts_at=new)
    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at) == (new, new + timedelta(minutes=50))
    assert booking.sequence == 1

    # Both are e-mailed, each with the calendar's update: same UID, next SEQUENCE.
    to_client = [m for m in mail.outbox if m.to == [alice.email]]
    to_professional = [m for m in mail.outbox if m.to == [professional.user.email]]
    assert len(to_client) == len(to_professional) == 1
    assert "You have moved your session. We have told Helga Sigurðardóttir." in to_client[0].body
    assert to_client[0].subject == "Your session has moved to Friday 7 March 2031"
    assert "Alice Andersen has moved a session with you" in to_professional[0].body
    assert "Alice Andersen moved their session to Friday 7 March 2031" in (
        to_professional[0].subject
    )
    for message in (to_client[0], to_professional[0]):
        html = message.alternatives[0][0]
        for body in (message.body, html):
            assert "Thursday 6 March 2031, 10:00" in body  # before
            assert "Friday 7 March 2031, 11:00–11:50" in body  # now
            assert f"/sessions/{booking.code}/" in body
        [ics] = [a[1] for a in message.attachments if a[0] == "invite.ics"]
        ics = ics if isinstance(ics, bytes) else ics.encode()
        calendar = Calendar.from_ical(ics)
        assert calendar["METHOD"] == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"booking-{booking.code}@tengja"
        assert int(event["SEQUENCE"]) == 1
        assert (event["DTSTART"].dt, event["DTEND"].dt) == (new, new + timedelta(minutes=50))
        card = vobject.readOne(ics.decode())
        assert card.vevent.uid.value == str(event["UID"])
        assert card.vevent.sequence.value == "1"
        assert card.vevent.dtstart.value == new
    # The professional's address stays out of the client's copy.
    assert professional.user.email not in to_client[0].attachments[0][1]
    # The professional sees it in the app too; the client did it and needs no notice.
    assert Notification.objects.filter(user=professional.user, kind="moved").count() == 1
    assert not Notification.objects.filter(user=alice, kind="moved").exists()
    # The reminders follow the new time.
    reminder = Delivery.objects.get(booking=booking, kind="reminder_24h", role="client")
    assert reminder.due_at == new - timedelta(hours=24)


def test_the_professionals_own_move_tells_only_the_client_as_before(
    professional, alice, booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(booking=booking, by=professional.user, starts_at=at(7, day=8))
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert "Helga Sigurðardóttir has moved your session." in message.body
    assert Notification.objects.filter(user=alice, kind="moved").exists()
    assert not Notification.objects.filter(user=professional.user, kind="moved").exists()


@pytest.mark.parametrize(
    "starts_at, words",
    [
        (at(11, 15, day=7), "not free"),  # not on the half hour
        (at(7, day=7), "not free"),  # before the professional's hours
        (at(16, 30, day=7), "not free"),  # would end after them
        (at(18, day=3), "not free"),  # within the minimum notice
        (datetime(2020, 1, 1, 10, tzinfo=UTC), "not free"),  # the past
        (datetime(2033, 3, 8, 10, tzinfo=UTC), "not free"),  # beyond the booking horizon
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "not free"),
        (START, "already at that time"),
    ],
)
def test_the_service_refuses_a_time_that_is_not_offered(alice, booking, starts_at, words):
    with pytest.raises(BookingError, match=words):
        booking_move(booking=booking, by=alice, starts_at=starts_at)
    booking.refresh_from_db()
    assert (booking.starts_at, booking.sequence) == (START, 0)


def test_a_client_cannot_move_onto_another_of_their_own_sessions(
    alice, other_professional, booking
):
    """With another professional: free for this one, but the client is busy then."""
    BookingFactory(
        client=alice,
        session_type=SessionTypeFactory(professional=other_professional),
        starts_at=at(14, 30, day=7),
    )
    assert at(14, day=7) not in offered(booking, 7)
    with pytest.raises(BookingError, match="not free"):
        booking_move(booking=booking, by=alice, starts_at=at(14, day=7))
    # A cancelled one holds nothing.
    Booking.objects.exclude(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    booking_move(booking=booking, by=alice, starts_at=at(14, day=7))


def test_another_clients_session_holds_its_time(alice, bob, session_type, booking):
    BookingFactory(client=bob, session_type=session_type, starts_at=at(13, day=7))
    with pytest.raises(BookingError, match="not free"):
        booking_move(booking=booking, by=alice, starts_at=at(13, 30, day=7))


def test_a_paused_professionals_booked_sessions_can_still_be_moved(alice, professional, booking):
    """Pausing stops new bookings; a session already booked goes on, and moving it
    to another of their free times is not a new booking."""
    professional_set_active(professional=professional, active=False)
    moved = booking_move(booking=booking, by=alice, starts_at=at(11, day=7))
    assert moved.starts_at == at(11, day=7)


def test_nobody_else_moves_it(bob, other_professional, booking):
    for person in (bob, other_professional.user):
        with pytest.raises(BookingError, match="not yours to move"):
            booking_move(booking=booking, by=person, starts_at=at(11, day=7))


# ------------------------------------------------------------------ the notice window


@pytest.mark.parametrize("notice", [0, 24, 48, 72])
def test_the_notice_window_at_its_boundary(frozen, hours, alice, session_type, notice):
    start = at(10, day=10)
    booking = BookingFactory(
        client=alice, session_type=session_type, starts_at=start, cancellation_notice_hours=notice
    )
    # With no notice, until the start; else until the notice period begins, then no more.
    last_moment = start - timedelta(hours=notice, seconds=1 if notice == 0 else 0)
    with time_machine.travel(last_moment + timedelta(seconds=1), tick=False):
        refusal = booking.move_refusal(CLIENT)
        assert "Helga Sigurðardóttir has not shared" in refusal
        with pytest.raises(BookingError) as refused:
            booking_move(booking=booking, by=alice, starts_at=at(10, day=11))
        assert str(refused.value) == refusal
        # A cancellation now would be late (or the session has started): one period.
        assert booking.is_late_for_client() or booking.starts_at <= last_moment + timedelta(
            seconds=1
        )
    with time_machine.travel(last_moment, tick=False):
        assert booking.move_refusal(CLIENT) is None
        assert not booking.is_late_for_client()
        booking_move(booking=booking, by=alice, starts_at=at(10, day=11))
    booking.refresh_from_db()
    assert booking.starts_at == at(10, day=11)


@pytest.mark.parametrize(
    "state, words",
    [
        ("started", "This session has already started, so it can no longer be moved."),
        ("past", "This session is over, so it cannot be moved."),
        ("cancelled", "This session has been cancelled, so it cannot be moved."),
        ("soon", "You can move a session yourself until 24 hours before it starts;"),
    ],
)
def test_a_session_that_cannot_be_moved_says_why_and_whom_to_ask(alice, booking, state, words):
    moment = {
        "started": START + timedelta(minutes=5),
        "past": START + timedelta(days=1),
        "soon": START - timedelta(hours=23),
    }
    if state == "cancelled":
        booking = booking_cancel(booking=booking, by=alice)
    with time_machine.travel(moment.get(state, at(8, day=3)), tick=False):
        refusal = booking.move_refusal(CLIENT)
        with pytest.raises(BookingError) as refused:
            booking_move(booking=booking, by=alice, starts_at=at(11, day=9))
    assert refusal.startswith(words)
    assert str(refused.value) == refusal
    if state == "cancelled":
        # Nothing to arrange: no word of whom to contact (issue #26).
        assert refusal == words
        return
    # Her page gives no way to reach her: a message is the way (issue 30).
    assert refusal.endswith(
        "Helga Sigurðardóttir has not shared any contact details on Tengja: send them a "
        "message to arrange another time."
    )


def test_the_professional_moves_any_session_not_cancelled(professional, alice, booking):
    # Within the client's notice, outside the weekly hours: theirs to arrange.
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        assert booking.move_refusal(Booking.Role.PROFESSIONAL) is None
        booking_move(booking=booking, by=professional.user, starts_at=at(21, day=6))
    booking_cancel(booking=booking, by=alice)
    with pytest.raises(BookingError, match=r"^This session has been cancelled\.$"):
        booking_move(booking=booking, by=professional.user, starts_at=at(11, day=7))


# ------------------------------------------------------------------ the bill and the credit


def test_an_open_bill_is_corrected_for_the_new_time(alice, booking):
    bill = invoice_standing(booking=booking)
    assert bill.status == "open"
    booking_move(booking=booking, by=alice, starts_at=at(11, day=7))
    bill.refresh_from_db()
    new = invoice_standing(booking=booking)
    assert bill.status == "credited" and bill.credit_note.amount == bill.amount
    assert (new.status, new.session_starts_at, new.amount) == ("open", at(11, day=7), 18000)


def test_a_paid_bill_is_corrected_and_the_payment_goes_with_it(alice, booking):
    bill = invoice_standing(booking=booking)
    payment = invoice_pay(invoice=bill, method=add_card(alice), payment_key=new_payment_key())
    booking_move(booking=booking, by=alice, starts_at=at(11, day=7))
    new = invoice_standing(booking=booking)
    payment.refresh_from_db()
    assert (new.status, new.session_starts_at, payment.invoice) == ("paid", at(11, day=7), new)
    assert Invoice.objects.get(pk=bill.pk).status == "credited"


def test_a_hub_session_keeps_its_credit_and_its_24_hours(
    frozen, member, offer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = hub_book(membership=member, offer=offer, starts_at=at(10, day=6))
    ledger = list(CreditEntry.objects.order_by("pk").values_list("kind", "amount"))
    before = balance(membership=member)
    assert booking.cancellation_notice_hours == 24
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(booking=booking, by=member.user, starts_at=at(14, day=7))
    booking.refresh_from_db()
    assert booking.starts_at == at(14, day=7)
    assert (booking.paid_with, booking.credits) == ("credits", 1)
    # No spend, no refund: the ledger is as it was.
    assert list(CreditEntry.objects.order_by("pk").values_list("kind", "amount")) == ledger
    assert balance(membership=member) == before
    assert not Invoice.objects.filter(booking=booking).exists()
    # Its notice is the credit's 24 hours.
    with time_machine.travel(at(14, day=6), tick=False):
        assert booking.move_refusal(CLIENT) is None
    with time_machine.travel(at(14, day=6) + timedelta(seconds=1), tick=False):
        assert "24 hours" in booking.move_refusal(CLIENT)
