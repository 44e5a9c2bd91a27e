"""A call through a TURN relay: Debian's coturn on loopback with the TURN REST API's
shared secret (`use-auth-secret`), both browsers forced to relay over TCP
(VIDEO_ICE_TRANSPORT_POLICY=relay), with the short-lived credentials the join page
hands out; no call with credentials that have expired; and a relayed call that
comes back after its network is cut for 10 s."""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_video import open_call, wait_for_growth
from tests.factories import BookingFactory, SessionTypeFactory
from tests.netcut import CuttableProxy

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
SECRET = "shared-with-coturn-in-the-test"

# The pair the connection uses, and what its two ends are.
SELECTED_PAIR = """async () => {
  const stats = await window.tengjaCall.pc.getStats();
  let pair = null;
  stats.forEach(s => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    state: pair.state,
    local: local.candidateType,
    remote: remote.candidateType,
    relayProtocol: local.relayProtocol,
    url: local.url,
  };
}"""
# Every candidate the page gathered: with relay only, none but relay ones.
LOCAL_CANDIDATES = """async () => {
  const types = [];
  (await window.tengjaCall.pc.getStats()).forEach(s => {
    if (s.type === "local-candidate") types.push(s.candidateType);
  });
  return types;
}"""


CONNECTED = "You are in the call"
DROP_SECONDS = 10
# After the network is back: the page's next socket reconnection (at most 8 s
# apart) and a new connection's set-up.
RECOVERY_SECONDS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def turn(tmp_path):
    """coturn on a free loopback port, TCP only (no UDP, TLS or DTLS listener), relaying
    between loopback addresses; its log in tmp_path. Stopped at the end."""
    if not shutil.which(TURNSERVER):
        pytest.skip("needs coturn's turnserver (`make system-packages` installs it)")
    port = free_port()
    log = tmp_path / "turnserver.log"
    config = tmp_path / "turnserver.conf"
    config.write_text(
        "\n".join(
            [
                f"listening-port={port}",
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                "min-port=40000",
                "max-port=49999",
                "realm=tengja.test",
                "use-auth-secret",
                f"static-auth-secret={SECRET}",
                "no-udp",
                "no-tls",
                "no-dtls",
                "no-cli",
                "allow-loopback-peers",
                "no-software-attribute",
                "no-rfc5780",
                "no-stun-backward-compatibility",
                f"userdb={tmp_path / 'turndb'}",
                f"pidfile={tmp_path / 'turnserver.pid'}",
                f"log-file={log}",
                "simple-log",
                "verbose",
                "",
            ]
        )
    )
    process = subprocess.Popen(
        [TURNSERVER, "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, log.read_text() if log.exists() else "turnserver exited"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "turnserver did not start"
            time.sleep(0.1)
        yield {"port": port, "log": log}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def relay_only(settings, turn):
    settings.STUN_URLS = []
    settings.TURN_URLS = [f"turn:127.0.0.1:{turn['port']}?transport=tcp"]
    settings.TURN_SECRET = SECRET
    settings.VIDEO_ICE_TRANSPORT_POLICY = "relay"
    return turn


@pytest.fixture
def booking(alice, professional):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
    )


def join(browser, live, user, password, booking):
    context, page = open_call(browser, live, user, password, booking)
    page.get_by_role("button", name="Join session").click()
    return context, page


def test_a_call_goes_through_the_turn_relay_over_tcp(
    browser, live, alice, professional, password, booking, relay_only
):
    client_context, client = join(browser, live, alice, password, booking)
    pro_context, pro = join(browser, live, professional.user, password, booking)
    for page in (client, pro):
        expect(page.locator("#call-status")).to_contain_text("You are in the call", timeout=20_000)
    for page in (client, pro):
        # Video (and sound) both ways: frames decoded on each side.
        wait_for_growth(page)
        pair = page.evaluate(SELECTED_PAIR)
        assert pair["state"] == "succeeded", pair
        assert (pair["local"], pair["remote"]) == ("relay", "relay"), pair
        assert pair["relayProtocol"] == "tcp", pair
        assert pair["url"].startswith(f"turn:127.0.0.1:{relay_only['port']}"), pair
        assert set(page.evaluate(LOCAL_CANDIDATES)) == {"relay"}
    # coturn saw both: an allocation for each person's REST API username.
    log = relay_only["log"].read_text()
    for user in (alice, professional.user):
        assert f":{user.pk}>: incoming packet ALLOCATE processed, success" in log
    client_context.close()
    pro_context.close()


def test_expired_turn_credentials_connect_no_call_and_the_page_says_so(
    browser, live, alice, professional, password, booking, relay_only, settings
):
    # Credentials that expired an hour ago, as a page left open too long would hold.
    settings.TURN_CREDENTIAL_TTL = -3600
    client_context, client = join(browser, live, alice, password, booking)
    pro_context, pro = join(browser, live, professional.user, password, booking)
    # Each page says so within seconds (not after its retries), and offers a fresh page.
    for page in (client, pro):
        expect(page.locator("#call-status")).to_have_text(
            "The call could not be set up through the video relay. Reload the page, then "
            "join again.",
            timeout=15_000,
        )
        expect(page.get_by_role("button", name="Reload page")).to_be_visible()
        assert page.evaluate("window.tengjaCall.pc") is None
    # coturn refused every allocation (a stale timestamp fails the REST API's check).
    log = relay_only["log"].read_text()
    assert "ALLOCATE processed, success" not in log, log[-3000:]

    # The button loads the page again, for new credentials.
    client.get_by_role("button", name="Reload page").click()
    expect(client.get_by_role("heading", name="Test your camera and microphone")).to_be_visible()
    client_context.close()
    pro_context.close()


def test_a_relayed_call_recovers_from_a_network_drop_without_a_click(
    browser, live, alice, professional, password, booking, relay_only, settings
):
    """All of it cut for 10 s: the media (both browsers reach the relay through a
    proxy the test cuts) and the client's signalling (its page is served through
    another). Each side tries again by itself, and the call comes back."""
    with CuttableProxy(live.port) as site, CuttableProxy(relay_only["port"]) as relay:
        settings.TURN_URLS = [f"turn:127.0.0.1:{relay.port}?transport=tcp"]
        client_context = browser.new_context(base_url=site.url, locale="en-GB")
        client = client_context.new_page()
        sign_in(client, alice.email, password)
        client.goto(f"/sessions/{booking.code}/join/")
        client.get_by_role("button", name="Join session").click()
        pro_context, pro = join(browser, live, professional.user, password, booking)
        for page in (client, pro):
            expect(page.locator("#call-status")).to_contain_text(CONNECTED, timeout=20_000)

        site.cut()
        relay.cut()
        cut_at = time.monotonic()
        expect(client.locator("#call-status")).to_have_text("Connection lost. Reconnecting…")
        expect(pro.locator("#call-status")).not_to_contain_text(CONNECTED)
        time.sleep(max(0, DROP_SECONDS - (time.monotonic() - cut_at)))
        site.restore()
        relay.restore()

        for page in (client, pro):
            expect(page.locator("#call-status")).to_contain_text(
                CONNECTED, timeout=RECOVERY_SECONDS * 1000
            )
            expect(page.locator("#retry-button")).to_be_hidden()
            wait_for_growth(page)
            assert page.evaluate(SELECTED_PAIR)["local"] == "relay"
        client_context.close()
        pro_context.close()
