"""A client moves their own session: the session page, a free time, the review,
the session page again at the new time; the professional finds a notice."""

import re
from datetime import time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.bookings.models import Booking
from tengja.bookings.services import booking_invite
from tengja.professionals.models import WeeklyAvailability
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import SessionTypeFactory


def test_a_client_reschedules_and_the_professional_is_told(
    browser, live, alice, professional, password, django_capture_on_commit_callbacks
):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )
    start = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_invite(
            professional=professional, session_type=kind, starts_at=start, email=alice.email
        )

    context = browser.new_context(
        base_url=live.url, locale="en-GB", viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, alice.email, password)
    page.goto(f"/sessions/{booking.code}/")
    expect(page.get_by_text("You can move it to another free time until")).to_be_visible()
    page.get_by_role("link", name="Move session").click()
    expect(page.get_by_role("heading", name="Move session", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Free times")).to_be_visible()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # By keyboard: each time is a link named with its day.
    next_day = (start + timedelta(days=1)).strftime("%-d %B %Y")
    choice = page.get_by_role("link", name=re.compile(rf"^11:00 .*{next_day}, move the session"))
    choice.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Review the new time")).to_be_visible()
    expect(page.get_by_text("Helga Sigurðardóttir will be told")).to_be_visible()
    assert axe_violations(page) == []
    # Back changes nothing.
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", name="Free times")).to_be_visible()
    assert Booking.objects.get(pk=booking.pk).starts_at == start
    choice.click()
    page.get_by_role("button", name="Move session").click()
    expect(
        page.get_by_text("Your session has been moved. We have told Helga Sigurðardóttir.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Individual session")).to_be_visible()
    expect(page.get_by_text(f"{next_day}, 11:00–11:50")).to_be_visible()
    context.close()

    pro = browser.new_context(base_url=live.url, locale="en-GB").new_page()
    sign_in(pro, professional.user.email, password)
    pro.get_by_role("link", name="Notifications").click()
    expect(
        pro.get_by_text(re.compile(r"Moved: Individual session with Alice Andersen is now"))
    ).to_be_visible()
    pro.context.close()
