"""The Payments tab as a client uses it: cards, paying a bill, a declined card,
a card that asks for authentication, updating a card, and the PDF."""

import io
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from tengja.bookings.services import booking_invite
from tests.browser.conftest import sign_in
from tests.factories import SessionTypeFactory


def bills(professional, alice, count):
    kind = SessionTypeFactory(
        professional=professional, name="Individual session", price_amount=18000
    )
    start = timezone.now() + timedelta(days=3)
    return [
        booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=start + timedelta(hours=i),
            email=alice.email,
        ).invoices.get()
        for i in range(count)
    ]


def add_card(page, number):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").select_option("12")
    page.get_by_label("Expiry year").select_option(str(timezone.now().year + 2))
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Save card").click()


def test_cards_and_paying_bills(page, professional, alice, password, tmp_path):
    first, second = bills(professional, alice, 2)
    sign_in(page, alice.email, password)
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name="Your bills")).to_be_visible()

    # A mistyped number, then a card the bank declines: said on the field, never saved.
    page.get_by_role("link", name="Add a new card").click()
    add_card(page, "4242 4242 4242 4241")
    expect(page.get_by_text("Your card number is invalid.")).to_be_visible()
    add_card(page, "4000 0000 0000 0002")
    expect(page.get_by_text("Your card was declined.")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    assert not alice.payment_methods.exists()
    # A card saved fine whose charges are declined: the bill stays open and says why.
    add_card(page, "4000 0000 0000 0341")
    expect(page.get_by_text("Your Visa •••• 0341 has been saved.")).to_be_visible()
    page.goto(f"/payments/invoices/{first.code}/pay/")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Your card was declined.").first).to_be_visible()
    first.refresh_from_db()
    assert first.status == "open"

    # A new good card pays it.
    page.goto(f"/payments/invoices/{first.code}/pay/")
    page.get_by_role("link", name="Use a new card").click()
    add_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Pay your bill")).to_be_visible()
    # The card just added is the one chosen (issue #26), not the default 0341.
    expect(page.get_by_label("Visa •••• 4242")).to_be_checked()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Thank you: the bill is paid.")).to_be_visible()
    expect(page.locator(".status--paid").first).to_have_text("Paid")

    # The PDF says what the bill is.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    text = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
    )
    assert first.display_number in text and "Paid" in text and "ISK 18,000" in text

    # A card that asks for authentication when it is saved, and when it pays.
    page.goto("/payments/cards/new/")
    add_card(page, "4000 0027 6000 3184")
    expect(page.get_by_role("heading", name="Confirm your card")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_text("Your Visa •••• 3184 has been saved.")).to_be_visible()
    page.goto(f"/payments/invoices/{second.code}/pay/")
    page.get_by_label("Visa •••• 3184").check()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Confirm payment")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_text("Thank you: the bill is paid.")).to_be_visible()
    second.refresh_from_db()
    assert second.status == "paid"

    # Update a card's expiry.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Payments").click()
    page.get_by_role("link", name="Update card details 4242").click()
    page.get_by_label("Expiry month").select_option("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your card has been updated.")).to_be_visible()
    expect(page.get_by_text("expires 03/")).to_be_visible()


def test_a_payment_in_progress_belongs_to_its_card(page, professional, alice, password):
    """Issue #26: a payment started with a card that asks for authentication, its
    bank page left open; another card chosen, then the first card removed. The
    card chosen pays, the removed card is never charged, and the old page,
    completed, says the payment was cancelled."""
    from tengja.billing.models import LocalIntent, Payment
    from tests.billing.conftest import AUTHENTICATE, GOOD
    from tests.billing.conftest import add_card as saved_card

    first, second = bills(professional, alice, 2)
    saved_card(alice, AUTHENTICATE)
    saved_card(alice, GOOD)
    sign_in(page, alice.email, password)

    # Start paying with 3184; its bank page stays open in another tab.
    page.goto(f"/payments/invoices/{first.code}/pay/")
    page.get_by_label("Visa •••• 3184").check()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Confirm payment")).to_be_visible()
    old_page = page.context.new_page()
    old_page.goto(page.url)

    # Back on the bill, 4242 chosen: it pays, not the old page.
    page.goto(f"/payments/invoices/{first.code}/pay/")
    expect(page.get_by_text("A payment with your Visa •••• 3184 is waiting")).to_be_visible()
    page.get_by_label("Visa •••• 4242").check()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Thank you: the bill is paid.")).to_be_visible()
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    old_page.get_by_role("button", name="Complete authentication").click()
    expect(
        old_page.get_by_text("This payment with Visa •••• 3184 was cancelled because you chose")
    ).to_be_visible()
    expect(old_page.get_by_text("Visa •••• 4242")).to_be_visible()  # the bill paid with it

    # The second bill: started with 3184 again, its page left open; 3184 removed.
    page.goto(f"/payments/invoices/{second.code}/pay/")
    page.get_by_label("Visa •••• 3184").check()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Confirm payment")).to_be_visible()
    old_page.goto(page.url)
    page.goto("/payments/")
    page.get_by_role("link", name="Remove 3184").click()
    page.get_by_role("button", name="Remove card").click()
    expect(page.get_by_text("Your Visa •••• 3184 has been removed.")).to_be_visible()
    # Paid with the only card left.
    page.goto(f"/payments/invoices/{second.code}/pay/")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Thank you: the bill is paid.")).to_be_visible()
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    # The old page, completed now, takes nothing and says so.
    old_page.get_by_role("button", name="Complete authentication").click()
    expect(
        old_page.get_by_text(
            "This payment with Visa •••• 3184 was cancelled because you removed the card."
        )
    ).to_be_visible()
    expect(old_page.get_by_text("Thank you")).to_have_count(0)
    expect(old_page.get_by_text("Visa •••• 4242")).to_be_visible()
    expect(old_page.get_by_text("3184")).to_have_count(1)  # only in the message

    paid = Payment.objects.filter(status="succeeded").select_related("method")
    assert sorted((p.invoice_id, p.method.last4) for p in paid) == [
        (first.pk, "4242"),
        (second.pk, "4242"),
    ]
    assert set(
        LocalIntent.objects.filter(
            payment_method_ref__contains="auth_always", kind="payment"
        ).values_list("status", flat=True)
    ) == {"canceled"}
