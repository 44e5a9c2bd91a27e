"""The professional accepts a session request on their Requests page, on a phone
in Icelandic; the client then finds the session on Home and on their request's
page. Both pages axe-clean at 360 px."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.bookings.requests import request_create
from tengja.professionals.models import SessionType
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import SessionTypeFactory


def _phone(browser, live):
    context = browser.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 740},
        locale="is-IS",
        timezone_id="Atlantic/Reykjavik",
    )
    context.set_default_timeout(10_000)
    return context


def test_the_professional_accepts_and_the_client_sees_the_session(
    browser, live, phone, professional, alice, password
):
    for user in (professional.user, alice):
        user.language, user.time_zone = "is", "Atlantic/Reykjavik"
        user.save()
    kind = SessionTypeFactory(
        professional=professional,
        name="Fyrsta viðtal",
        booking_mode=SessionType.BookingMode.REQUEST,
    )
    starts = (timezone.now() + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    made = request_create(
        client=alice, session_type=kind, starts_at=starts, message="Mig langar að ræða svefninn."
    )

    sign_in(phone, professional.user.email, password)
    phone.goto("/practice/requests/")
    row = phone.locator(f"#request-{made.code}")
    expect(row).to_contain_text("Alice Andersen")
    expect(row).to_contain_text("Mig langar að ræða svefninn.")
    expect(row).to_contain_text("Tíminn er enn laus.")
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    row.get_by_role("button", name="Samþykkja").click()
    expect(phone.locator(".messages")).to_contain_text("Samþykkt: tíminn með Alice Andersen")
    expect(phone.get_by_role("region", name="Nýlega svarað")).to_contain_text("Samþykkt")

    context = _phone(browser, live)
    client = context.new_page()
    sign_in(client, alice.email, password)
    client.goto("/")
    expect(client.locator("main")).to_contain_text("Fyrsta viðtal")
    client.goto(f"/requests/{made.code}/")
    expect(client.locator(".page-head__state")).to_contain_text("Samþykkt")
    assert axe_violations(client) == []
    assert client.evaluate("document.documentElement.scrollWidth") <= 360
    client.get_by_role("link", name="Skoða tímann þinn").click()
    expect(client.locator("h1")).to_contain_text("Fyrsta viðtal")
    context.close()
