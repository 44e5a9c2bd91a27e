"""The professional cancels with a reason (issue 28): by them, by the client, the
client did not come, another reason, or entered by mistake (void); with a private
note only they see, a choice whether the client is told, and for a late
cancellation or a no-show of a session paid by bill, whether to charge for it.
A hub credit is kept only for a client's cancellation within 24 hours or a no-show.
"""

import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice, Refund
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_pay, new_payment_key
from tengja.bookings.models import CANCEL_NOTE_MAX, Booking
from tengja.bookings.services import BookingError, booking_cancel, booking_invite
from tengja.hubs.models import CreditEntry
from tengja.hubs.services import hub_book
from tengja.notifications.models import Notification
from tengja.privacy.export import export_write
from tests.billing.conftest import add_card
from tests.conftest import race, requires_postgres
from tests.hubs.test_booking_with_credits import slots

Reason = Booking.CancelReason
NOTE = "Zebra-note-7731: spoke to her mother"
# When the professional records it, from the session's start (it starts in 3 days).
EARLY, LATE, STARTED, OVER = "early", "late", "started", "over"


def moment(booking: Booking, when: str):
    return {
        EARLY: booking.starts_at - timedelta(days=2),
        LATE: booking.starts_at - timedelta(hours=5),
        STARTED: booking.starts_at + timedelta(minutes=10),
        OVER: booking.ends_at + timedelta(days=1),
    }[when]


@pytest.fixture
def bill(alice, professional, session_type):
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return booking_invite(
        professional=professional, session_type=session_type, starts_at=start, email=alice.email
    )


@pytest.fixture
def credit(member, offer):
    return hub_book(membership=member, offer=offer, starts_at=slots(offer, days=7)[-1].starts_at)


def cancel(capture, booking: Booking, when: str, **choices) -> Booking:
    with time_machine.travel(moment(booking, when), tick=False), capture(execute=True):
        return booking_cancel(booking=booking, by=booking.professional.user, **choices)


def credit_returned(booking: Booking) -> bool:
    return CreditEntry.objects.filter(booking=booking, kind=CreditEntry.Kind.REFUND).exists()


# reason, when, charge -> the bill stays payable (else voided)
BILL_CASES = [
    (Reason.BY_PROFESSIONAL, EARLY, False, False),
    (Reason.BY_PROFESSIONAL, LATE, False, False),
    (Reason.BY_PROFESSIONAL, STARTED, False, False),
    (Reason.BY_CLIENT, EARLY, False, False),
    (Reason.BY_CLIENT, LATE, False, False),
    (Reason.BY_CLIENT, LATE, True, True),
    (Reason.NO_SHOW, STARTED, False, False),
    (Reason.NO_SHOW, STARTED, True, True),
    (Reason.NO_SHOW, OVER, True, True),
    (Reason.NO_SHOW, OVER, False, False),
    (Reason.OTHER, LATE, False, False),
    (Reason.MISTAKE, LATE, False, False),
    (Reason.MISTAKE, OVER, False, False),
]


@pytest.mark.parametrize(("reason", "when", "charge", "payable"), BILL_CASES)
def test_a_bill_stays_payable_only_when_charged_for(
    bill, reason, when, charge, payable, django_capture_on_commit_callbacks
):
    cancelled = cancel(django_capture_on_commit_callbacks, bill, when, reason=reason, charge=charge)
    assert cancelled.cancel_reason == reason and cancelled.late_cancellation is payable
    status = invoice_standing(booking=bill).status
    assert status == (Invoice.Status.OPEN if payable else Invoice.Status.VOID)
    expected = {Reason.NO_SHOW: "no_show", Reason.MISTAKE: "void"}.get(reason, "cancelled")
    assert cancelled.state() == expected


# Charging is refused where it is not the client's doing, or not late.
@pytest.mark.parametrize(
    ("reason", "when"),
    [
        (Reason.BY_PROFESSIONAL, LATE),
        (Reason.BY_CLIENT, EARLY),
        (Reason.OTHER, LATE),
        (Reason.MISTAKE, OVER),
    ],
)
def test_charging_is_refused_unless_late_or_a_no_show(
    bill, reason, when, django_capture_on_commit_callbacks
):
    with pytest.raises(BookingError, match="only when the client cancelled"):
        cancel(django_capture_on_commit_callbacks, bill, when, reason=reason, charge=True)
    bill.refresh_from_db()
    assert not bill.is_cancelled and invoice_standing(booking=bill).status == Invoice.Status.OPEN


