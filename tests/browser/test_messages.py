"""A client and her professional, at phone width in Icelandic, exchange messages
with a PDF attached: the file downloads, the unread mark goes once it is read,
and every page is axe-clean and fits 360 px."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tengja.messaging.models import Message
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory
from tests.messaging.conftest import pdf_bytes


def fits(phone) -> bool:
    return phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_client_and_professional_exchange_messages_with_a_pdf(phone, professional, alice, password):
    for person in (alice, professional.user):
        person.language = "is"
        person.save(update_fields=["language"])
    session = BookingFactory(
        client=alice,
        session_type__professional=professional,
        starts_at=timezone.now() + timedelta(days=3),
    )
    sign_in(phone, alice.email, password)
    phone.goto(reverse("bookings:detail", args=[session.code]))
    phone.get_by_role("button", name="Senda Helga Sigurðardóttir skilaboð").click()
    expect(phone.get_by_role("heading", name="Skilaboð við Helga Sigurðardóttir")).to_be_visible()
    assert axe_violations(phone) == []
    assert fits(phone)
    # Nothing to send: refused, with the reason.
    phone.get_by_role("button", name="Senda", exact=True).click()
    expect(
        phone.get_by_text("Skrifaðu skilaboð eða veldu skrá til að senda.").first
    ).to_be_visible()
    assert axe_violations(phone) == []
    phone.get_by_role("textbox", name="Skilaboð").fill("Góðan dag,\nhér er blaðið frá lækninum.")
    phone.get_by_label("Hengja skrá við (valfrjálst)").set_input_files(
        files=[{"name": "Blað.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    phone.get_by_role("button", name="Senda", exact=True).click()
    expect(phone.get_by_text("Skilaboðin voru send.")).to_be_visible()
    listed = phone.locator("#message-list")
    expect(listed.get_by_text("hér er blaðið frá lækninum.")).to_be_visible()
    expect(listed.get_by_role("link", name="Blað.pdf")).to_be_visible()
    assert Message.objects.get().file_name == "Blað.pdf"
    assert axe_violations(phone) == []
    assert fits(phone)

    phone.context.clear_cookies()
    sign_in(phone, professional.user.email, password)
    phone.goto(reverse("messaging:inbox"))
    row = phone.locator(".conversation-row")
    expect(row.get_by_text("Ólesið")).to_be_visible()
    assert axe_violations(phone) == []
    assert fits(phone)
    row.get_by_role("link", name="Alice Andersen").click()
    with phone.expect_download() as download:
        phone.locator("#message-list").get_by_role("link", name="Blað.pdf").click()
    assert download.value.suggested_filename == "Blað.pdf"
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read() == pdf_bytes()
    phone.get_by_role("textbox", name="Skilaboð").fill("Takk, ég skoða það fyrir tímann.")
    phone.get_by_role("button", name="Senda", exact=True).click()
    expect(phone.locator("#message-list").get_by_text("Takk, ég skoða það")).to_be_visible()
    assert axe_violations(phone) == []
    assert fits(phone)
    phone.goto(reverse("messaging:inbox"))
    expect(phone.locator(".conversation-row").get_by_text("Ólesið")).to_have_count(0)
