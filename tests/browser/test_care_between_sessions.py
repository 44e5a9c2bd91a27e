"""Issue 30 from end to end, as the people do it, in two browsers.

A client on a phone, in Icelandic and in Reykjavik, and her psychologist at a
desk, in English and in New York:
- the client writes to her professional from their next session's page, with a
  PDF attached; the professional's header counts it at once, without a reload;
  she downloads the PDF and answers;
- nobody reads the answer for ten minutes: the periodic job e-mails the client
  that a message waits, and the e-mail holds neither its text, nor the file's
  name, nor who wrote it; its link leads to the message;
- the professional writes a note on their last session from the SOAP template
  and signs it;
- she sends a PHQ-9 twice; the client answers it twice, and both see the chart
  of the two scores;
- the client, a member of her employer's Wellbeing Hub, answers the WHO-5 from
  her Home.

The server runs in this process, so moving the clock (time_machine) moves it for
the server and for the periodic job alike.
"""

import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tengja.hubs.models import Membership
from tengja.measures.models import MeasureResponse
from tengja.messaging.models import Message
from tengja.notes.models import Note
from tengja.wellbeing.models import Checkin
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_accounts import wait_for_mail
from tests.factories import BookingFactory, CompanyFactory, HubFactory, SessionTypeFactory
from tests.messaging.conftest import pdf_bytes

REPLY = "Takk fyrir blaðið, við förum yfir það í næsta tíma."


def answer_phq9(phone, values) -> None:
    for item, value in enumerate(values, start=1):
        phone.locator(f'input[name="{item}"][value="{value}"]').check()
    phone.get_by_role("button", name="Senda svörin mín").click()
    expect(phone.get_by_text("Takk: svörin þín eru vistuð.")).to_be_visible()


def send_phq9(desk, client_code: str) -> None:
    desk.goto(f"/practice/clients/{client_code}/")
    measures = desk.locator("#measures")
    measures.get_by_label("Questionnaire").select_option("phq9")
    measures.get_by_role("button", name="Send", exact=True).click()
    expect(desk.get_by_text("Sent: PHQ-9 is waiting for")).to_be_visible()


