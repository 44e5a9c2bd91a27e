"""Two browsers, one call: the client and the professional join, and media flows
between them peer to peer (Chromium's fake cameras, microphones and screen)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, FLAGS, axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory

INBOUND = """async () => {
  const pc = window.tengjaCall.pc;
  if (!pc) return null;
  const totals = {audio: 0, video: 0, frames: 0};
  (await pc.getStats()).forEach(s => {
    if (s.type === "inbound-rtp") totals[s.kind] += s.bytesReceived || 0;
    if (s.type === "inbound-rtp" && s.kind === "video") totals.frames += s.framesDecoded || 0;
  });
  return totals;
}"""
SENDER = """kind => {
  const sender = window.tengjaCall.pc.getSenders().find(s => s.track && s.track.kind === kind);
  return sender ? {id: sender.track.id, label: sender.track.label} : null;
}"""


@pytest.fixture(scope="module")
def browser(playwright):
    """Three fake cameras (and three fake microphones), so a test can switch
    between them as a person would. Chromium's second fake camera sends frames
    no video encoder takes (it stands for a depth camera), so the test switches
    from the first to the third."""
    flags = [f for f in FLAGS if not f.startswith("--use-fake-device-for-media-stream")]
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[*flags, "--use-fake-device-for-media-stream=device-count=3"],
    )
    yield browser
    browser.close()


@pytest.fixture
def booking(alice, professional):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
    )


def open_call(browser, live, user, password, booking, viewport=None):
    context = browser.new_context(base_url=live.url, locale="en-GB", viewport=viewport)
    page = context.new_page()
    # What the call reports to the console: a failed negotiation must never happen here.
    page.warnings = []
    page.on("console", lambda m: m.type in ("warning", "error") and page.warnings.append(m.text))
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


def wait_for_growth(page, seconds: float = 15, kinds=("audio", "video")) -> dict:
    """Wait until what the page receives grows (video: bytes and decoded frames)."""
    if "video" in kinds:
        kinds = (*kinds, "frames")
    first = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = inbound(page)
        if first is None and all(now[k] > 0 for k in kinds):
            first = now
        elif first and all(now[k] > first[k] for k in kinds):
            return now
        time.sleep(0.25)
    raise AssertionError(f"media did not flow: {inbound(page)}")


def join_both(browser, live, alice, professional, password, booking, before_join=None):
    """The client and the professional join; returns their contexts and pages once
    media flows both ways."""
    client_context, client = open_call(browser, live, alice, password, booking)
    if before_join:
        before_join(client)
    client.get_by_role("button", name="Join session").click()
    pro_context, pro = open_call(browser, live, professional.user, password, booking)
    pro.get_by_role("button", name="Join session").click()
    for page in (client, pro):
        expect(page.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
    return client_context, client, pro_context, pro


def no_negotiation_failed(*pages) -> None:
    for page in pages:
        assert not [w for w in page.warnings if "negotiation failed" in w], page.warnings


def test_client_and_professional_connect_and_media_flows(
    browser, live, alice, professional, password, booking
):
    client_context, client = open_call(browser, live, alice, password, booking)
    client.get_by_role("button", name="Join session").click()
    expect(client.locator("#call-status")).to_contain_text("Waiting for Helga Sigurðardóttir")
    # Alone in the call: the chat says when it opens.
    expect(client.locator("#chat-closed")).to_have_text("Chat opens when you are both in the call.")
    expect(client.locator("#chat-input")).to_be_disabled()

    pro_context, pro = open_call(browser, live, professional.user, password, booking)
    pro.get_by_role("button", name="Join session").click()

    for page in (client, pro):
        expect(page.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
        wait_for_growth(page)
        wait_until(page, "document.getElementById('remote-video').videoWidth > 0")
        expect(page.locator("#remote-placeholder")).to_be_hidden()

    # Muting shows on the other side; the chat goes peer to peer.
    client.get_by_role("button", name="Mute").click()
    expect(pro.locator("#remote-state")).to_contain_text(
        "Alice Andersen has muted their microphone."
    )
    expect(client.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    expect(pro.locator("#chat-input")).to_be_enabled()
    expect(pro.locator("#chat-closed")).to_be_hidden()
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
    no_negotiation_failed(client, pro)
    client_context.close()
    pro_context.close()


def test_switching_camera_and_microphone_mid_call_keeps_media_flowing(
    browser, live, alice, professional, password, booking
):
    client_context, client, pro_context, pro = join_both(
        browser, live, alice, professional, password, booking
    )
    wait_for_growth(pro)
    before = client.evaluate(SENDER, "video")
    client.evaluate("window.__oldCamera = window.tengjaCall.localTracks()[1]")

    # The pickers stay reachable in the call, behind "Devices".
    devices = client.get_by_role("button", name="Devices")
    expect(devices).to_have_attribute("aria-expanded", "false")
    devices.click()
    expect(devices).to_have_attribute("aria-expanded", "true")
    camera = client.get_by_label("Camera", exact=True)
    expect(camera).to_be_visible()
    assert before["label"] == "fake_device_0"
    assert camera.locator("option").count() == 3
    camera.select_option(label="fake_device_2")

    # The sender carries the other camera, the old one is stopped, and the
    # professional goes on receiving and decoding video.
    wait_until(client, f"({SENDER})('video').id !== {before['id']!r}")
    assert client.evaluate(SENDER, "video")["label"] == "fake_device_2"
    assert client.evaluate("window.__oldCamera.readyState") == "ended"
    wait_for_growth(pro, kinds=("video",))

    # The same for the microphone.
    before = client.evaluate(SENDER, "audio")
    microphone = client.get_by_label("Microphone", exact=True)
    choice = next(
        value
        for value in microphone.locator("option").evaluate_all("os => os.map(o => o.value)")
        if value != microphone.input_value()
    )
    microphone.select_option(choice)
    wait_until(client, f"({SENDER})('audio').id !== {before['id']!r}")
    wait_for_growth(pro, kinds=("audio",))
    # Switching renegotiated nothing: the sender's track was replaced in place.
    assert client.evaluate("window.tengjaCall.pc.getTransceivers().length") == 2
    no_negotiation_failed(client, pro)
    client_context.close()
    pro_context.close()


UFRAG = "window.tengjaCall.pc.localDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1]"


def test_negotiation_survives_glare_a_broken_offer_and_a_reload(
    browser, live, alice, professional, password, booking
):
    client_context, client, pro_context, pro = join_both(
        browser, live, alice, professional, password, booking
    )
    # Both restart ICE at once: both offer, the client's side (polite) yields.
    ufrags = [page.evaluate(UFRAG) for page in (client, pro)]
    client.evaluate("window.tengjaCall.pc.restartIce()")
    pro.evaluate("window.tengjaCall.pc.restartIce()")
    for page, ufrag in zip((client, pro), ufrags, strict=True):
        wait_until(page, f"{UFRAG} !== {ufrag!r}")
        wait_until(page, "window.tengjaCall.pc.signalingState === 'stable'")
        wait_for_growth(page)
    no_negotiation_failed(client, pro)

    # An offer the client's browser cannot use: Alice is told, and the call
    # starts again by itself.
    pro.evaluate(
        """window.tengjaCall.ws.send(JSON.stringify(
             {type: "description", description: {type: "offer", sdp: "v=0 broken"}}))"""
    )
    expect(client.locator("#call-status")).to_have_text(
        "The connection could not be set up. Trying again…"
    )
    for page in (client, pro):
        expect(page.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
        wait_for_growth(page)

    # The professional's side (the one that makes new connections) reloads.
    pro.reload()
    pro.get_by_role("button", name="Join session").click()
    for page in (client, pro):
        expect(page.locator("#call-status")).to_contain_text("You are in the call", timeout=15_000)
        wait_for_growth(page)
    no_negotiation_failed(pro)
    client_context.close()
    pro_context.close()


def test_joined_with_the_camera_off_then_turns_it_on(
    browser, live, alice, professional, password, booking
):
    def camera_off(page):
        button = page.locator("#preview-camera-button")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(button).to_have_text("Turn camera on")
        wait_until(page, "window.tengjaCall.localTracks().length === 1")  # the microphone
        expect(page.locator("#preview-placeholder")).to_contain_text("Your camera is off")

    client_context, client, pro_context, pro = join_both(
        browser, live, alice, professional, password, booking, before_join=camera_off
    )
    # Sound only: the professional hears Alice and is told her camera is off.
    wait_for_growth(pro, kinds=("audio",))
    expect(pro.locator("#remote-state")).to_contain_text(
        "Alice Andersen has turned their camera off."
    )
    assert inbound(pro)["video"] == 0
    # Not a black box: her name and initials fill the video's place.
    placeholder = pro.locator("#remote-placeholder")
    expect(placeholder).to_be_visible()
    expect(placeholder.locator(".video-placeholder__name")).to_have_text("Alice Andersen")
    expect(placeholder.locator(".avatar--initials")).to_have_text("AA")
    assert placeholder.bounding_box() == pro.locator("#remote-video").bounding_box()

    camera = client.get_by_role("button", name="Turn camera on")
    expect(camera).to_have_attribute("aria-pressed", "true")
    camera.click()
    expect(client.get_by_role("button", name="Turn camera off")).to_have_attribute(
        "aria-pressed", "false"
    )
    wait_for_growth(pro, kinds=("video",))
    wait_until(pro, "document.getElementById('remote-video').videoWidth > 0")
    expect(pro.locator("#remote-state")).not_to_contain_text("camera off")
    expect(placeholder).to_be_hidden()

    # Off again: the camera itself stops (its light goes out), the sound goes on.
    client.evaluate("window.__camera = window.tengjaCall.localTracks()[1]")
    client.get_by_role("button", name="Turn camera off").click()
    wait_until(client, "window.__camera.readyState === 'ended'")
    expect(pro.locator("#remote-state")).to_contain_text("has turned their camera off")
    expect(placeholder).to_be_visible()
    no_negotiation_failed(client, pro)
    client_context.close()
    pro_context.close()


def test_after_leave_nothing_keeps_running(browser, live, alice, professional, password, booking):
    client_context, client, pro_context, pro = join_both(
        browser, live, alice, professional, password, booking
    )
    # Share the screen (Chromium's fake screen); open the devices, which runs the meter.
    client.get_by_role("button", name="Share screen").click()
    expect(client.get_by_role("button", name="Stop sharing")).to_have_attribute(
        "aria-pressed", "true"
    )
    wait_until(client, "window.tengjaCall.localTracks().length === 3")
    wait_for_growth(pro, kinds=("video",))
    client.get_by_role("button", name="Devices").click()
    wait_until(client, "document.getElementById('mic-level').value > 0")
    assert client.evaluate("window.tengjaCall.audioContextState") == "running"
    client.evaluate(
        """window.__tracks = [...window.tengjaCall.localTracks(),
             ...window.tengjaCall.pc.getSenders().map(s => s.track).filter(Boolean)]"""
    )
    assert client.evaluate("window.__tracks.filter(t => t.readyState === 'live').length") >= 3

    # The signalling drops, and Leave is pressed while the reconnection waits.
    opened = client.evaluate(
        """async () => {
          const ws = window.tengjaCall.ws;
          await new Promise(done => { ws.addEventListener("close", done); ws.close(); });
          document.getElementById("leave-button").click();
          return window.tengjaCall.socketsOpened;
        }"""
    )
    expect(client.get_by_text("You have left the call.")).to_be_visible()
    assert client.evaluate("window.__tracks.map(t => t.readyState)") == ["ended"] * client.evaluate(
        "window.__tracks.length"
    )
    assert client.evaluate("window.tengjaCall.localTracks()") == []
    assert client.evaluate("window.tengjaCall.audioContextState") == "closed"
    assert client.evaluate("window.tengjaCall.pc") is None
    # No socket comes back, however long the reconnection's backoff would have been.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert client.evaluate("window.tengjaCall.socketsOpened") == opened
        assert client.evaluate("window.tengjaCall.ws") is None
        time.sleep(0.2)
    no_negotiation_failed(client, pro)
    client_context.close()
    pro_context.close()


def test_signing_out_or_cancelling_ends_the_call_and_frees_the_devices(
    browser, live, alice, professional, password, booking
):
    client_context, client, pro_context, pro = join_both(
        browser, live, alice, professional, password, booking
    )
    for page in (client, pro):
        page.evaluate("window.__tracks = window.tengjaCall.localTracks()")

    # Alice signs out in another tab: the call there ends, and Helga is told.
    other_tab = client_context.new_page()
    other_tab.goto("/")
    other_tab.locator(".user-menu summary").click()
    other_tab.get_by_role("button", name="Sign out").click()
    expect(client.locator("#left-message")).to_have_text("You have signed out.")
    expect(client.get_by_role("button", name="Join again")).to_be_hidden()
    wait_until(client, "window.__tracks.every(t => t.readyState === 'ended')")
    expect(pro.locator("#call-status")).to_contain_text("Alice Andersen has left the call.")

    # Helga cancels the session from its page: her call page says so.
    other_tab = pro_context.new_page()
    other_tab.goto(f"/sessions/{booking.code}/")
    other_tab.get_by_role("link", name="Cancel session").click()
    other_tab.get_by_role("button", name="Cancel session").click()
    expect(pro.locator("#left-message")).to_have_text("This session has been cancelled.")
    wait_until(pro, "window.__tracks.every(t => t.readyState === 'ended')")
    assert pro.evaluate("window.tengjaCall.audioContextState") == "closed"
    client_context.close()
    pro_context.close()


def test_on_a_phone_the_call_takes_the_screen_and_leave_is_reachable_by_keyboard(
    phone, alice, password, booking
):
    sign_in(phone, alice.email, password)
    phone.goto(f"/sessions/{booking.code}/join/")
    join = phone.locator("#join-button")
    expect(join).to_be_enabled()
    expect(phone.locator(".site-header")).to_be_visible()
    join.click()

    # Joined: no site header or footer; the video has the width of the screen.
    expect(phone.locator("#call")).to_be_visible()
    expect(phone.locator(".site-header")).to_be_hidden()
    expect(phone.locator(".site-footer")).to_be_hidden()
    video = phone.locator("#remote-video").bounding_box()
    assert video["width"] >= 330 and video["height"] >= 300, video
    # The status, the video and every control fit on the screen, Leave included.
    for element in ("#call-status", "#remote-video", "#leave-button"):
        expect(phone.locator(element)).to_be_in_viewport(ratio=1)
    for toggle in ("#mute-button", "#camera-button", "#share-button"):
        expect(phone.locator(toggle)).to_have_attribute("aria-pressed", "false")
    expect(phone.locator("#devices-button")).to_have_attribute("aria-expanded", "false")
    assert axe_violations(phone) == []

    # From the first control, Tab reaches Leave, each stop visibly focused.
    expect(phone.locator("#mute-button")).to_be_focused()
    stops = []
    while phone.evaluate("document.activeElement.id") != "leave-button":
        assert len(stops) < 8, f"Leave not reached by Tab: {stops}"
        phone.keyboard.press("Tab")
        stops.append(phone.evaluate("document.activeElement.id"))
        outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", stops
    assert stops == ["camera-button", "devices-button", "share-button", "leave-button"]
    expect(phone.locator("#leave-button")).to_be_in_viewport()
    phone.keyboard.press("Enter")
    expect(phone.locator("#left")).to_be_visible()
    expect(phone.locator(".site-header")).to_be_visible()
    expect(phone.locator("#rejoin-button")).to_be_focused()


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


def test_only_the_call_page_may_use_the_camera_and_microphone(
    browser, live, alice, password, booking
):
    """Permissions-Policy: the call page gets its devices (open_call checks the
    preview), and any other page of ours is refused them, permission or not."""
    context, call = open_call(browser, live, alice, password, booking)
    assert not [w for w in call.warnings if "Permissions-Policy" in w]
    asks = "navigator.mediaDevices.getUserMedia({video: true, audio: true}).then(() => 'granted', e => e.name)"
    assert call.evaluate(asks) == "granted"
    home = context.new_page()
    said = []
    home.on("console", lambda message: said.append(message.text))
    home.goto("/")
    assert home.evaluate(asks) == "NotAllowedError"
    assert home.evaluate("document.featurePolicy.allowsFeature('display-capture')") is False
    assert call.evaluate("document.featurePolicy.allowsFeature('display-capture')") is True
    assert not [text for text in said if "Permissions-Policy" in text]  # each feature known
    context.close()
