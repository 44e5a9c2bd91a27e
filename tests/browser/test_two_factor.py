"""Two-step sign-in as a person sets it up: the key from the page into an
authenticator app (here, RFC 6238 computed in the test), then signing in with it."""

import re
import time
from base64 import b32decode

from django_otp.oath import hotp
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, sign_in


def app_code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key typed from the page."""
    key = b32decode(secret.replace(" ", ""))
    return f"{hotp(key, int(time.time() // 30) + steps_ahead, digits=6):06d}"


def test_set_up_two_step_sign_in_then_sign_in_with_a_code(page, alice, password):
    sign_in(page, alice.email, password)
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    assert axe_violations(page) == []

    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code from the app").fill(app_code(secret))
    page.get_by_label("Current password").fill(password)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert axe_violations(page) == []
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("10 recovery codes left.")).to_be_visible()

    page.locator("summary", has_text="Alice Andersen").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, alice.email, password)
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    expect(page.get_by_label("Code", exact=True)).to_be_focused()
    assert axe_violations(page) == []
    page.get_by_label("Code", exact=True).fill("000000")
    page.keyboard.press("Enter")
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    time.sleep(1.1)  # django-otp waits a second after a wrong code
    # The code the set-up used is spent; the app's next one is accepted.
    page.get_by_label("Code", exact=True).fill(app_code(secret, steps_ahead=1))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()

    # A recovery code works once too.
    page.locator("summary", has_text="Alice Andersen").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, alice.email, password)
    page.get_by_label("Code", exact=True).fill(codes[0].upper())
    page.keyboard.press("Enter")
    expect(page.get_by_text("You signed in with a recovery code")).to_be_visible()


def test_delete_page_on_a_phone(phone, alice, password):
    alice.language = "is"
    alice.save()
    page = phone
    sign_in(page, alice.email, password)
    page.goto("/privacy/delete/")
    expect(page.get_by_role("heading", name="Eyða aðganginum mínum")).to_be_visible()
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    page.get_by_label("Núverandi lykilorð").fill(password)
    page.get_by_label(re.compile("Ég skil")).check()
    page.get_by_role("button", name="Eyða aðganginum mínum").click()
    expect(page.get_by_role("heading", name="Aðganginum þínum hefur verið eytt")).to_be_visible()
