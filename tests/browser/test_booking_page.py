"""A visitor on a phone, in Icelandic, opens a professional's booking page: the
times are in the zone their browser reports; they sign in and book one."""

from datetime import datetime, time
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tengja.bookings.models import Booking
from tengja.professionals.models import SessionType, WeeklyAvailability
from tests.browser.conftest import axe_violations
from tests.factories import SessionTypeFactory


def test_a_visitor_sees_their_zone_signs_in_and_books(browser, live, professional, alice, password):
    professional.bio = "Hugræn atferlismeðferð."
    professional.booking_slug = "helga"
    professional.booking_page_on = True
    professional.save()
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(12)
        )
    kind = SessionTypeFactory(
        professional=professional, name="Viðtal", booking_mode=SessionType.BookingMode.INSTANT
    )
    alice.language = "is"
    alice.save()
    context = browser.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 740},
        locale="is-IS",
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/book/helga/", wait_until="networkidle")
    # The browser's zone, found by the page's script and kept in the address.
    expect(page).to_have_url("/book/helga/?tz=Asia%2FTokyo", ignore_case=True)
    expect(page.get_by_label("Sýna tíma í")).to_have_value("Asia/Tokyo")
    expect(page.get_by_text("Bókanlegt strax")).to_be_visible()
    slot = page.locator("a.slot").first
    href = slot.get_attribute("href") or ""
    starts_at = datetime.fromisoformat(parse_qs(urlsplit(href).query)["at"][0])
    shown = starts_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    expect(slot).to_contain_text(shown)  # 09:00 in Reykjavik is 18:00 in Tokyo
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []

    slot.click()
    expect(page.get_by_role("heading", name="Bóka þennan tíma")).to_be_visible()
    # The account form on the way: its honeypot is out of sight and out of reach.
    expect(page.get_by_label("Hafðu þetta autt")).not_to_be_in_viewport()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Skrá inn").last.click()
    page.locator("#id_username").fill(alice.email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", name="Bóka þennan tíma")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Bóka", exact=True).click()
    expect(page.get_by_text("Tíminn þinn er bókaður.")).to_be_visible()
    booking = Booking.objects.get()
    assert (
        booking.client == alice and booking.starts_at == starts_at and booking.session_type == kind
    )
    context.close()
