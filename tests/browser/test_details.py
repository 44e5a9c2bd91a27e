"""Required details in a real browser, on a phone in Icelandic: the client's
Join button is disabled with the reason, they give their details (a bad phone
number is refused first), and back on the session page the button is a link;
each page fits 360 px and is axe-clean."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.intake.models import Detail
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import (
    PASSWORD,
    BookingFactory,
    ProfessionalFactory,
    SessionTypeFactory,
    UserFactory,
)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_client_gives_their_details_and_may_join(phone, live):
    pro = ProfessionalFactory(
        user__name="Helga Sigurðardóttir",
        required_details=[Detail.PHONE, Detail.EMERGENCY_CONTACT],
    )
    client = UserFactory(email="anna@example.com", language="is")
    booking = BookingFactory(
        client=client,
        session_type=SessionTypeFactory(professional=pro, name="Viðtal"),
        starts_at=timezone.now() + timedelta(minutes=5),
    )

    sign_in(phone, client.email, PASSWORD)
    phone.goto(f"/sessions/{booking.code}/")
    main = phone.locator("main")
    reason = "Helga Sigurðardóttir biður um upplýsingar frá þér áður en símtalið"
    expect(main).to_contain_text(reason)
    expect(main.get_by_role("link", name="Tengjast myndfundi")).to_have_count(0)
    expect(main).to_contain_text("Fyrir tímann biður Helga Sigurðardóttir um:")
    assert axe_violations(phone) == []
    assert fits(phone)

    main.get_by_role("link", name="Gefa upplýsingarnar").click()
    expect(phone.locator("h1")).to_contain_text("Upplýsingarnar þínar fyrir Helga Sigurðardóttir")
    phone.get_by_label("Símanúmer").fill("555 12ab")
    phone.get_by_label("Tengiliður í neyð").fill("Jón Jónsson 555 4321")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("main")).to_contain_text("Símanúmer má aðeins innihalda")
    assert axe_violations(phone) == []
    assert fits(phone)
    phone.get_by_label("Símanúmer").fill("+354 555 1234")
    phone.locator("main form button[type=submit]").click()

    expect(phone).to_have_url(f"{live.url}/sessions/{booking.code}/")
    expect(main.get_by_role("link", name="Tengjast myndfundi")).to_be_visible()
    expect(main).not_to_contain_text(reason)
    assert axe_violations(phone) == []
