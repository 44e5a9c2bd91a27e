"""The employee's way, as the help article tells it: hub link, Create an account,
confirm the work address, the house-and-heart icon, book with credits."""

import re
from datetime import time

from playwright.sync_api import expect

from tengja.bookings.models import Booking
from tengja.hubs.models import HubDomain, HubProfessional
from tengja.professionals.models import WeeklyAvailability
from tests.browser.test_accounts import wait_for_mail
from tests.factories import CompanyFactory, HubFactory, ProfessionalFactory, SessionTypeFactory


def test_employee_claims_credits_and_books(page):
    hub = HubFactory(
        company=CompanyFactory(name="Acme hf."),
        name="Acme Wellbeing Hub",
        welcome_text="Six free sessions a year.",
    )
    HubDomain.objects.create(hub=hub, domain="acme.test")
    pro = ProfessionalFactory(user__name="Dr. Sól", user__time_zone="Atlantic/Reykjavik")
    kind = SessionTypeFactory(professional=pro, name="Talk")
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=pro, weekday=weekday, starts=time(8), ends=time(20)
        )
    HubProfessional.objects.create(hub=hub, professional=pro, session_type=kind, status="accepted")

    page.goto(f"/hubs/{hub.code}/")
    expect(page.get_by_text("Six free sessions a year.")).to_be_visible()
    # Both "Create an account" links (header and page) lead to the hub's own sign-up.
    links = page.get_by_role("link", name="Create an account")
    expect(links).to_have_count(2)
    assert {links.nth(i).get_attribute("href") for i in range(2)} == {f"/hubs/{hub.code}/join/"}
    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    page.get_by_label("Name").fill("Emma Employee")
    page.get_by_label("Email").fill("emma@gmail.test")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I have read and agree")).check()
    page.get_by_role("button", name="Create Account").click()
    expect(page.get_by_text("is open to its employees' work e-mail addresses")).to_be_visible()

    page.get_by_label("Email").fill("emma@acme.test")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I have read and agree")).check()
    page.get_by_role("button", name="Create Account").click()
    expect(page.get_by_text("Open the link we sent to emma@acme.test").first).to_be_visible()
    # As the help article says: from the dashboard, the house-and-heart icon leads
    # back to the hub, which asks for the work address to be confirmed first.
    page.get_by_role("link", name="Wellbeing Hub", exact=True).click()
    expect(page.get_by_role("heading", name="Acme Wellbeing Hub")).to_be_visible()
    expect(page.get_by_text("Open the link we sent to emma@acme.test")).to_be_visible()

    link = re.search(r"https?://[^/\s]+(/hubs/verify/\S+/)", wait_for_mail().body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm and get my credits").click()
    expect(page.get_by_text("6 credits left")).to_be_visible()

    page.get_by_role("link", name="Home").click()
    expect(page.get_by_text("6 credits left")).to_be_visible()
    page.get_by_role("link", name="Wellbeing Hub", exact=True).click()  # the house-and-heart icon
    expect(page.get_by_role("heading", name="Acme Wellbeing Hub")).to_be_visible()
    page.get_by_role("link", name="Dr. Sól").click()
    expect(page.get_by_role("heading", name="Free times")).to_be_visible()
    page.locator(".slot").first.click()
    # A review before a credit is spent; Back changes nothing.
    expect(page.get_by_role("heading", name="Review and book")).to_be_visible()
    expect(page.get_by_text("you will have 5 credits left")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", name="Free times")).to_be_visible()
    assert not Booking.objects.exists()
    page.locator(".slot").first.click()
    page.get_by_role("button", name="Book with credits").click()
    expect(page.get_by_text("Your session is booked.")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_text("5 credits left")).to_be_visible()
    expect(page.get_by_text("With Dr. Sól")).to_be_visible()


def test_book_and_pay_goes_on_to_paying(page, member, offer):
    """With no credits left, "Book and pay ISK 15,000" books and then takes the
    member straight to paying the bill (issue #26: it used to only book)."""
    from tengja.billing.selectors import invoice_standing
    from tengja.hubs.models import CreditEntry
    from tests.browser.conftest import sign_in
    from tests.browser.test_payments import add_card
    from tests.factories import PASSWORD

    CreditEntry.objects.create(membership=member, kind="spend", amount=-2)
    sign_in(page, member.user.email, PASSWORD)
    page.goto(f"/hubs/{member.hub.code}/professionals/{offer.professional.code}/")
    page.locator(".slot").first.click()
    button = page.get_by_role("button", name="Book and pay ISK 15,000")
    expect(button).to_have_accessible_description(
        "The session is booked for you at once; next you pay ISK 15,000 with your card, "
        "on the next page."
    )
    button.click()
    expect(page.get_by_text("Your session is booked. Now pay for it to finish.")).to_be_visible()
    expect(page.get_by_role("heading", name="Pay your bill")).to_be_visible()
    page.get_by_role("link", name="Add a new card").click()
    add_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Pay your bill")).to_be_visible()
    page.get_by_role("button", name="Pay ISK 15,000").click()
    expect(page.get_by_text("Thank you: the bill is paid.")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.paid_with == "invoice"
    assert invoice_standing(booking=booking).status == "paid"
