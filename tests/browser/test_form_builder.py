"""A professional, on a phone in Icelandic, makes the telehealth consent from
Tengja's template, adds a yes-or-no question and requires the consent before
the first session of a session type (issue 29); each page passes axe-core."""

from playwright.sync_api import expect

from tengja.intake.models import IntakeForm
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import SessionTypeFactory


def test_a_consent_from_the_template_with_a_question_required_by_a_type(
    phone, professional, password
):
    user = professional.user
    user.language, user.time_zone = "is", "Atlantic/Reykjavik"
    user.save()
    kind = SessionTypeFactory(professional=professional, name="Fjarviðtal")

    sign_in(phone, user.email, password)
    phone.goto("/practice/")
    phone.get_by_role("link", name="Eyðublöð og samþykki sem", exact=False).click()
    phone.get_by_role("link", name="Nýtt eyðublað").click()
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Samþykki fyrir fjarþjónustu", exact=False).click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Samþykki fyrir myndviðtölum")
    expect(phone.get_by_label("Textinn sem skjólstæðingurinn samþykkir")).to_contain_text("1717")
    assert axe_violations(phone) == []
    phone.get_by_role("link", name="Já eða nei").click()
    adding = phone.get_by_role("region", name="Bæta við spurningu")
    adding.get_by_label("Spurning", exact=True).fill("Má ég hringja í þig ef sambandið rofnar?")
    adding.get_by_label("Svars er krafist").check()
    adding.get_by_role("button", name="Bæta spurningunni við").click()
    expect(phone.locator("main").get_by_role("status")).to_contain_text("Vistað")

    about = phone.get_by_role("region", name="Um eyðublaðið")
    about.get_by_label("Fjarviðtal").check()
    about.get_by_role("button", name="Vista").click()
    expect(phone.locator("main").get_by_role("status")).to_contain_text("Vistað")
    assert axe_violations(phone) == []

    form = IntakeForm.objects.get()
    assert form.kind == "consent" and list(form.session_types.all()) == [kind]
    assert form.fields[-1]["kind"] == "yes_no" and form.fields[-1]["required"] is True
    assert form.version == 3

    phone.get_by_role("link", name="Forskoðun").click()
    expect(phone.get_by_role("group", name="Má ég hringja í þig", exact=False)).to_be_visible()
    assert axe_violations(phone) == []
    # The page fits the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.goto(f"/practice/session-types/{kind.code}/")
    expect(phone.get_by_role("region", name="Eyðublöð fyrir fyrsta tímann")).to_contain_text(
        "Samþykki fyrir myndviðtölum"
    )
    phone.goto("/practice/forms/")
    expect(phone.locator("table")).to_contain_text("Fjarviðtal")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(phone) == []
