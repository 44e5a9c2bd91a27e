"""An issued bill never changes. When its session moves, a credit note cancels it
and a new bill names the new time; what was paid goes with the new bill."""

import io
from datetime import timedelta

from django.urls import reverse
from pypdf import PdfReader

from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_pay, new_payment_key
from tengja.bookings.services import booking_cancel, booking_move
from tests.billing.conftest import add_card


def pdf_text(client, invoice) -> str:
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.code]))
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_moving_a_session_credits_the_old_bill_and_issues_a_new_one(
    client, alice, professional, invoice
):
    booking = invoice.booking
    old_start = booking.starts_at
    booking_move(booking=booking, by=professional.user, starts_at=old_start + timedelta(days=2))
    invoice.refresh_from_db()
    note = invoice.credit_note
    new = invoice_standing(booking=booking)
    assert invoice.status == "credited" and invoice.session_starts_at == old_start
    assert (note.kind, note.status, note.amount, note.corrects) == (
        "credit_note",
        "issued",
        invoice.amount,
        invoice,
    )
    assert (new.status, new.session_starts_at, new.amount) == (
        "open",
        old_start + timedelta(days=2),
        invoice.amount,
    )
    # One series without gaps: the bill, its credit note, the new bill.
    assert [invoice.number, note.number, new.number] == [1, 2, 3]
    client.force_login(alice)
    payments = client.get(reverse("billing:payments")).content.decode()
    assert "−ISK\xa018,000" in payments and "Credited" in payments
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert f"replaced by bill {new.display_number}" in page
    assert "Pay now" not in page
    assert "Pay now" in client.get(reverse("billing:invoice", args=[new.code])).content.decode()
    text = pdf_text(client, note)
    assert f"Credit note {note.display_number}" in text
    assert f"Invoice {invoice.display_number}, in full" in text and "-ISK 18,000" in text


def test_a_paid_bill_moves_with_its_payment_and_a_later_refund_finds_it(
    alice, professional, invoice, django_capture_on_commit_callbacks
):
    payment = invoice_pay(invoice=invoice, method=add_card(alice), payment_key=new_payment_key())
    booking = invoice.booking
    booking_move(
        booking=booking, by=professional.user, starts_at=booking.starts_at + timedelta(days=1)
    )
    new = invoice_standing(booking=booking)
    payment.refresh_from_db()
    assert new.status == "paid" and new.paid_at and payment.invoice == new
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=alice)
    new.refresh_from_db()
    assert new.status == "refunded"
    assert Invoice.objects.get(pk=invoice.pk).status == "credited"


def test_moving_the_same_session_twice_keeps_one_standing_bill(professional, invoice):
    booking = invoice.booking
    for days in (1, 2):
        booking = booking_move(
            booking=booking,
            by=professional.user,
            starts_at=booking.starts_at + timedelta(days=days),
        )
    standing = invoice_standing(booking=booking)
    assert standing.session_starts_at == booking.starts_at
    assert sorted(Invoice.objects.values_list("kind", "status")) == sorted(
        [
            ("invoice", "credited"),
            ("credit_note", "issued"),
            ("invoice", "credited"),
            ("credit_note", "issued"),
            ("invoice", "open"),
        ]
    )


def test_the_pdf_names_who_bills_how_it_was_paid_and_the_time_zone(
    client, alice, professional, invoice
):
    professional.business_name = "Sálfræðistofa Helgu ehf."
    professional.business_address = "Laugavegur 1, 101 Reykjavík"
    professional.business_id = "510101-1234"
    professional.vat_number = "123456"
    professional.save()
    invoice_pay(invoice=invoice, method=add_card(alice), payment_key=new_payment_key())
    alice.time_zone = "Europe/Berlin"
    alice.save()
    client.force_login(alice)
    text = pdf_text(client, invoice)
    for expected in (
        "Sálfræðistofa Helgu ehf.",
        "Laugavegur 1, 101 Reykjavík",
        "ID number: 510101-1234",
        "VAT number: 123456",
        "(Europe/Berlin)",
        "Visa card ending 4242",
    ):
        assert expected in text, expected


def test_a_professional_sets_the_details_their_invoices_print(client, professional, alice):
    client.force_login(professional.user)
    url = reverse("professionals:business_details")
    response = client.post(
        url,
        {
            "business_name": " Stofan ehf. ",
            "business_address": "Laugavegur 1",
            "business_id": "510101-1234",
            "vat_number": "",
        },
    )
    assert response["Location"] == reverse("bookings:practice")
    professional.refresh_from_db()
    assert (professional.business_name, professional.business_id) == ("Stofan ehf.", "510101-1234")
    client.force_login(alice)
    assert client.get(url).status_code == 404