# reason, when -> the hub keeps the credit (else it goes back), whatever is chosen
CREDIT_CASES = [
    (Reason.BY_PROFESSIONAL, LATE, False),
    (Reason.BY_CLIENT, EARLY, False),
    (Reason.BY_CLIENT, LATE, True),
    (Reason.NO_SHOW, STARTED, True),
    (Reason.NO_SHOW, OVER, True),
    (Reason.OTHER, LATE, False),
    (Reason.MISTAKE, LATE, False),
    (Reason.MISTAKE, OVER, False),
]


@pytest.mark.parametrize(("reason", "when", "kept"), CREDIT_CASES)
def test_a_credit_is_kept_only_under_24_hours_notice_or_a_no_show(
    credit, reason, when, kept, django_capture_on_commit_callbacks
):
    cancelled = cancel(django_capture_on_commit_callbacks, credit, when, reason=reason)
    assert cancelled.late_cancellation is kept
    assert credit_returned(credit) is not kept


def test_a_credit_session_cannot_be_charged_for(credit, django_capture_on_commit_callbacks):
    with pytest.raises(BookingError, match="credits"):
        cancel(django_capture_on_commit_callbacks, credit, STARTED, reason="no_show", charge=True)
    assert not Booking.objects.get(pk=credit.pk).is_cancelled and not credit_returned(credit)


def test_a_paid_bill_is_refunded_unless_charged_for(
    alice, professional, session_type, django_capture_on_commit_callbacks
):
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    outcomes = {}
    for hours, charge in ((0, True), (2, False)):
        booking = booking_invite(
            professional=professional,
            session_type=session_type,
            starts_at=start + timedelta(hours=hours),
            email=alice.email,
        )
        invoice = invoice_standing(booking=booking)
        invoice_pay(invoice=invoice, method=add_card(alice), payment_key=new_payment_key())
        cancel(
            django_capture_on_commit_callbacks, booking, STARTED, reason="no_show", charge=charge
        )
        invoice.refresh_from_db()
        outcomes[charge] = (invoice.status, Refund.objects.filter(payment__invoice=invoice).count())
    assert outcomes == {True: ("paid", 0), False: ("refunded", 1)}


