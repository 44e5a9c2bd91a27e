"""A form sent back with errors: the focus goes to its summary, which names the
fields to fix and leads to them; no database constraint's words on the page."""

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, sign_in


def test_a_failed_form_moves_the_focus_to_its_summary(page, professional, password):
    sign_in(page, professional.user.email, password)
    page.goto("/practice/availability/")
    weekly = page.get_by_role("region", name="Weekly hours")
    weekly.get_by_label("From").fill("17:00")
    weekly.get_by_label("Until").fill("09:00")
    weekly.get_by_role("button", name="Add", exact=True).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please correct the errors below.")
    expect(page.get_by_text("The end must come after the start.")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("is violated")
    until = page.locator("#id_window-ends")
    expect(until).to_have_attribute("aria-invalid", "true")
    # The summary's link leads to the field.
    summary.get_by_role("link", name="Until").click()
    expect(page).to_have_url(page.url.split("#")[0] + "#id_window-ends")
    assert axe_violations(page) == []


def test_a_failed_profile_form_in_icelandic_too(page, alice, password):
    alice.language = "is"
    alice.save()
    sign_in(page, alice.email, password)
    page.goto("/accounts/profile/")
    page.get_by_label("Nafn").fill("")
    page.get_by_role("button", name="Vista upplýsingar").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Nafn")).to_have_attribute("aria-invalid", "true")
