"""An on-site session in a real browser, on a phone in Icelandic: the
professional makes an on-site type (a missing address is said and focused),
the client's session page shows the address and no Join button, and the call
page says there is no call; each page fits 360 px and is axe-clean."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.bookings.services import booking_invite
from tengja.professionals.models import SessionType
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, ProfessionalFactory, UserFactory


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_on_site_session_from_its_type_to_the_clients_page(phone, live):
    pro = ProfessionalFactory(user__email="helga@example.com", user__language="is")
    client = UserFactory(email="anna@example.com", language="is")

    sign_in(phone, pro.user.email, PASSWORD)
    phone.goto("/practice/session-types/new/")
    phone.fill("#id_name", "Á stofunni")
    phone.fill("#id_duration_minutes", "50")
    phone.fill("#id_price", "18000")
    phone.select_option("#id_currency", "ISK")
    phone.select_option("#id_mode", "in_person")
    phone.locator("main form button[type=submit]").click()
    # Refused, with the reason beside the field, which the summary leads to.
    expect(phone.locator("main")).to_contain_text(
        "Gefðu upp heimilisfangið þar sem tímar á staðnum fara fram."
    )
    assert axe_violations(phone) == []
    assert fits(phone)
    phone.fill("#id_address", "Laugavegur 26, 3. hæð\n101 Reykjavík")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("main")).to_contain_text("Á staðnum, Laugavegur 26, 3. hæð, 101 Reykjavík")
    kind = SessionType.objects.get(professional=pro)

    booking = booking_invite(
        professional=pro,
        session_type=kind,
        starts_at=(timezone.now() + timedelta(minutes=5)).replace(microsecond=0),
        email=client.email,
    )
    phone.context.clear_cookies()
    sign_in(phone, client.email, PASSWORD)
    phone.goto(f"/sessions/{booking.code}/")
    main = phone.locator("main")
    expect(main).to_contain_text("Laugavegur 26, 3. hæð")
    expect(main.get_by_role("link", name="Finna á OpenStreetMap")).to_be_visible()
    expect(phone.get_by_text("Tengjast myndfundi")).to_have_count(0)
    assert axe_violations(phone) == []
    assert fits(phone)

    phone.goto(f"/sessions/{booking.code}/join/")
    expect(phone.locator("h1")).to_have_text("Enginn myndfundur er í þessum tíma")
    assert axe_violations(phone) == []
    assert fits(phone)
