"""Issue 29 from end to end, as the people do it, in two browsers.

A visitor on a phone, in Icelandic and in New York, opens a professional's
booking page, picks a time shown in their own zone, creates an account on the
way, confirms the e-mail and so sends a request. The professional accepts it.
When the session is near, the client's call is refused until they have given
the details the professional requires, sent the intake form and signed the
consent; they download the signed PDF, and then client and professional are in
the call together.

The server runs in this process, so moving the clock (time_machine) moves it for
the server too.
"""

import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from tengja.bookings.models import Booking, BookingRequest
from tengja.intake.models import Detail, FormResponse, IntakeForm
from tengja.professionals.models import SessionType, WeeklyAvailability
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_accounts import wait_for_mail
from tests.factories import SessionTypeFactory

NEW_YORK = ZoneInfo("America/New_York")
VISITOR = "sigrun@example.com"
VISITOR_PASSWORD = "löng og góð setning"


def phone_context(browser, live, zone: str):
    context = browser.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 740},
        locale="is-IS",
        timezone_id=zone,
    )
    context.set_default_timeout(10_000)
    return context


def test_a_visitor_becomes_a_client_and_meets_the_professional(
    browser, live, professional, password
):
    professional.bio = "Hugræn atferlismeðferð."
    professional.booking_slug = "helga"
    professional.booking_page_on = True
    professional.required_details = [Detail.PHONE]
    professional.save()
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )
    kind = SessionTypeFactory(
        professional=professional,
        name="Fyrsta viðtal",
        booking_mode=SessionType.BookingMode.REQUEST,
    )
    intake = IntakeForm.objects.create(
        professional=professional,
        title="Inntaka",
        fields=[{"key": "saga", "kind": "long_text", "label": "Segðu frá", "required": True}],
    )
    consent = IntakeForm.objects.create(
        professional=professional,
        kind=IntakeForm.Kind.CONSENT,
        title="Samþykki",
        body="Ég samþykki fjarmeðferð.",
    )
    for form in (intake, consent):
        form.session_types.add(kind)

    with time_machine.travel(timezone.now(), tick=True) as clock:
        # The visitor's page: times in the zone the browser reports.
        visitor_context = phone_context(browser, live, "America/New_York")
        visitor = visitor_context.new_page()
        visitor.goto("/book/helga/", wait_until="networkidle")
        expect(visitor).to_have_url(re.compile(r"tz=America%2FNew_York"))
        section = visitor.locator("section", has=visitor.get_by_role("heading", name=kind.name))
        slot = section.locator("a.slot").first
        href = slot.get_attribute("href") or ""
        starts_at = datetime.fromisoformat(parse_qs(urlsplit(href).query)["at"][0])
        expect(slot).to_contain_text(starts_at.astimezone(NEW_YORK).strftime("%H:%M"))
        assert axe_violations(visitor) == []
        slot.click()

        # An account on the way; nothing is asked for until the e-mail is proven.
        expect(visitor.get_by_role("heading", name="Biðja um þennan tíma")).to_be_visible()
        visitor.locator("#id_name").fill("Sigrún Jónsdóttir")
        visitor.locator("#id_email").fill(VISITOR)
        visitor.locator("#id_password").fill(VISITOR_PASSWORD)
        visitor.locator("#id_message").fill("Mig langar að ræða kvíða.")
        visitor.locator("#id_accept_terms").check()
        mail.outbox.clear()
        visitor.locator("main form button[type=submit]").click()
        expect(visitor.get_by_role("heading", name="Athugaðu tölvupóstinn þinn")).to_be_visible()
        assert not BookingRequest.objects.exists()
        message = wait_for_mail()
        assert message.to == [VISITOR]
        link = re.search(r"https?://[^/\s]+(/book/confirm/\S+)", message.body).group(1)
        visitor.goto(link)
        # Whoever opens the link must know the password chosen with the time.
        visitor.get_by_label("Lykilorðið sem þú valdir").fill(VISITOR_PASSWORD)
        visitor.locator("main form button[type=submit]").click()
        asked = BookingRequest.objects.get()
        assert asked.client.email == VISITOR and asked.starts_at == starts_at
        assert asked.status == BookingRequest.Status.OPEN
        assert asked.client.time_zone == "America/New_York"
        expect(visitor).to_have_url(re.compile(rf"/book/sent/{asked.code}/"))
        visitor_context.close()

        # The professional accepts.
        pro_context = browser.new_context(base_url=live.url, locale="en-GB")
        pro_context.set_default_timeout(10_000)
        pro = pro_context.new_page()
        sign_in(pro, professional.user.email, password)
        pro.goto("/practice/requests/")
        pro.locator(f"#request-{asked.code}").get_by_role("button", name="Accept").click()
        expect(pro.locator(".messages")).to_contain_text("Sigrún Jónsdóttir")
        booking = Booking.objects.get(client=asked.client)
        assert booking.starts_at == starts_at
        pro_context.close()

        # Ten minutes before the start: the call is open, but not yet for her.
        clock.move_to(starts_at - timedelta(minutes=10))
        client_context = phone_context(browser, live, "America/New_York")
        client = client_context.new_page()
        sign_in(client, VISITOR, VISITOR_PASSWORD)
        session = f"/sessions/{booking.code}/"
        client.goto(session)
        main = client.locator("main")
        expect(main.get_by_role("link", name="Tengjast myndfundi")).to_have_count(0)
        assert client.goto(f"{session}join/").status == 403

        # The details she is asked for.
        client.goto(session)
        main.get_by_role("link", name="Gefa upplýsingarnar").click()
        client.get_by_label("Símanúmer").fill("+1 212 555 0100")
        client.locator("main form button[type=submit]").click()
        expect(client).to_have_url(f"{live.url}{session}")

        # The intake form, then the consent: the call is refused until it is signed.
        main.get_by_role("link", name="Fylla út „Inntaka“").click()
        client.get_by_label("Segðu frá").fill("Kvíði og svefnleysi")
        client.get_by_role("button", name="Senda").click()
        expect(client.get_by_text("Kvíði og svefnleysi")).to_be_visible()
        refused = client.goto(f"{session}join/")
        assert refused.status == 403
        expect(client.locator("main")).to_contain_text("Samþykki")
        client.goto(session)
        main.get_by_role("link", name="Undirrita „Samþykki“").click()
        client.get_by_label("Skrifaðu fullt nafn þitt til að undirrita").fill("Sigrún Jónsdóttir")
        client.get_by_role("button", name="Undirrita", exact=True).click()
        expect(client.get_by_text("Undirritað af Sigrún Jónsdóttir")).to_be_visible()
        with client.expect_download() as download:
            client.get_by_role("link", name="Sækja undirritað PDF-skjal").click()
        pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
        text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
        assert "Ég samþykki fjarmeðferð." in text and "Sigrún Jónsdóttir" in text
        signed = FormResponse.objects.get(form=consent)
        assert signed.state == FormResponse.State.SIGNED and signed.signature_hash in text

        # Now both are in the call.
        client.goto(session)
        main.get_by_role("link", name="Tengjast myndfundi").click()
        client.get_by_role("button", name="Hefja tíma").click()
        pro_context = browser.new_context(base_url=live.url, locale="en-GB")
        pro_context.set_default_timeout(10_000)
        pro = pro_context.new_page()
        sign_in(pro, professional.user.email, password)
        pro.goto(f"{session}join/")
        pro.get_by_role("button", name="Join session").click()
        expect(pro.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
        expect(client.locator("#call-status")).to_contain_text("eruð nú tengd", timeout=15_000)
        client_context.close()
        pro_context.close()
