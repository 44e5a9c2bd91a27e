"""A bill the client paid to the professional outside Tengja (issue 28): marked
paid by bank transfer, cash or card terminal on a day; shown as such to both,
on the PDF and in a receipt; undone as a mistake (kept, never deleted); and
given back by the professional when the session is cancelled in time."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tengja.billing.manual import (
    invoice_mark_paid,
    invoice_mark_paid_undo,
    paid_on_range,
    professional_today,
    refund_mark_returned,
)
from tengja.billing.models import MANUAL, Invoice, Payment, Refund
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import (
    BillingError,
    invoice_pay,
    new_payment_key,
    refund_send,
    refunds_sweep,
)
from tengja.bookings.services import booking_cancel
from tengja.privacy.export import _payments
from tests.billing.conftest import AUTHENTICATE, add_card
from tests.conftest import race, requires_postgres


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def mark(invoice, professional, method="bank_transfer", paid_on=None, key=None, **extra):
    return invoice_mark_paid(
        invoice=invoice,
        by=professional.user,
        method=method,
        paid_on=paid_on or professional_today(invoice),
        form_key=key or new_payment_key(),
        **extra,
    )


def post_mark(client, invoice, **data):
    form = {
        "method": "bank_transfer",
        "paid_on": professional_today(invoice).isoformat(),
        "reference": "",
        "form_key": new_payment_key(),
        **data,
    }
    return client.post(reverse("billing:mark_paid", args=[invoice.code]), form)


@pytest.mark.parametrize(
    ("method", "words"),
    [
        ("bank_transfer", "Paid by bank transfer on"),
        ("cash", "Paid in cash on"),
        ("card_terminal", "Paid by card terminal on"),
    ],
)
def test_each_method_marks_the_bill_paid_on_its_day_with_a_receipt(
    client, alice, professional, invoice, method, words, django_capture_on_commit_callbacks
):
    client.force_login(professional.user)
    yesterday = professional_today(invoice) - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_mark(
            client, invoice, method=method, paid_on=yesterday.isoformat(), reference="TX-77"
        )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert timezone.localtime(invoice.paid_at).date() == yesterday
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.provider, payment.manual_method, payment.paid_on) == (MANUAL, method, yesterday)
    assert payment.recorded_by == professional.user and payment.reference == "TX-77"
    assert payment.method is None and payment.status == Payment.Status.SUCCEEDED

    [receipt] = [m for m in mail.outbox if "Receipt" in m.subject]
    assert receipt.to == [alice.email]
    label = dict(Payment.ManualMethod.choices)[method]
    assert f"({label})" in receipt.body and "TX-77" in receipt.body
    assert "has recorded that you paid them directly" in receipt.body
    assert f"({label})" in receipt.alternatives[0][0]

    # Both see it on the bill, and the client in their list of bills.
    for person in (alice, professional.user):
        client.force_login(person)
        page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
        assert words in page and "TX-77" in page
        assert f"· {label}" in page
    client.force_login(alice)
    bills = client.get(reverse("billing:payments")).content.decode()
    assert f"Paid</span> · {label}" in bills
    # The PDF says how and on which day.
    text = pdf_text(client.get(reverse("billing:invoice_pdf", args=[invoice.code])).content)
    assert f"{words} {yesterday.day} {yesterday:%B} {yesterday.year}" in text.replace("\n", " ")
    assert "Paid with" not in text  # no card named


def test_receipt_and_pdf_in_icelandic(
    client, alice, professional, invoice, django_capture_on_commit_callbacks
):
    alice.language = "is"
    alice.save()
    paid_on = professional_today(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        mark(invoice, professional, method="cash", paid_on=paid_on)
    [receipt] = [m for m in mail.outbox if "Kvittun" in m.subject]
    assert "(reiðufé)" in receipt.body and "Thank you" not in receipt.body
    assert "hefur skráð að þú hafir greitt" in receipt.body
    client.force_login(alice)
    text = pdf_text(client.get(reverse("billing:invoice_pdf", args=[invoice.code])).content)
    assert f"Greitt með reiðufé {paid_on.day}." in text
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Greitt með reiðufé" in page


@pytest.mark.parametrize(
    ("paid_on", "message"),
    [
        ("tomorrow", "The date cannot be in the future."),
        ("2026-13-45", "Enter the date the client paid as year-month-day"),
        ("3.12.2026", "Enter the date the client paid as year-month-day"),
        ("", "Enter the date the client paid."),
        ("long ago", "The date cannot be before"),
    ],
)
def test_a_bad_date_is_refused_and_nothing_recorded(
    client, professional, invoice, paid_on, message
):
    today = professional_today(invoice)
    earliest, _latest = paid_on_range(invoice)
    value = {
        "tomorrow": (today + timedelta(days=1)).isoformat(),
        "long ago": (earliest - timedelta(days=1)).isoformat(),
    }.get(paid_on, paid_on)
    client.force_login(professional.user)
    response = post_mark(client, invoice, paid_on=value)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def test_no_method_or_an_unknown_one_is_refused(client, professional, invoice):
    client.force_login(professional.user)
    for method in ("", "bitcoin"):
        response = post_mark(client, invoice, method=method)
        assert response.status_code == 400
    assert not Payment.objects.exists()
    with pytest.raises(BillingError, match="Choose how the client paid"):
        mark(invoice, professional, method="card")


def test_the_day_is_the_professionals(db, alice, professional, invoice):
    """At 23:30 in Reykjavik on the 3rd it is already the 4th in Tokyo: a Tokyo
    professional may date a payment the 4th, one in Reykjavik may not."""
    moment = timezone.now().replace(hour=23, minute=30, second=0, microsecond=0)
    with time_machine.travel(moment, tick=False):
        professional.user.time_zone = "Atlantic/Reykjavik"
        professional.user.save()
        invoice = Invoice.objects.select_related("professional__user").get(pk=invoice.pk)
        tomorrow = moment.date() + timedelta(days=1)
        with pytest.raises(BillingError, match="future"):
            mark(invoice, professional, paid_on=tomorrow)
        professional.user.time_zone = "Asia/Tokyo"
        professional.user.save()
        invoice = Invoice.objects.select_related("professional__user").get(pk=invoice.pk)
        payment = mark(invoice, professional, paid_on=tomorrow)
        assert payment.paid_on == tomorrow
        invoice.refresh_from_db()
        assert invoice.paid_at <= timezone.now()  # never later than when it was recorded


def test_a_double_submit_records_once(
    client, professional, invoice, django_capture_on_commit_callbacks
):
    client.force_login(professional.user)
    key = new_payment_key()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_mark(client, invoice, form_key=key)
        second = post_mark(client, invoice, form_key=key)
    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1
    assert len([m for m in mail.outbox if "Receipt" in m.subject]) == 1
    # Another form (a second tab) is refused: the bill is paid.
    response = post_mark(client, invoice)
    assert response.status_code == 400 and "not open for payment" in response.content.decode()
    assert Payment.objects.count() == 1


def test_an_expired_form_key_is_refused(client, professional, invoice):
    client.force_login(professional.user)
    response = post_mark(client, invoice, form_key="x" * 10)
    assert response.status_code == 400 and "This form has expired" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_card_payment_with_the_bank_is_never_crossed(alice, professional, invoice):
    card = add_card(alice)
    pending = Payment.objects.create(
        invoice=invoice,
        method=card,
        amount=invoice.amount,
        currency=invoice.currency,
        idempotency_key="pay-x",
        provider="local",
        provider_ref="pi_local_x",
    )
    with pytest.raises(BillingError, match="being processed by their bank"):
        mark(invoice, professional)
    pending.refresh_from_db()
    invoice.refresh_from_db()
    assert pending.status == Payment.Status.PENDING and invoice.status == Invoice.Status.OPEN
    assert Payment.objects.count() == 1


def test_a_card_payment_waiting_for_the_client_is_cancelled(alice, professional, invoice):
    card = add_card(alice, AUTHENTICATE)
    waiting = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    assert waiting.status == Payment.Status.REQUIRES_ACTION
    mark(invoice, professional)
    waiting.refresh_from_db()
    assert waiting.status == Payment.Status.CANCELLED
    assert waiting.cancel_reason == Payment.CancelReason.PAID_OTHERWISE
    assert "paid another way" in waiting.cancel_message()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    # The client's card cannot pay it now.
    with pytest.raises(BillingError, match="not open for payment"):
        invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_double_submits_at_the_same_moment_record_once():
    from tests.factories import BookingFactory

    booking = BookingFactory()
    from tengja.billing.services import invoice_issue

    invoice = invoice_issue(booking=booking)
    invoice = Invoice.objects.select_related("professional__user").get(pk=invoice.pk)
    key = new_payment_key()
    results = race([lambda: mark(invoice, invoice.professional, key=key)] * 3, BillingError)
    assert len({r.pk for r in results if isinstance(r, Payment)}) == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1
    # Different forms at once: one records, the others are told the bill is paid.
    Payment.objects.filter(invoice=invoice).update(status=Payment.Status.CANCELLED)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.OPEN, paid_at=None)
    results = race([lambda: mark(invoice, invoice.professional)] * 3, BillingError)
    assert sum(isinstance(r, Payment) for r in results) == 1
    assert Payment.objects.filter(invoice=invoice, status=Payment.Status.SUCCEEDED).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_card_payment_and_a_manual_one_at_the_same_moment_pay_once():
    for _round in range(3):
        _card_and_manual_at_once()


def _card_and_manual_at_once():
    from tengja.billing.services import invoice_issue
    from tests.factories import BookingFactory

    booking = BookingFactory()
    invoice = invoice_issue(booking=booking)
    invoice = Invoice.objects.select_related("professional__user").get(pk=invoice.pk)
    card = add_card(booking.client)
    results = race(
        [
            lambda: invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key()),
            lambda: mark(invoice, invoice.professional),
        ],
        BillingError,
    )
    succeeded = Payment.objects.filter(invoice=invoice, status=Payment.Status.SUCCEEDED)
    assert succeeded.count() == 1, results
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    # Whichever came second was refused with a message: never both taken.
    [error] = [r for r in results if isinstance(r, BillingError)]
    assert "not open for payment" in str(error) or "being processed" in str(error)


def test_undo_opens_the_bill_again_and_keeps_the_record(
    client, alice, professional, invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment = mark(invoice, professional, method="card_terminal")
    mail.outbox.clear()
    client.force_login(professional.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:mark_paid_undo", args=[invoice.code]))
    assert response.status_code == 302
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.paid_at is None
    assert payment.status == Payment.Status.CANCELLED
    assert payment.cancel_reason == Payment.CancelReason.MISTAKE
    assert payment.cancelled_by == professional.user and payment.cancelled_at
    assert Payment.objects.filter(pk=payment.pk).exists()  # never deleted
    # The client had a receipt: they are told it no longer stands.
    [told] = mail.outbox
    assert told.to == [alice.email] and "open again" in told.subject
    assert "no longer stands" in told.body and "(card terminal)" in told.body
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "by mistake" in page and "no longer stands" in page and "Pay now" in page
    client.force_login(professional.user)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "You took back the payment recorded for this bill (card terminal)" in page
    assert "Mark as paid" in page  # it can be recorded again, rightly this time
    # Undoing twice does nothing more.
    with pytest.raises(BillingError):
        invoice_mark_paid_undo(invoice=invoice, by=professional.user)
    # The client can pay by card now.
    card = add_card(alice)
    paid = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    assert paid.status == Payment.Status.SUCCEEDED


def test_undo_in_icelandic_tells_the_client(
    alice, professional, invoice, django_capture_on_commit_callbacks
):
    alice.language = "is"
    alice.save()
    mark(invoice, professional)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoice_mark_paid_undo(invoice=invoice, by=professional.user)
    [told] = mail.outbox
    assert "opinn aftur" in told.subject and "(millifærsla)" in told.body


def test_a_card_payment_cannot_be_undone_here(alice, professional, invoice):
    card = add_card(alice)
    invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    with pytest.raises(BillingError, match="no payment you recorded"):
        invoice_mark_paid_undo(invoice=invoice, by=professional.user)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_only_the_bills_professional_may_record_undo_or_return(
    client, alice, bob, hr, professional, other_professional, invoice
):
    for person in (alice, bob, hr, other_professional.user):
        client.force_login(person)
        assert post_mark(client, invoice).status_code == 404
        for name in ("billing:mark_paid_undo", "billing:refund_returned"):
            assert client.post(reverse(name, args=[invoice.code])).status_code == 404
    assert not Payment.objects.exists()
    # GET changes nothing.
    client.force_login(professional.user)
    assert client.get(reverse("billing:mark_paid", args=[invoice.code])).status_code == 405
    # The client never sees the professional's form.
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Mark as paid" not in page
    client.logout()
    assert post_mark(client, invoice).status_code == 302  # to sign in
    assert not Payment.objects.exists()


def test_cancelled_in_time_the_professional_returns_it_and_no_provider_is_asked(
    client, alice, professional, invoice, django_capture_on_commit_callbacks, monkeypatch
):
    from tengja.billing.providers import local

    asked = []
    monkeypatch.setattr(local.LocalProvider, "refund", lambda *a, **k: asked.append(k))
    mark(invoice, professional)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=invoice.booking, by=alice)
    invoice = invoice_standing(booking=invoice.booking)
    assert invoice.status == Invoice.Status.REFUND_PENDING
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING and refund.reason == Refund.Reason.CANCELLED
    # Neither the task nor the sweep ask a provider for it.
    assert refund_send(refund_id=refund.pk) == "manual"
    assert refunds_sweep(now=timezone.now() + timedelta(days=1)) == 0
    assert asked == []
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING and refund.attempts == 0
    # The e-mails say who gives it back, not "to your card".
    to_client = next(m for m in mail.outbox if m.to == [alice.email])
    to_pro = next(m for m in mail.outbox if m.to == [professional.user.email])
    assert "return it to you themselves" in to_client.body and "card" not in to_client.body
    assert "return it to them yourself" in to_pro.body
    # The pages say so too.
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "they return it to you themselves" in page and "to the card" not in page
    client.force_login(professional.user)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Mark as returned" in page and "Tengja cannot return it" in page
    # The client cannot mark it returned; the professional can.
    client.force_login(alice)
    assert client.post(reverse("billing:refund_returned", args=[invoice.code])).status_code == 404
    client.force_login(professional.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:refund_returned", args=[invoice.code]))
    assert response.status_code == 302
    refund.refresh_from_db()
    invoice.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.returned_by == professional.user
    assert invoice.status == Invoice.Status.REFUNDED
    assert Payment.objects.get(provider=MANUAL).status == Payment.Status.REFUNDED
    assert asked == []
    client.force_login(alice)
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "returned your payment" in page
    with pytest.raises(BillingError):
        refund_mark_returned(invoice=invoice, by=professional.user)


def test_cancelled_late_the_manual_payment_stays(alice, professional, invoice):
    mark(invoice, professional)
    with time_machine.travel(invoice.session_starts_at - timedelta(hours=2)):
        booking_cancel(booking=invoice.booking, by=alice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and not Refund.objects.exists()


def test_a_moved_session_keeps_its_manual_payment(alice, professional, invoice):
    from tengja.bookings.services import booking_move

    mark(invoice, professional, reference="R1")
    booking_move(
        booking=invoice.booking,
        starts_at=invoice.session_starts_at + timedelta(days=1),
        by=professional.user,
    )
    corrected = invoice_standing(booking=invoice.booking)
    assert corrected.pk != invoice.pk and corrected.status == Invoice.Status.PAID
    assert corrected.payments.get().reference == "R1"


def test_the_data_export_says_how_it_was_paid(alice, professional, invoice):
    mark(invoice, professional, method="cash", reference="K-1")
    [row] = list(_payments(alice))
    assert row["paid_outside_tengja"] == "cash" and row["reference"] == "K-1"
    assert row["paid_on"] == professional_today(invoice)


def test_bill_pages_read_no_more_when_paid_by_hand(
    client, alice, professional, kind, django_capture_on_commit_callbacks
):
    """The bill's page, its PDF and the client's bills read as much for a bill paid
    by hand as for one paid by card (and the professional's form costs nothing)."""
    from tengja.bookings.services import booking_invite

    def new_invoice(days):
        booking = booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=timezone.now() + timedelta(days=days),
            email=alice.email,
        )
        return invoice_standing(booking=booking)

    by_card, by_hand = new_invoice(3), new_invoice(4)
    invoice_pay(invoice=by_card, method=add_card(alice), payment_key=new_payment_key())
    mark(by_hand, professional)
    open_bill = new_invoice(5)

    def count(user, name, invoice=None):
        client.force_login(user)
        url = reverse(name, args=[invoice.code]) if invoice else reverse(name)
        client.get(url)  # the session's first read aside
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for user in (alice, professional.user):
        for name in ("billing:invoice", "billing:invoice_pdf"):
            assert count(user, name, by_hand) <= count(user, name, by_card), (user, name)
    assert count(professional.user, "billing:invoice", open_bill) <= count(
        alice, "billing:invoice", open_bill
    )
    card_only = count(alice, "billing:payments")
    for days in range(6, 12):
        mark(new_invoice(days), professional)
    assert count(alice, "billing:payments") == card_only


def test_the_cancel_pages_say_who_gives_a_manual_payment_back(
    client, alice, professional, invoice, django_capture_on_commit_callbacks
):
    mark(invoice, professional)
    url = reverse("bookings:cancel", args=[invoice.booking.code])
    client.force_login(professional.user)
    assert "that is yours to do" in client.get(url).content.decode()
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "they return it themselves" in page and "refunded to your card" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    said = response.content.decode()
    assert "so they return it to you themselves" in said and "to your card" not in said
