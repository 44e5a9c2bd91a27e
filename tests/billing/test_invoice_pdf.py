"""An invoice's PDF says every letter of every name, the euro sign, and when the
bill is due: read back from the file a client downloads."""

import io
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from pypdf import PdfReader

from tengja.billing.pdf import invoice_pdf
from tengja.billing.selectors import invoice_standing
from tengja.bookings.services import booking_invite, booking_move
from tests.factories import ProfessionalFactory, SessionTypeFactory, UserFactory


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def download(client, user, invoice) -> str:
    client.force_login(user)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.code]))
    assert response.status_code == 200
    return pdf_text(response.content)


@pytest.mark.parametrize(
    ("client_name", "professional_name", "business_address", "kind_name"),
    [
        ("Łukasz Wiśniewski", "Zofia Żółtowska", "ul. Świętokrzyska 12, Łódź", "Terapia"),
        ("Þórdís Ævarsdóttir", "Guðrún Ðóra Björnsdóttir", "Þverholti 2, Reykjavík", "Viðtal"),
        ("Дмитрий Шостакович", "Анна Павлова", "ул. Тверская, Москва", "Консультация"),
        ("Γιώργος Παπαδόπουλος", "Ελένη Νικολάου", "Οδός Ερμού 5, Αθήνα", "Συνεδρία"),
    ],
)
def test_every_letter_and_the_euro_sign_reach_the_pdf(
    db, client, client_name, professional_name, business_address, kind_name
):
    professional = ProfessionalFactory(
        user__name=professional_name, business_address=business_address
    )
    kind = SessionTypeFactory(
        professional=professional, name=kind_name, price_amount=1250, currency="EUR"
    )
    buyer = UserFactory(name=client_name)
    booking = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=3),
        email=buyer.email,
    )
    invoice = invoice_standing(booking=booking)
    text = download(client, buyer, invoice)
    for expected in (
        "€12.50",
        client_name,
        professional_name,
        business_address,
        kind_name,
        invoice.display_number,
    ):
        assert expected in text, expected
    assert "?" not in text

    # In Icelandic too ("12,50 EUR", as Icelandic writes it).
    buyer.language = "is"
    buyer.save()
    text = download(client, buyer, invoice)
    assert "Upphæð 12,50\xa0EUR" in text or "Upphæð 12,50 EUR" in text
    assert client_name in text and "?" not in text
    assert "Gjalddagi" in text  # the due date


def test_the_pdf_says_when_the_bill_is_due_on_the_page_and_in_the_file(client, alice, invoice):
    with translation.override(alice.language):
        due = date_format(timezone.localtime(invoice.session_starts_at), "DATE_FORMAT")
    lines = download(client, alice, invoice).splitlines()
    assert f"Due {due}" in lines, lines
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert f"<dt>Due</dt><dd>{due}</dd>" in page


def test_a_credit_note_has_no_due_date(client, alice, professional, invoice):
    booking = invoice.booking
    booking_move(
        booking=booking,
        by=professional.user,
        starts_at=booking.starts_at + timedelta(days=1),
    )
    invoice.refresh_from_db()
    note = invoice.credit_note
    assert note.due_at is None
    text = pdf_text(invoice_pdf(note))
    assert "Due" not in text


def test_the_pdf_is_made_quickly(invoice):
    invoice_pdf(invoice)  # the first one reads the font files
    started = time.perf_counter()
    for _ in range(3):
        content = invoice_pdf(invoice)
    assert (time.perf_counter() - started) / 3 < 2.0  # about 0.2 s here, on a shared machine
    assert len(content) < 100_000  # the fonts embedded as a subset, not whole
