"""The professional invites; the client follows the e-mailed link, creates the
account, finds the session on Home and in the calendar, and cancels one."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tests.browser.conftest import sign_in
from tests.browser.test_accounts import link_path, wait_for_mail
from tests.factories import SessionTypeFactory


def test_invitation_to_home_calendar_and_cancel(browser, live, professional, password):
    SessionTypeFactory(professional=professional, name="Individual session", price_amount=18000)
    # The professional works in Reykjavik; the client's browser is in New York.
    start = (timezone.now() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    local = start.astimezone(ZoneInfo("Atlantic/Reykjavik"))

    pro_context = browser.new_context(base_url=live.url, locale="en-GB")
    pro = pro_context.new_page()
    sign_in(pro, professional.user.email, password)
    pro.get_by_role("link", name="Practice").click()
    pro.get_by_role("link", name="Send a booking invitation").click()
    pro.get_by_label("Session type").select_option(label="Individual session")
    pro.get_by_label("Start").fill(local.strftime("%Y-%m-%dT%H:%M"))
    pro.get_by_label("Client's email").fill("new.client@example.com")
    pro.get_by_role("button", name="Send invitation").click()
    expect(
        pro.get_by_text("The invitation is on its way to new.client@example.com.")
    ).to_be_visible()
    pro_context.close()

    message = wait_for_mail()
    assert message.to == ["new.client@example.com"]
    client_context = browser.new_context(
        base_url=live.url,
        locale="en-GB",
        timezone_id="America/New_York",
        viewport={"width": 1280, "height": 900},
    )
    page = client_context.new_page()
    page.goto("/")  # the script notes the browser's zone before the link is opened
    page.goto(link_path(message, "/invitations/"))
    expect(page.get_by_role("heading", name="Create your client account")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("new.client@example.com")
    page.get_by_label("Name").fill("Nína Client")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I have read and agree")).check()
    page.get_by_role("button", name="Create Account").click()

    # Lands on the session, shown in the client's own zone.
    expect(page.get_by_role("heading", name="Individual session")).to_be_visible()
    new_york = start.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    expect(page.get_by_text(new_york).first).to_be_visible()
    assert User.objects.get(email="new.client@example.com").time_zone == "America/New_York"

    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Upcoming appointments")).to_be_visible()
    expect(page.get_by_text("With Helga Sigurðardóttir")).to_be_visible()

    page.get_by_role("link", name="Calendar").first.click()
    month = start.astimezone(ZoneInfo("America/New_York"))
    if page.locator(".calendar-session").count() == 0:
        page.goto(f"/calendar/?month={month:%Y-%m}")
    session_link = page.locator(".calendar-month .calendar-session", has_text="Individual session")
    expect(session_link).to_contain_text(new_york)
    session_link.click()

    page.get_by_role("link", name="Cancel session").click()
    expect(page.get_by_text("You are cancelling in good time")).to_be_visible()
    page.get_by_role("button", name="Cancel session").click()
    expect(page.get_by_text("The session is cancelled.")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.is_cancelled and not booking.late_cancellation
    # The professional is told (after the client's own copy, for their calendar).
    notice = wait_for_mail(3)
    assert notice.to == [professional.user.email]
    client_context.close()


def test_calendar_shows_the_week_on_a_phone(phone, alice, password):
    from tests.factories import BookingFactory

    alice.time_zone = "Atlantic/Reykjavik"
    alice.save()
    booking = BookingFactory(client=alice, starts_at=timezone.now() + timedelta(hours=3))
    sign_in(phone, alice.email, password)
    local_day = timezone.localtime(booking.starts_at, ZoneInfo("Atlantic/Reykjavik")).date()
    phone.goto(f"/calendar/?week={local_day.isoformat()}")
    expect(phone.locator(".calendar-month")).to_be_hidden()
    week = phone.locator(".calendar-week")
    expect(week).to_be_visible()
    expect(week.locator(".calendar-session")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
