"""The professional records that the client did not come, charges for it under
their policy and keeps a private note; the client's page says "No-show" and what
is still to pay, never the note. On a phone, in Icelandic, axe-clean."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.billing.services import invoice_issue
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory

NOTE = "Zebra-note: phoned twice, no answer"


def test_a_charged_no_show_with_a_private_note(page, phone, professional, alice, password):
    professional.policy_en = "A missed session costs the full price."
    professional.save()
    kind = SessionTypeFactory(professional=professional, name="Talk", price_amount=18000)
    start = (timezone.now() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    booking = BookingFactory(session_type=kind, client=alice, starts_at=start)
    invoice_issue(booking=booking)

    sign_in(page, professional.user.email, password)
    page.goto(f"/sessions/{booking.code}/")
    page.get_by_role("link", name="Cancel session").click()
    expect(page.get_by_text("A missed session costs the full price.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("The client did not come").check()
    page.get_by_label("Private note").fill(NOTE)
    page.get_by_label("Charge for the session").check()
    page.get_by_role("button", name="Cancel session").click()
    expect(page.get_by_text("The client is recorded as not having come.")).to_be_visible()
    expect(page.get_by_text(NOTE)).to_be_visible()
    expect(page.locator(".page-head__state")).to_contain_text("No-show")

    alice.language = "is"
    alice.save(update_fields=["language"])
    sign_in(phone, alice.email, password)
    phone.goto(f"/sessions/{booking.code}/")
    main = phone.locator("main")
    expect(main).to_contain_text("Mætti ekki")
    expect(main).to_contain_text("Skráð var að þú hefðir ekki mætt í þennan tíma.")
    expect(main).to_contain_text("18.000")
    expect(main).not_to_contain_text("Zebra-note")
    assert axe_violations(phone) == []
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
