"""A client at phone width, in Icelandic, fills in an intake form (saved as they
go: "Vistað", kept over a reload), signs a consent and downloads the signed PDF;
the call opens once signed. Axe-clean."""

import io
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from tengja.intake.models import FormResponse, IntakeForm
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory


def test_fill_in_sign_and_download_at_phone_width_in_icelandic(
    phone, professional, alice, password
):
    alice.language = "is"
    alice.save(update_fields=["language"])
    kind = SessionTypeFactory(professional=professional, name="Fjarviðtal")
    intake = IntakeForm.objects.create(
        professional=professional,
        title="Inntaka",
        fields=[
            {"key": "saga", "kind": "long_text", "label": "Segðu frá", "required": True},
            {"key": "svefn", "kind": "scale", "label": "Svefn", "min": 1, "max": 5},
        ],
    )
    consent = IntakeForm.objects.create(
        professional=professional,
        kind=IntakeForm.Kind.CONSENT,
        title="Samþykki",
        body="Ég samþykki fjarmeðferð.",
    )
    for form in (intake, consent):
        form.session_types.add(kind)
    booking = BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
    )
    sign_in(phone, alice.email, password)
    expect(phone.get_by_role("heading", name="Fyrir fyrsta tímann")).to_be_visible()
    phone.get_by_role("link", name="Fylla út „Inntaka“").click()
    phone.get_by_label("Segðu frá").fill("Kvíði og svefnleysi")
    expect(phone.locator("[data-save-status]")).to_have_text("Vistað")
    phone.reload()
    expect(phone.get_by_label("Segðu frá")).to_have_value("Kvíði og svefnleysi")
    phone.wait_for_timeout(1200)  # opened untouched: past the autosave's wait, nothing saved
    expect(phone.locator("[data-save-status]")).to_have_text("")
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Senda").click()
    expect(phone.get_by_text("Kvíði og svefnleysi")).to_be_visible()
    assert FormResponse.objects.get(form=intake).state == FormResponse.State.SUBMITTED

    phone.goto(f"/sessions/{booking.code}/")
    expect(
        phone.get_by_text("Undirritaðu „Samþykki“ áður en símtalið getur hafist.")
    ).to_be_visible()
    phone.get_by_role("link", name="Undirrita „Samþykki“").click()
    phone.get_by_label("Skrifaðu fullt nafn þitt til að undirrita").fill("Alice")
    phone.get_by_role("button", name="Undirrita", exact=True).click()
    expect(phone.locator("[data-error-summary]")).to_be_focused()
    assert axe_violations(phone) == []
    phone.get_by_label("Skrifaðu fullt nafn þitt til að undirrita").fill("alice andersen")
    phone.get_by_role("button", name="Undirrita", exact=True).click()
    expect(phone.get_by_text("Undirritað af alice andersen")).to_be_visible()
    assert axe_violations(phone) == []
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Sækja undirritað PDF-skjal").click()
    text = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
    )
    text = " ".join(text.split())
    assert "Ég samþykki fjarmeðferð." in text and "Undirritað af alice andersen" in text
    phone.goto(f"/sessions/{booking.code}/")
    expect(phone.get_by_role("link", name="Tengjast myndfundi")).to_be_visible()
