"""Two browsers, one call: the client and the professional join, and media flows
between them peer to peer (Chromium's fake camera and microphone)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, FLAGS, sign_in
from tests.factories import BookingFactory, SessionTypeFactory

INBOUND = """async () => {
  const pc = window.tengjaCall.pc;
  if (!pc) return null;
  const totals = {audio: 0, video: 0};
  (await pc.getStats()).forEach(s => {
    if (s.type === "inbound-rtp") totals[s.kind] += s.bytesReceived || 0;
  });
  return totals;
}"""


@pytest.fixture
def booking(alice, professional):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
    )


def open_call(browser, live, user, password, booking):
    context = browser.new_context(base_url=live.url, locale="en-GB")
    page = context.new_page()
    sign_in(page, user.email, password)
    page.goto(f"/sessions/{booking.code}/")
    page.get_by_role("link", name="Join video session").click()
    expect(page.get_by_role("heading", name="Test your camera and microphone")).to_be_visible()
    join = page.get_by_role("button", name="Join session")
    expect(join).to_be_enabled()
    # The preview shows the camera and the level meter moves with the (fake) microphone.
    wait_until(page, "document.getElementById('preview').videoWidth > 0")
    wait_until(page, "document.getElementById('mic-level').value > 0")
    assert page.locator("#camera-select option").count() >= 1
    return context, page


def wait_until(page, expression: str, seconds: float = 15) -> None:
    """Poll a JS expression (wait_for_function would need eval, which our CSP forbids)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def inbound(page) -> dict:
    return page.evaluate(INBOUND) or {"audio": 0, "video": 0}


def wait_for_growth(page, seconds: float = 15) -> dict:
    first = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = inbound(page)
        if first is None and now["audio"] > 0 and now["video"] > 0:
            first = now
        elif first and now["audio"] > first["audio"] and now["video"] > first["video"]:
            return now
        time.sleep(0.25)
    raise AssertionError(f"media did not flow: {inbound(page)}")


def test_client_and_professional_connect_and_media_flows(
    browser, live, alice, professional, password, booking
):
    client_context, client = open_call(browser, live, alice, password, booking)
    client.get_by_role("button", name="Join session").click()
    expect(client.locator("#call-status")).to_contain_text("Waiting for Helga Sigurðardóttir")

    pro_context, pro = open_call(browser, live, professional.user, password, booking)
    pro.get_by_role("button", name="Join session").click()

    for page in (client, pro):
        expect(page.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
        wait_for_growth(page)
        wait_until(page, "document.getElementById('remote-video').videoWidth > 0")

    # Muting shows on the other side; the chat goes peer to peer.
    client.get_by_role("button", name="Mute").click()
    expect(pro.locator("#remote-state")).to_contain_text(
        "Alice Andersen has muted their microphone."
    )
    expect(client.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    expect(pro.locator("#chat-input")).to_be_enabled()
    pro.locator("#chat-input").fill("Hello <b>Alice</b>")
    pro.locator("#chat-form button").click()
    expect(client.locator("#chat-log")).to_contain_text("Hello <b>Alice</b>")

    # A weak connection: the client's video pauses, sound goes on, both are told.
    expect(client.get_by_role("button", name="Try video again")).to_be_hidden()
    for _ in range(3):
        client.evaluate("window.tengjaCall.noteQuality('poor')")
    expect(client.locator("#call-status")).to_contain_text("too weak for video")
    expect(client.locator("#quality")).to_have_text("Connection: poor")
    expect(pro.locator("#remote-state")).to_contain_text("their video is paused")
    sent_video = client.evaluate(
        "window.tengjaCall.pc.getSenders().filter(s => s.track && s.track.kind === 'video').length"
    )
    assert sent_video == 0
    client.get_by_role("button", name="Try video again").click()
    expect(pro.locator("#remote-state")).not_to_contain_text("their video is paused")

    # A reload rejoins the same call without anything more.
    client.reload()
    client.get_by_role("button", name="Join session").click()
    expect(client.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
    wait_for_growth(client)
    wait_for_growth(pro)

    # Leaving tells the other side.
    pro.get_by_role("button", name="Leave").click()
    expect(pro.get_by_text("You have left the call.")).to_be_visible()
    expect(client.locator("#call-status")).to_contain_text(
        "Helga Sigurðardóttir has left the call."
    )
    client_context.close()
    pro_context.close()


def test_refused_permission_says_how_to_fix_it(playwright, live, alice, password, booking):
    flags = [f for f in FLAGS if f != "--use-fake-ui-for-media-stream"]
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*flags, "--deny-permission-prompts"]
    )
    page = browser.new_context(base_url=live.url, locale="en-GB").new_page()
    sign_in(page, alice.email, password)
    page.goto(f"/sessions/{booking.code}/join/")
    error = page.locator("#device-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("not allowed to use the camera and microphone")
    expect(error).to_contain_text("choose Allow")
    expect(page.get_by_role("button", name="Join session")).to_be_disabled()
    browser.close()
