"""The time zone picker's search, in both languages, and times a visitor sees in
their browser's zone before the site knows it."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tengja.accounts.models import User
from tengja.bookings.services import booking_invite
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_accounts import link_path
from tests.factories import SessionTypeFactory


def test_search_narrows_the_list_and_the_choice_is_saved(page, alice, password):
    sign_in(page, alice.email, password)
    page.goto("/accounts/profile/")
    search = page.get_by_label("Search for your city or country")
    search.fill("tokyo")
    expect(page.get_by_text("1 time zone matches.")).to_be_visible()
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Asia/Tokyo")
    # Country names are searched too, and Enter does not send the form.
    search.fill("united kingdom")
    search.press("Enter")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Europe/London")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    assert User.objects.get(pk=alice.pk).time_zone == "Europe/London"


def test_search_in_icelandic_on_a_phone(phone, alice, password):
    alice.language = "is"
    alice.save()
    sign_in(phone, alice.email, password)
    phone.goto("/accounts/profile/")
    search = phone.get_by_label("Leitaðu að borginni þinni eða landinu")
    zone = phone.get_by_label("Tímabelti", exact=True)
    search.fill("þýskaland")
    expect(phone.get_by_text("2 tímabelti passa.")).to_be_visible()
    expect(zone).to_have_value(re.compile(r"^Europe/(Berlin|Busingen)$"))
    search.fill("reykjavik")  # no accent needed
    expect(zone).to_have_value("Atlantic/Reykjavik")
    search.fill("zzzz")
    expect(phone.get_by_text("Ekkert tímabelti passar.")).to_be_visible()
    expect(zone).to_have_value("Atlantic/Reykjavik")
    assert zone.locator("option").count() > 400
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_first_visit_to_sign_up_picks_the_browsers_zone(browser, live):
    context = browser.new_context(base_url=live.url, locale="en-GB", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto("/accounts/signup/")  # no cookie yet: the server cannot know
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Asia/Tokyo")
    page.get_by_label("Name").fill("Yuki")
    page.get_by_label("Email").fill("yuki@example.com")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I have read and agree")).check()
    page.get_by_role("button", name="Create Account").click()
    expect(page.get_by_role("heading", name="Hello, Yuki")).to_be_visible()
    assert User.objects.get(email="yuki@example.com").time_zone == "Asia/Tokyo"
    context.close()


def test_an_invited_clients_first_visit_shows_the_time_in_their_zone(
    browser, live, professional, django_capture_on_commit_callbacks
):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    start = (timezone.now() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        booking_invite(
            professional=professional, session_type=kind, starts_at=start, email="ny@example.com"
        )
    context = browser.new_context(base_url=live.url, locale="en-GB", timezone_id="America/New_York")
    page = context.new_page()
    page.goto(link_path(mail.outbox[-1], "/invitations/"))  # straight from the e-mail
    local = start.astimezone(ZoneInfo("America/New_York"))
    end = local + timedelta(minutes=kind.duration_minutes)
    when = page.locator("[data-local-time]")
    expect(when).to_contain_text(f"{local:%H:%M}–{end:%H:%M}")
    expect(when).to_contain_text("America/New York")
    expect(when).not_to_contain_text("Reykjavik")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/New_York")
    context.close()


def test_a_search_that_finds_nothing_keeps_the_choice(page, alice, password):
    """With New York chosen, typing "eastern" went through "easter" (Easter Island)
    and ended on "No time zone matches" with Easter Island still chosen."""
    alice.time_zone = "America/New_York"
    alice.save()
    sign_in(page, alice.email, password)
    page.goto("/accounts/profile/")
    search = page.get_by_label("Search for your city or country")
    zone = page.get_by_label("Time zone", exact=True)
    search.press_sequentially("easter")
    expect(zone).to_have_value("America/New_York")  # found: the choice stays
    search.fill("easter chile")
    expect(zone).to_have_value("Pacific/Easter")  # proposed by the search
    search.fill("easter chilez")
    expect(page.get_by_text("No time zone matches.")).to_be_visible()
    expect(zone).to_have_value("America/New_York")  # nothing found: as it was
    search.fill("tokyo")
    expect(zone).to_have_value("Asia/Tokyo")
    search.fill("")
    expect(zone).to_have_value("America/New_York")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    assert User.objects.get(pk=alice.pk).time_zone == "America/New_York"


def test_zones_are_found_by_the_names_people_use(page, alice, password):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    sign_in(page, alice.email, password)
    page.goto("/accounts/profile/")
    search = page.get_by_label("Search for your city or country")
    zone = page.get_by_label("Time zone", exact=True)
    for query, expected in [
        ("Eastern", "America/New_York"),
        ("EST", "America/New_York"),
        ("GMT", "Europe/London"),
        ("CET", "Europe/Berlin"),
        ("Iceland", "Atlantic/Reykjavik"),
        ("pacific time", "America/Los_Angeles"),
    ]:
        search.fill(query)
        expect(zone).to_have_value(expected)
    # A short name is found where a word starts, and its own zones come first
    # (issue #26: "EST" listed El Aaiun, Lagos, Creston and Gaza first, of 36).
    search.fill("EST")
    expect(page.get_by_text("3 time zones match.")).to_be_visible()
    options = zone.locator("option")
    assert options.evaluate_all("os => os.map(o => o.value)") == [
        "America/New_York",
        "America/Toronto",
        "Europe/Tallinn",
    ]
    search.fill("easter")
    assert options.evaluate_all("os => os.map(o => o.value)")[:3] == [
        "Pacific/Easter",
        "America/New_York",
        "America/Toronto",
    ]
    expect(zone).to_have_value("Pacific/Easter")
    search.fill("eastern")
    search.press("Enter")  # the proposal becomes the choice; the form is not sent
    expect(zone).to_be_focused()
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    assert User.objects.get(pk=alice.pk).time_zone == "America/New_York"


def test_typing_on_the_select_itself_works_without_javascript(browser, live, alice, password):
    context = browser.new_context(base_url=live.url, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, alice.email, password)
    page.goto("/accounts/profile/")
    expect(page.get_by_label("Search for your city or country")).to_have_count(0)
    zone = page.get_by_label("Time zone", exact=True)
    zone.focus()
    page.keyboard.type("Tokyo")
    expect(zone).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    assert User.objects.get(pk=alice.pk).time_zone == "Asia/Tokyo"
    context.close()