def test_care_between_sessions(browser, live, phone, page, professional, alice, password):
    desk = page
    helga = professional.user
    helga.time_zone = "America/New_York"
    helga.save(update_fields=["time_zone"])
    alice.language = "is"
    alice.save(update_fields=["language"])
    kind = SessionTypeFactory(professional=professional, name="Viðtal")
    last = BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() - timedelta(days=2)
    )
    coming = BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(days=5)
    )
    hub = HubFactory(company=CompanyFactory(name="Acme hf."), name="Acme")
    Membership.objects.create(
        hub=hub, user=alice, email=alice.email, status="active", verified_at=timezone.now()
    )

    # The professional is at her desk, her page open.
    sign_in(desk, helga.email, password)
    desk.goto("/")
    desk.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    inbox = desk.locator("a.inbox")
    expect(inbox.locator("[data-live-count]")).to_be_hidden()

    # The client writes from their next session's page, with a PDF.
    sign_in(phone, alice.email, password)
    phone.goto(f"/sessions/{coming.code}/")
    phone.get_by_role("button", name="Senda Helga Sigurðardóttir skilaboð").click()
    phone.get_by_role("textbox", name="Skilaboð").fill("Hér er blaðið frá heimilislækninum.")
    phone.get_by_label("Hengja skrá við (valfrjálst)").set_input_files(
        files=[{"name": "Blað.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    phone.get_by_role("button", name="Senda", exact=True).click()
    expect(phone.get_by_text("Skilaboðin voru send.")).to_be_visible()
    assert axe_violations(phone) == []
    phone.goto("/")  # away from the conversation, whose open page would read the answer

    # The professional's header counts it, without a reload.
    expect(inbox.locator("[data-live-count]")).to_have_text("1")
    expect(inbox).to_have_accessible_name(re.compile(r"^Messages\s*, 1 unread$"))
    inbox.click()
    desk.get_by_role("link", name=alice.name).click()
    with desk.expect_download() as download:
        desk.locator("#message-list").get_by_role("link", name="Blað.pdf").click()
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read() == pdf_bytes()
    expect(inbox.locator("[data-live-count]")).to_be_hidden()  # read now
    desk.get_by_role("textbox", name="Message").fill(REPLY)
    desk.get_by_role("button", name="Send", exact=True).click()
    expect(desk.locator("#message-list").get_by_text(REPLY)).to_be_visible()
    assert axe_violations(desk) == []

    # Nobody reads the answer: ten minutes on, the periodic job says that a
    # message waits, and nothing more.
    assert len(mail.outbox) == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=9), tick=True):
        call_command("periodic")
    assert len(mail.outbox) == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=True):
        call_command("periodic")
        told = wait_for_mail()
        assert told.to == [alice.email]
        every_part = " ".join([told.subject, told.body, told.alternatives[0][0]])
        for secret in ("blaðið", "Takk", "Blað.pdf", "Helga", "Sigurðardóttir", "heimilislækn"):
            assert secret not in every_part
        call_command("periodic")  # once per unread stretch
        assert len(mail.outbox) == 1
        [link] = set(re.findall(r"https?://[^/\s]+(/messages/\S*)", told.body))
        phone.goto(link)
        phone.locator(".conversation-row").get_by_role("link", name="Helga Sigurðardóttir").click()
        expect(phone.locator("#message-list").get_by_text(REPLY)).to_be_visible()
        assert axe_violations(phone) == []
    assert Message.objects.count() == 2

    # A note on their last session, from the SOAP template, signed.
    desk.goto(f"/sessions/{last.code}/")
    desk.get_by_label("Start from").select_option("soap")
    desk.get_by_role("button", name="Write a note").click()
    desk.get_by_label("Title").fill("Sleep and stress")
    desk.get_by_label("Note").fill("Subjective\nSleeps badly.\n\nPlan\nSleep diary.")
    expect(desk.locator("[data-save-status]")).to_have_text("Saved")
    desk.get_by_role("button", name="Sign and lock").click()
    expect(desk.get_by_text("The note is signed.")).to_be_visible()
    note = Note.objects.get()
    assert note.is_signed and note.template == "soap" and note.booking == last
    assert "Sleeps badly" not in str(Note.objects.values_list("body_sealed", flat=True).get())

    # The PHQ-9, twice: both see the chart of the two scores.
    for values in ([2, 2, 1, 1, 2, 1, 1, 1, 0], [1, 1, 1, 0, 1, 0, 1, 0, 0]):
        send_phq9(desk, alice.code)
        phone.goto("/measures/")
        phone.get_by_role("link", name="Svara PHQ-9 fyrir Helga Sigurðardóttir").click()
        answer_phq9(phone, values)
    assert sorted(MeasureResponse.objects.values_list("total", flat=True)) == [5, 11]
    phone.goto("/measures/")
    expect(phone.locator(".measure-chart__dot")).to_have_count(2)
    expect(phone.locator(".measure-chart__table tbody tr")).to_have_count(2)
    assert axe_violations(phone) == []
    desk.goto(f"/practice/clients/{alice.code}/")
    expect(desk.locator(".measure-chart__dot")).to_have_count(2)
    expect(desk.locator(".measure-chart__table")).to_contain_text("11")
    assert axe_violations(desk) == []

    # A member of her employer's hub: the WHO-5 from Home.
    phone.goto("/")
    phone.get_by_role("link", name="Svaraðu vellíðunarkvarðanum (Acme): fimm spurningar").click()
    for item, value in enumerate([3, 3, 2, 2, 3], start=1):
        phone.locator(f'input[name="{item}"][value="{value}"]').check()
    phone.get_by_role("button", name="Senda svörin mín").click()
    expect(phone.get_by_text("Nýjustu stigin þín: 52 af 100")).to_be_visible()
    assert axe_violations(phone) == []
    assert Checkin.objects.get().raw == 13
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
