import io
import re
import time

from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from tengja.accounts.models import User
from tests.browser.conftest import sign_in


def wait_for_mail(count: int = 1, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count:
        assert time.monotonic() < deadline, "no e-mail arrived"
        time.sleep(0.05)
    return mail.outbox[count - 1]


def link_path(message, prefix: str) -> str:
    return re.search(rf"https?://[^/\s]+({prefix}\S+)", message.body).group(1)


def test_sign_up_sign_out_sign_in(page):
    page.goto("/")
    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("Name").fill("Sigríður Jónsdóttir")
    page.get_by_label("Email").fill("sigga@example.com")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create Account").click()
    # Refused: the terms were not agreed to; nothing is created.
    expect(
        page.get_by_text("To create an account, agree to the Terms & Conditions.")
    ).to_be_visible()
    assert not User.objects.exists()
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I have read and agree")).check()
    page.get_by_role("button", name="Create Account").click()

    expect(page.get_by_role("heading", name="Hello, Sigríður")).to_be_visible()
    user = User.objects.get()
    assert user.terms_accepted_at is not None
    assert user.time_zone == "America/New_York"  # the browser's zone

    page.locator("summary", has_text="Sigríður Jónsdóttir").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, "sigga@example.com", "wrong password")
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()
    sign_in(page, "SIGGA@example.com", "a long enough passphrase")
    expect(page.get_by_role("heading", name="Hello, Sigríður")).to_be_visible()


def test_reset_password_through_the_emailed_link(page, alice):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(alice.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    path = link_path(wait_for_mail(), "/accounts/password-reset/")
    page.goto(path)
    page.get_by_label("New password", exact=True).fill("my new passphrase 7")
    page.get_by_label("New password confirmation").fill("my new passphrase 7")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Your password has been changed")).to_be_visible()

    page.goto(path)  # used once already
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    sign_in(page, alice.email, "my new passphrase 7")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()


def test_profile_picture_details_and_email(page, alice, password, tmp_path):
    sign_in(page, alice.email, password)
    page.locator("summary", has_text="Alice Andersen").click()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="My Profile")).to_be_visible()

    # A fake picture is refused with a message; a real one is shown.
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"this is not a png")
    page.get_by_label("New picture").set_input_files(fake)
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_text("This file is not a picture we can read.")).to_be_visible()
    real = tmp_path / "me.png"
    buffer = io.BytesIO()
    Image.new("RGB", (900, 700), (20, 120, 90)).save(buffer, format="PNG")
    real.write_bytes(buffer.getvalue())
    page.get_by_label("New picture").set_input_files(real)
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_text("Your picture has been updated.")).to_be_visible()
    expect(page.locator("summary img.avatar")).to_be_visible()

    # Email change waits for the link sent to the new address.
    page.get_by_label("New email").fill("alice.new@example.com")
    page.get_by_label("Current password").fill(password)
    page.get_by_role("button", name="Change email").click()
    expect(page.get_by_text("We sent a link to alice.new@example.com.")).to_be_visible()
    message = wait_for_mail()
    assert message.to == ["alice.new@example.com"]
    page.goto(link_path(message, "/accounts/profile/email/confirm/"))
    page.get_by_role("button", name="Confirm new email").click()
    expect(page.get_by_text("Your email is now alice.new@example.com.")).to_be_visible()

    # Name, time zone and language; the page then speaks Icelandic.
    page.get_by_label("Name").fill("Alice B. Andersen")
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_label("Language", exact=True).first.select_option("is")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("heading", name="Prófíllinn minn")).to_be_visible()
    alice.refresh_from_db()
    assert (alice.name, alice.time_zone, alice.language, alice.email) == (
        "Alice B. Andersen",
        "Asia/Tokyo",
        "is",
        "alice.new@example.com",
    )


def test_keyboard_and_phone_width(phone, alice, password):
    alice.language = "is"
    alice.save()
    page = phone
    page.goto("/accounts/terms/")
    # The first Tab lands on the skip link; following it moves focus to the main content.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto("/accounts/login/")
    expect(page.get_by_label("Netfang")).to_be_focused()  # sign-in starts in the email field
    page.get_by_label("Netfang").fill(alice.email)
    page.get_by_label("Lykilorð").fill(password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Alice"))).to_be_visible()
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The name menu opens and closes from the keyboard.
    summary = page.locator("details.user-menu summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Prófíll")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Prófíll")).to_be_hidden()
    expect(summary).to_be_focused()
