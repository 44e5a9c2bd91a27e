"""A professional marks a bill paid by hand, the client sees it, and the
professional undoes it as a mistake (issue 28): at desktop width in English for
the professional, on a 360 px phone in Icelandic for the client, axe-clean."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.billing.manual import professional_today
from tengja.billing.models import Invoice, Payment
from tengja.bookings.services import booking_invite
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import SessionTypeFactory


def test_marking_a_bill_paid_and_undoing_it(page, phone, professional, alice, password):
    alice.language = "is"
    alice.save()
    kind = SessionTypeFactory(professional=professional, name="Viðtal", price_amount=18000)
    invoice = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=3),
        email=alice.email,
    ).invoices.get()
    invoice = Invoice.objects.select_related("professional__user").get(pk=invoice.pk)
    yesterday = professional_today(invoice) - timedelta(days=1)

    sign_in(page, professional.user.email, password)
    page.goto(f"/payments/invoices/{invoice.code}/")
    expect(page.get_by_role("heading", name="Paid outside Tengja?")).to_be_visible()
    assert axe_violations(page) == []
    # A day in the future is refused on the field, and nothing is recorded.
    page.get_by_label("Cash", exact=True).check()
    page.get_by_label("Date paid").fill((yesterday + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_text("The date cannot be in the future.").first).to_be_visible()
    assert not Payment.objects.exists()
    assert axe_violations(page) == []
    page.get_by_label("Cash", exact=True).check()
    page.get_by_label("Date paid").fill(yesterday.isoformat())
    page.get_by_label("Reference (optional)").fill("Kvittun 12")
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_text("The bill is marked paid.")).to_be_visible()
    expect(page.get_by_text("Paid in cash on").first).to_be_visible()
    assert axe_violations(page) == []

    # The client, on a phone in Icelandic.
    sign_in(phone, alice.email, password)
    phone.goto(f"/payments/invoices/{invoice.code}/")
    expect(phone.get_by_text("Greitt með reiðufé").first).to_be_visible()
    expect(phone.get_by_role("heading", name="Greitt utan Tengja?")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(phone) == []

    # Undone as a mistake: the bill is open again, for both.
    page.get_by_text("Recorded by mistake?").click()
    page.get_by_role("button", name="Undo this payment").click()
    expect(page.get_by_text("The payment is undone and the bill is open again.")).to_be_visible()
    expect(page.get_by_role("heading", name="Paid outside Tengja?")).to_be_visible()
    assert axe_violations(page) == []
    phone.reload()
    expect(phone.get_by_text("gildir ekki lengur").first).to_be_visible()
    expect(phone.get_by_role("link", name="Greiða núna")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(phone) == []
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.CANCELLED and payment.cancelled_by == professional.user
