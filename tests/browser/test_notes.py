"""A professional at phone width, in Icelandic, writes a private note on a past
session from the SOAP template: it saves as they type ("Vistað", kept over a
reload), they sign it, and add an addendum shown with its time and their zone.
Axe-clean on the session page and the note, as a draft and signed."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.notes.models import Note
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory


def test_write_a_soap_note_sign_it_and_add_to_it(phone, professional, alice, password):
    user = professional.user
    user.language, user.time_zone = "is", "America/New_York"
    user.save(update_fields=["language", "time_zone"])
    kind = SessionTypeFactory(professional=professional, name="Viðtal")
    past = BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() - timedelta(days=1)
    )
    sign_in(phone, user.email, password)
    phone.goto(f"/sessions/{past.code}/")
    expect(phone.get_by_role("heading", name="Einkaglósur þínar")).to_be_visible()
    assert axe_violations(phone) == []
    phone.get_by_label("Byrja á").select_option("soap")
    phone.get_by_role("button", name="Skrifa glósu").click()

    body = phone.get_by_label("Glósa")
    expect(body).to_contain_text("Huglægt")
    phone.get_by_label("Titill").fill("Svefn og streita")
    body.fill("Huglægt\nSefur illa vegna vinnu.\n\nÁætlun\nSvefndagbók.")
    expect(phone.locator("[data-save-status]")).to_have_text("Vistað")
    phone.reload()
    expect(phone.get_by_label("Glósa")).to_have_value(
        "Huglægt\nSefur illa vegna vinnu.\n\nÁætlun\nSvefndagbók."
    )
    assert axe_violations(phone) == []

    phone.get_by_role("button", name="Undirrita og læsa").click()
    expect(phone.get_by_text("Glósan er undirrituð.")).to_be_visible()
    expect(phone.get_by_text("Sefur illa vegna vinnu.")).to_be_visible()
    expect(phone.get_by_label("Glósa")).to_have_count(0)  # locked: no longer a field
    phone.get_by_label("Viðauki").fill("Hringdi daginn eftir.")
    phone.get_by_role("button", name="Bæta við viðauka").click()
    expect(phone.get_by_text("Hringdi daginn eftir.")).to_be_visible()
    expect(phone.locator(".note-addenda")).to_contain_text("(America/New_York)")
    assert axe_violations(phone) == []
    # Nothing wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    note = Note.objects.get()
    assert note.is_signed and note.title == "Svefn og streita" and note.template == "soap"
    assert [a.body for a in note.addenda.all()] == ["Hringdi daginn eftir."]


def test_what_is_typed_before_the_page_script_runs_is_saved_too(
    page, professional, alice, password
):
    """On a slow connection a person may type before the autosave script has run:
    no event reaches it for that, so it saves what differs from the page as sent.
    A page opened and left as it was saves nothing."""
    from tengja.notes.services import note_start

    note = note_start(professional=professional, client=alice, template="soap")
    sign_in(page, professional.user.email, password)
    held = []

    def hold(route):  # the script waits until let go
        held.append(route)

    page.route("**/js/intake.js", hold)
    page.goto(f"/practice/notes/{note.code}/", wait_until="commit")
    page.get_by_label("Title").fill("Written early")
    expect(page.locator("[data-save-status]")).to_have_text("")
    assert Note.objects.get().title == ""
    page.wait_for_timeout(100)
    [script] = held
    script.continue_()
    expect(page.locator("[data-save-status]")).to_have_text("Saved")
    assert Note.objects.get().title == "Written early"

    # Opened again and left alone: nothing is sent, so nothing says "Saved".
    page.unroute("**/js/intake.js", hold)
    saves = []
    page.on("request", lambda request: saves.append(request) if "/save/" in request.url else None)
    page.reload()
    page.wait_for_timeout(1500)  # past the script's 800 ms wait before a save
    assert saves == [] and page.locator("[data-save-status]").text_content() == ""
