"""From an operator's invitation to the new professional's first booked session:
the e-mailed link, the account, the checklist on Home, and an invitation sent."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from tengja.bookings.models import Booking
from tengja.professionals.models import Professional
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_accounts import link_path, wait_for_mail
from tests.factories import UserFactory


def test_invitation_to_checklist_to_first_booked_session(browser, live, password):
    operator = UserFactory(email="ops@tengja.test", name="Olga Operator", is_staff=True)

    ops_context = browser.new_context(base_url=live.url, locale="en-GB")
    ops = ops_context.new_page()
    sign_in(ops, operator.email, password)
    ops.get_by_role("link", name="Professionals").click()
    expect(ops.get_by_role("heading", name="Professionals", exact=True)).to_be_visible()
    ops.get_by_label("Email").fill("ragna@example.com")
    ops.get_by_role("button", name="Send invitation").click()
    expect(ops.get_by_text("An invitation is on its way to ragna@example.com.")).to_be_visible()
    expect(ops.get_by_role("button", name="Send again ragna@example.com")).to_be_visible()
    assert axe_violations(ops) == []
    ops_context.close()

    message = wait_for_mail()
    assert message.to == ["ragna@example.com"]
    context = browser.new_context(
        base_url=live.url, locale="en-GB", timezone_id="Atlantic/Reykjavik"
    )
    page = context.new_page()
    page.goto(link_path(message, "/professionals/join/"))
    expect(page.get_by_role("heading", name="Join Tengja as a professional")).to_be_visible()
    page.get_by_label("Name").fill("Ragna Ráðgjafi")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I have read and agree")).check()
    page.get_by_role("button", name="Create Account").click()

    # Home guides the new professional through the three steps.
    checklist = page.locator(".setup")
    expect(checklist.get_by_role("heading", name="Get ready to take bookings")).to_be_visible()
    expect(checklist.locator(".checklist__item--done")).to_have_count(0)
    assert axe_violations(page) == []

    checklist.get_by_role("link", name="Write your public profile").click()
    page.get_by_label("Title").fill("Ráðgjafi")
    page.get_by_label("Short bio").fill("Ég hjálpa fólki að ná tökum á streitu.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Home").click()
    expect(checklist.locator(".checklist__item--done")).to_have_count(1)

    checklist.get_by_role("link", name="Add a session type").click()
    page.get_by_label("Name").fill("Viðtal")
    page.get_by_label("Duration (minutes)").fill("50")
    page.get_by_label("Price").fill("15000")
    page.get_by_label("Currency").select_option("ISK")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Home").click()
    expect(checklist.locator(".checklist__item--done")).to_have_count(2)

    checklist.get_by_role("link", name="Set your weekly hours").click()
    page.get_by_label("Weekday").select_option(label="Monday")
    page.get_by_label("From").first.fill("09:00")
    page.get_by_label("Until").first.fill("16:00")
    page.get_by_role("button", name="Add").first.click()
    expect(page.get_by_role("button", name="Remove Monday 09:00–16:00")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.locator(".setup")).to_have_count(0)  # done: the checklist is gone

    # The first invitation, and the session it books.
    page.get_by_role("link", name="Send a booking invitation").first.click()
    start = (timezone.now() + timedelta(days=4)).astimezone(ZoneInfo("Atlantic/Reykjavik"))
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    page.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Client's email").fill("first.client@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(
        page.get_by_text("The invitation is on its way to first.client@example.com.")
    ).to_be_visible()

    professional = Professional.objects.get(user__email="ragna@example.com")
    booking = Booking.objects.get(professional=professional)
    assert booking.starts_at == start and booking.invitation.email == "first.client@example.com"
    assert wait_for_mail(2).to == ["first.client@example.com"]

    # It is on the professional's week, with the invited address.
    page.goto(f"/practice/week/?day={start.date().isoformat()}")
    expect(page.locator(".pro-week")).to_contain_text("first.client@example.com")
    expect(page.locator(".pro-week")).to_contain_text("10:00–10:50")
    context.close()
