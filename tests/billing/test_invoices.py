import io
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.bookings.services import booking_cancel, booking_invite
from tests.conftest import requires_postgres
from tests.factories import BookingFactory, SessionTypeFactory


def test_a_booked_session_yields_an_invoice_with_the_price_at_booking_time(invoice, kind):
    assert invoice.number == 1
    assert (invoice.amount, invoice.currency, invoice.status) == (18000, "ISK", "open")
    kind.price_amount = 99999
    kind.save()
    invoice.refresh_from_db()
    assert invoice.amount == 18000


def test_numbers_run_per_professional_without_gaps(professional, other_professional, kind):
    other_kind = SessionTypeFactory(professional=other_professional)
    start = timezone.now() + timedelta(days=2)
    numbers = []
    for i in range(3):
        booking = booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=start + timedelta(hours=i),
            email=f"c{i}@example.com",
        )
        numbers.append(invoice_standing(booking=booking).number)
    other = booking_invite(
        professional=other_professional,
        session_type=other_kind,
        starts_at=start,
        email="o@example.com",
    )
    assert numbers == [1, 2, 3]
    assert invoice_standing(booking=other).number == 1


def test_an_issued_invoice_cannot_be_changed_or_deleted(invoice):
    invoice.amount = 1
    with pytest.raises(ValueError, match="cannot be changed"):
        invoice.save()
    invoice.refresh_from_db()
    with pytest.raises(ValueError, match="never deleted"):
        invoice.delete()
    invoice.status = Invoice.Status.VOID
    invoice.save()  # the status may move on


def test_free_cancellation_voids_and_late_one_stays_payable(alice, invoice, professional, kind):
    booking_cancel(booking=invoice.booking, by=alice)
    invoice.refresh_from_db()
    assert invoice.status == "void"
    late = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(hours=5),
        email=alice.email,
    )
    booking_cancel(booking=late, by=alice)
    assert invoice_standing(booking=late).status == "open"


def test_credits_sessions_have_no_invoice(alice, kind):
    booking = BookingFactory(client=alice, session_type=kind, paid_with="credits")
    from tengja.billing.services import invoice_issue

    assert invoice_issue(booking=booking) is None


def test_pdf_holds_the_invoice_text(client, alice, invoice):
    client.force_login(alice)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.code]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        invoice.display_number,
        "Helga Sigurðardóttir",
        "Alice Andersen",
        "Individual session",
        "ISK 18,000",
        "Open",
    ):
        assert expected in text, expected


def test_strangers_get_404_on_every_billing_url(client, bob, other_professional, invoice):
    for person in (bob, other_professional.user):
        client.force_login(person)
        for name in ("billing:invoice", "billing:invoice_pdf", "billing:pay"):
            assert client.get(reverse(name, args=[invoice.code])).status_code == 404, name


def test_payments_page_lists_bills_newest_first_with_flat_queries(
    client, alice, professional, kind, django_assert_max_num_queries
):
    start = timezone.now() + timedelta(days=2)
    for i in range(25):
        booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=start + timedelta(hours=i),
            email=alice.email,
        )
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("billing:payments"))
    page = response.context["page"]
    assert len(page) == 10 and page.has_next()
    numbers = [invoice.number for invoice in page]
    assert numbers == sorted(numbers, reverse=True)
    assert "ISK\xa018,000" in response.content.decode()
    # Read a window at a time, never counted: the last page has the last five.
    with django_assert_max_num_queries(10):
        last = client.get(reverse("billing:payments") + "?page=3").context["page"]
    assert [invoice.number for invoice in last] == [5, 4, 3, 2, 1] and not last.has_next()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_get_distinct_consecutive_numbers():
    kind = SessionTypeFactory()
    start = timezone.now() + timedelta(days=1)
    barrier = threading.Barrier(5)
    errors = []

    def book(i):
        try:
            barrier.wait()
            booking_invite(
                professional=kind.professional,
                session_type=kind,
                starts_at=start + timedelta(hours=i),
                email=f"c{i}@example.com",
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]


def test_an_open_bill_without_a_payment_says_nothing_about_a_failure(client, alice, invoice):
    client.force_login(alice)
    body = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert "Pay now" in body
    assert "did not go through" not in body and "being processed" not in body
    assert "dispute" not in body
