"""A client at phone width, in Icelandic, answers a PHQ-9 twice (the second time
item 9 above 0: crisis contacts at once), sees the chart of both; their
professional sees it on the client's page, with the flag. Axe-clean."""

from playwright.sync_api import expect

from tengja.measures.models import MeasureResponse
from tengja.measures.services import measure_send
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory


def answer(phone, values) -> None:
    for item, value in enumerate(values, start=1):
        phone.locator(f'input[name="{item}"][value="{value}"]').check()
    phone.get_by_role("button", name="Senda svörin mín").click()


def test_a_client_answers_a_phq9_twice_and_both_see_the_chart(phone, professional, alice, password):
    for person in (alice, professional.user):
        person.language = "is"
        person.save(update_fields=["language"])
    BookingFactory(client=alice, session_type__professional=professional)
    measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    sign_in(phone, alice.email, password)
    expect(phone.get_by_role("heading", name="Spurningalistar sem bíða þín")).to_be_visible()
    phone.get_by_role("link", name="Svara PHQ-9 fyrir Helga Sigurðardóttir").click()
    expect(phone.get_by_text("Over the last 2 weeks")).to_be_visible()
    # A question left out: refused, with the reason, and nothing kept.
    phone.evaluate("document.querySelector('form.measure-form').noValidate = true")
    answer(phone, [2, 2, 2, 2, 2, 2, 2, 2])
    expect(phone.get_by_text("Svaraðu öllum spurningunum.")).to_be_visible()
    assert not MeasureResponse.objects.exists()
    assert axe_violations(phone) == []
    answer(phone, [2, 2, 2, 2, 2, 2, 2, 2, 0])
    expect(phone.get_by_text("Takk: svörin þín eru vistuð.")).to_be_visible()
    expect(phone.get_by_text("1717")).to_have_count(0)
    # The professional asks again (a sent questionnaire is answered once).
    measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    phone.goto("/measures/")
    phone.get_by_role("link", name="Svara PHQ-9 fyrir Helga Sigurðardóttir").click()
    answer(phone, [1, 1, 0, 0, 0, 0, 0, 0, 1])
    expect(phone.get_by_role("link", name="1717")).to_be_visible()
    expect(phone.get_by_role("link", name="112")).to_be_visible()
    assert axe_violations(phone) == []
    phone.goto("/measures/")
    table = phone.locator(".measure-chart__table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("16")
    expect(phone.locator(".measure-chart__dot")).to_have_count(2)
    assert axe_violations(phone) == []

    phone.context.clear_cookies()
    sign_in(phone, professional.user.email, password)
    expect(phone.get_by_role("heading", name="Svör sem þarfnast athygli þinnar")).to_be_visible()
    phone.goto(f"/practice/clients/{alice.code}/")
    expect(phone.get_by_text("Svar þarfnast athygli þinnar")).to_be_visible()
    expect(phone.locator(".measure-chart__dot")).to_have_count(2)
    assert axe_violations(phone) == []