def test_not_telling_the_client_sends_them_nothing(
    bill, alice, professional, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    cancel(django_capture_on_commit_callbacks, bill, STARTED, reason="no_show", tell=False)
    assert [m.to for m in mail.outbox] == [[professional.user.email]]
    assert "The client has not been told." in mail.outbox[0].body
    assert not Notification.objects.filter(user=alice, kind="cancelled").exists()
    assert not Booking.objects.get(pk=bill.pk).client_told


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_client_is_told_of_a_charged_no_show_with_its_amount(
    bill, alice, language, django_capture_on_commit_callbacks
):
    alice.language = language
    alice.save(update_fields=["language"])
    mail.outbox.clear()
    cancel(django_capture_on_commit_callbacks, bill, STARTED, reason="no_show", charge=True)
    [to_client] = [m for m in mail.outbox if m.to == [alice.email]]
    said = {
        "en": ("recorded that you did not come", "stays payable", "ISK\xa018,000"),
        "is": ("skráð að þú hafir ekki mætt", "þarf samt að greiða", "18.000\xa0kr."),
    }[language]
    html = to_client.alternatives[0][0]
    for words in said:
        assert words in to_client.body and words in html.replace("&nbsp;", "\xa0")
    assert Notification.objects.filter(user=alice, kind="cancelled").exists()


def test_the_private_note_never_reaches_the_client_or_hr(
    client, credit, member, hr, professional, django_capture_on_commit_callbacks
):
    offer_pro = credit.professional.user
    mail.outbox.clear()
    cancel(django_capture_on_commit_callbacks, credit, STARTED, reason="no_show", note=NOTE)
    assert Booking.objects.get(pk=credit.pk).cancel_note == NOTE
    assert mail.outbox
    for message in mail.outbox:
        parts = [message.subject, message.body]
        parts += [str(content) for content, _type in message.alternatives]
        parts += [str(attachment[1]) for attachment in message.attachments]
        assert not any("Zebra-note" in part for part in parts)
    detail = reverse("bookings:detail", args=[credit.code])
    client.force_login(offer_pro)
    assert NOTE in client.get(detail).content.decode()
    client.force_login(member.user)
    for url in (
        detail,
        reverse("dashboard:home"),
        reverse("notifications:list"),
        reverse("billing:payments"),
    ):
        page = client.get(url).content.decode()
        assert "Zebra-note" not in page, url
    page = client.get(detail).content.decode()
    assert "No-show" in page and "recorded on" in page
    client.force_login(hr)
    page = client.get(reverse("hubs:admin", args=[member.hub.code])).content.decode()
    assert "Zebra-note" not in page
    out = io.BytesIO()
    export_write(user=member.user, out=out)
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            assert b"Zebra-note" not in archive.read(name), name


# ------------------------------------------------------------------ bad input


def test_a_no_show_before_the_start_is_refused(bill, django_capture_on_commit_callbacks):
    with pytest.raises(BookingError, match="only once the session has started"):
        cancel(django_capture_on_commit_callbacks, bill, LATE, reason="no_show")
    assert not Booking.objects.get(pk=bill.pk).is_cancelled


def test_after_the_end_only_a_no_show_or_a_mistake(bill, django_capture_on_commit_callbacks):
    for reason in (Reason.BY_PROFESSIONAL, Reason.BY_CLIENT, Reason.OTHER):
        with pytest.raises(BookingError, match="only be recorded as a no-show"):
            cancel(django_capture_on_commit_callbacks, bill, OVER, reason=reason)
    with time_machine.travel(moment(bill, OVER)):
        assert Booking.objects.get(pk=bill.pk).cancel_reasons() == [Reason.NO_SHOW, Reason.MISTAKE]


def test_a_session_marked_done_is_not_recorded_as_a_no_show(
    bill, django_capture_on_commit_callbacks
):
    Booking.objects.filter(pk=bill.pk).update(completed_at=bill.ends_at)
    with pytest.raises(BookingError, match="marked done"):
        cancel(django_capture_on_commit_callbacks, bill, OVER, reason="no_show")
    assert not Booking.objects.get(pk=bill.pk).is_cancelled


def test_the_client_gives_no_reason_note_or_choices(bill, alice):
    for choices in ({"reason": "no_show"}, {"note": "x"}, {"charge": True}, {"tell": False}):
        with pytest.raises(BookingError):
            booking_cancel(booking=bill, by=alice, **choices)
    assert not Booking.objects.get(pk=bill.pk).is_cancelled


def test_bad_input_on_the_page_changes_nothing(client, bill, professional):
    client.force_login(professional.user)
    url = reverse("bookings:cancel", args=[bill.code])
    with time_machine.travel(moment(bill, LATE)):
        for data, error in (
            ({"reason": "nope", "tell": "on"}, "Select a valid choice"),
            ({"reason": "no_show", "tell": "on"}, "Select a valid choice"),  # not yet started
            ({"reason": "other", "note": "x" * (CANCEL_NOTE_MAX + 1)}, "at most 2000"),
            ({"reason": "professional", "charge": "on"}, "only when the client cancelled"),
        ):
            response = client.post(url, data)
            assert response.status_code == 400, data
            assert error in response.content.decode().replace("&#x27;", "'"), data
    booking = Booking.objects.get(pk=bill.pk)
    assert not booking.is_cancelled and booking.cancel_note == "" and booking.sequence == 0
    assert invoice_standing(booking=bill).status == Invoice.Status.OPEN
    with pytest.raises(BookingError, match="2000"):
        booking_cancel(booking=bill, by=professional.user, note="x" * (CANCEL_NOTE_MAX + 1))
    with pytest.raises(BookingError, match="Choose one of the reasons"):
        booking_cancel(booking=bill, by=professional.user, reason="nope")


# ------------------------------------------------------------------ the pages


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_professional_records_a_charged_no_show_from_the_page(
    client, bill, professional, language, django_capture_on_commit_callbacks
):
    professional.policy_en = "Missed sessions cost the full price."
    professional.policy_is = "Tímar sem ekki er mætt í kosta fullt verð."
    professional.save()
    professional.user.language = language
    professional.user.save(update_fields=["language"])
    said = {
        "en": ("Charge for the session", "The client is recorded as not having come."),
        "is": ("Rukka fyrir tímann", "Skráð er að skjólstæðingurinn hafi ekki mætt."),
    }[language]
    client.force_login(professional.user)
    url = reverse("bookings:cancel", args=[bill.code])
    with time_machine.travel(moment(bill, STARTED), tick=False):
        page = client.get(url).content.decode().replace("&#x27;", "'")
        assert said[0] in page
        assert (professional.policy_en if language == "en" else professional.policy_is) in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, {"reason": "no_show", "charge": "on", "tell": "on", "note": NOTE}, follow=True
            )
    page = response.content.decode().replace("&#x27;", "'")
    assert said[1] in page and NOTE in page
    booking = Booking.objects.get(pk=bill.pk)
    assert booking.state() == "no_show" and booking.late_cancellation and booking.client_told


