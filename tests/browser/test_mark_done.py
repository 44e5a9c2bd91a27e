"""The professional marks a session done at its end and charges it now; a
session skipped without a reason is refused. Axe-clean, in English on a desktop
and in Icelandic at phone width."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_issue
from tengja.bookings.models import Booking
from tests.billing.conftest import add_card
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory


def ended(professional, client, hours: int) -> Booking:
    kind = SessionTypeFactory(
        professional=professional, name="Individual session", price_amount=18000
    )
    starts_at = (timezone.now() - timedelta(hours=hours)).replace(second=0, microsecond=0)
    booking = BookingFactory(
        professional=professional,
        session_type=kind,
        client=client,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
    )
    invoice_issue(booking=booking)
    return booking


def test_mark_done_and_charge_now(page, professional, alice, password):
    booking = ended(professional, alice, 2)
    add_card(alice)
    sign_in(page, professional.user.email, password)
    page.goto(f"/sessions/{booking.code}/")
    expect(page.get_by_text("Ended, not marked done")).to_be_visible()
    assert axe_violations(page) == []
    # Skipping payment needs a reason: refused, nothing changed.
    page.get_by_role("radio", name="Skip payment").check()
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("Say why you are not charging for this session.")).to_be_visible()
    assert Booking.objects.get(pk=booking.pk).completed_at is None
    page.get_by_role("radio", name="Charge now").check()
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("The bill is paid.")).to_be_visible()
    expect(page.locator(".state--done")).to_have_text("Done")
    assert invoice_standing(booking=booking).status == Invoice.Status.PAID
    assert axe_violations(page) == []


def test_mark_done_at_phone_width_in_icelandic(phone, professional, alice, password):
    professional.user.language = "is"
    professional.user.save(update_fields=["language"])
    booking = ended(professional, alice, 3)
    sign_in(phone, professional.user.email, password)
    phone.goto(f"/sessions/{booking.code}/")
    expect(phone.get_by_text("Liðinn, ekki merktur lokinn")).to_be_visible()
    assert axe_violations(phone) == []
    # The form fits the phone (the facts above it are the session page's own).
    wide = phone.evaluate(
        "[...document.querySelectorAll('section:has(#done-heading) *')]"
        ".filter(e => e.getBoundingClientRect().right > 361)"
        ".map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"
    )
    assert wide == []
    phone.get_by_role("radio", name="Rukka síðar").check()
    phone.get_by_role("button", name="Merkja lokið").click()
    expect(phone.get_by_role("button", name="Rukka núna")).to_be_visible()
    assert axe_violations(phone) == []