def test_no_charge_box_for_a_credit_session(client, credit, django_capture_on_commit_callbacks):
    client.force_login(credit.professional.user)
    with time_machine.travel(moment(credit, STARTED), tick=False):
        page = client.get(reverse("bookings:cancel", args=[credit.code])).content.decode()
    assert 'name="reason"' in page and 'name="charge"' not in page


def test_the_session_page_offers_a_no_show_after_the_end_not_once_done(client, bill, professional):
    client.force_login(professional.user)
    detail = reverse("bookings:detail", args=[bill.code])
    cancel_url = reverse("bookings:cancel", args=[bill.code])
    with time_machine.travel(moment(bill, OVER)):
        assert cancel_url in client.get(detail).content.decode()
        Booking.objects.filter(pk=bill.pk).update(completed_at=bill.ends_at)
        assert cancel_url not in client.get(detail).content.decode()
        response = client.get(cancel_url, follow=True)
        assert "marked done" in response.content.decode()


# ------------------------------------------------------------------ races (PostgreSQL)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_cancel_once_and_refund_once(alice, professional, session_type):
    for attempt in range(4):
        start = (timezone.now() + timedelta(days=3, hours=attempt)).replace(microsecond=0)
        booking = booking_invite(
            professional=professional, session_type=session_type, starts_at=start, email=alice.email
        )
        invoice = invoice_standing(booking=booking)
        invoice_pay(invoice=invoice, method=add_card(alice), payment_key=new_payment_key())
        calls = [
            lambda b=booking: booking_cancel(
                booking=b, by=professional.user, reason="professional", note="first"
            ),
            lambda b=booking: booking_cancel(booking=b, by=professional.user, reason="other"),
            lambda b=booking: booking_cancel(booking=b, by=alice),
        ]
        results = race(calls, expected=BookingError)
        assert sum(isinstance(r, Booking) for r in results) == 1, results
        assert all(
            "already been cancelled" in str(r) for r in results if isinstance(r, BookingError)
        )
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.REFUNDED
        assert Refund.objects.filter(payment__invoice=invoice).count() == 1
        assert Booking.objects.get(pk=booking.pk).sequence == 1


def test_the_cancel_page_reads_a_few_queries_however_many_sessions(
    client, bill, professional, session_type, django_assert_max_num_queries
):
    """One session's form: the professional's other sessions are never read."""
    start = bill.starts_at + timedelta(days=30)
    Booking.objects.bulk_create(
        [
            Booking(
                professional=professional,
                session_type=session_type,
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i, minutes=50),
                price_amount=18000,
                currency="ISK",
            )
            for i in range(5000)
        ]
    )
    client.force_login(professional.user)
    url = reverse("bookings:cancel", args=[bill.code])
    with time_machine.travel(moment(bill, STARTED)), django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
