"""Two server processes sharing Redis: participants on different processes meet,
stay in a quiet call for a minute, and get back to it after a network drop."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tengja.lib import chromium
from tests.factories import BookingFactory
from tests.netcut import CuttableProxy

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


pytestmark = [
    pytest.mark.skipif(not redis_available(), reason=f"needs Redis at {REDIS_URL}"),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start")


def session_cookie(user, env) -> str:
    """A real session for the user, made by the servers' own database."""
    code = (
        "import django,os;django.setup();"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from django.contrib.auth import SESSION_KEY,BACKEND_SESSION_KEY,HASH_SESSION_KEY;"
        "from tengja.accounts.models import User;"
        "from tengja.accounts.backends import USER_BACKEND;"
        f"u=User.objects.get(pk={user.pk});s=SessionStore();"
        "s[SESSION_KEY]=str(u.pk);s[BACKEND_SESSION_KEY]=USER_BACKEND;"
        "s[HASH_SESSION_KEY]=u.get_session_auth_hash();s.create();print(s.session_key)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def database_url() -> str:
    """The test database, as the server processes must reach it."""
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    return "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
        **{k: database[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
    )


class Servers:
    """Two real server processes (uvicorn, as `manage.py serve` runs Tengja) sharing
    the test database and Redis; what each logs goes to a file the test reads."""

    def __init__(self, tmp_path: Path, count: int = 2) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "tengja.settings",
        }
        self.ports = [free_port() for _ in range(count)]
        self.logs = [tmp_path / f"server-{n}.log" for n in range(count)]
        self.processes: list[subprocess.Popen] = []
        for port, log in zip(self.ports, self.logs, strict=True):
            with log.open("wb") as out:
                command = [sys.executable, "-m", "uvicorn", "tengja.asgi:application"]
                command += ["--port", str(port), "--lifespan", "off", "--log-level", "warning"]
                # Sockets still open at a stop (every page has one now, for its live
                # count) are closed after 5 s rather than waited on past the test's 10 s.
                command += ["--timeout-graceful-shutdown", "5"]
                self.processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=out)
                )

    def __enter__(self) -> "Servers":
        try:
            for port, process, log in zip(self.ports, self.processes, self.logs, strict=True):
                wait_listening(port, process, log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=10)

    def log(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)


def test_participants_on_different_processes_find_each_other(tmp_path):
    booking = BookingFactory(starts_at=timezone.now() + timedelta(minutes=5))
    with Servers(tmp_path) as servers:
        client_cookie = session_cookie(booking.client, servers.env)
        pro_cookie = session_cookie(booking.professional.user, servers.env)
        asyncio.run(meet(servers.ports, booking.code, client_cookie, pro_cookie))


async def meet(ports, code, client_cookie, pro_cookie):
    import websockets

    def connect(port, cookie):
        return websockets.connect(
            f"ws://127.0.0.1:{port}/ws/sessions/{code}/",
            origin="http://127.0.0.1",
            additional_headers={"Cookie": f"sessionid={cookie}"},
        )

    async with connect(ports[0], client_cookie) as client, connect(ports[1], pro_cookie) as pro:
        # The professional's process may not have joined the group yet: say hello
        # until it is heard (a repeated hello is harmless), for at most 20 s.
        deadline = time.monotonic() + 20
        while True:
            await client.send(json.dumps({"type": "hello"}))
            try:
                heard = json.loads(await asyncio.wait_for(pro.recv(), 0.5))
                break
            except TimeoutError:
                assert time.monotonic() < deadline, "the two processes never met"
        assert heard == {"type": "hello", "fresh": True, "from": "client"}
        offer = {"type": "offer", "sdp": "v=0"}
        await pro.send(json.dumps({"type": "description", "description": offer}))
        message = json.loads(await asyncio.wait_for(client.recv(), 20))
        assert message == {"type": "description", "description": offer, "from": "professional"}


# ---------------------------------------------------------------- two browsers


@contextmanager
def browser():
    """Debian's Chromium with a fake camera and microphone. Started in the test (not a
    package fixture): Playwright's event loop must be gone before asyncio.run above."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(
            executable_path=chromium.CHROMIUM, args=[*chromium.FLAGS, *chromium.MEDIA_FLAGS]
        )
        try:
            yield chrome
        finally:
            chrome.close()


def join_call(chrome, base_url: str, cookie: str, code: str):
    """A signed-in person opens the call on the server at base_url and joins."""
    from playwright.sync_api import expect

    context = chrome.new_context(base_url=base_url, locale="en-GB")
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": base_url}])
    page = context.new_page()
    page.goto(f"/sessions/{code}/join/")
    join = page.get_by_role("button", name="Join session")
    expect(join).to_be_enabled()
    join.click()
    return page


FRAMES = """async () => {
  let frames = 0;
  const pc = window.tengjaCall.pc;
  if (pc) (await pc.getStats()).forEach(s => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
  });
  return frames;
}"""


def assert_video_plays(page) -> None:
    """Frames from the other side go on being decoded."""
    first = page.evaluate(FRAMES)
    deadline = time.monotonic() + 10
    while page.evaluate(FRAMES) <= first:
        assert time.monotonic() < deadline, "no video frames arrive"
        time.sleep(0.25)


def assert_signalling_both_ways(client, pro, booking) -> None:
    """Muting is a signalling message (a "state"): each side sees the other's."""
    from playwright.sync_api import expect

    client.get_by_role("button", name="Mute").click()
    expect(pro.locator("#remote-state")).to_contain_text(
        f"{booking.client.name} has muted their microphone."
    )
    pro.get_by_role("button", name="Mute").click()
    expect(client.locator("#remote-state")).to_contain_text(
        f"{booking.professional.user.name} has muted their microphone."
    )


CONNECTED = "You are in the call"
# Over a minute: a dozen of channels_redis's 5-second blocking reads.
QUIET_SECONDS = 62


@pytest.mark.browser
def test_a_quiet_call_on_two_processes_lasts_a_minute(tmp_path):
    from playwright.sync_api import expect

    booking = BookingFactory(starts_at=timezone.now() + timedelta(minutes=5))
    with Servers(tmp_path) as servers, browser() as chrome:
        client_cookie = session_cookie(booking.client, servers.env)
        pro_cookie = session_cookie(booking.professional.user, servers.env)
        urls = [f"http://127.0.0.1:{port}" for port in servers.ports]
        client = join_call(chrome, urls[0], client_cookie, booking.code)
        pro = join_call(chrome, urls[1], pro_cookie, booking.code)
        for page in (client, pro):
            expect(page.locator("#call-status")).to_contain_text(CONNECTED)

        # Nobody says anything over signalling for a minute: the media goes peer to
        # peer, each server process waits on Redis for a message that does not come.
        deadline = time.monotonic() + QUIET_SECONDS
        while time.monotonic() < deadline:
            time.sleep(5)
            for page in (client, pro):
                assert page.evaluate("window.tengjaCall.socketsOpened") == 1, servers.log()[-3000:]
                expect(page.locator("#call-status")).to_contain_text(CONNECTED)

        assert "TimeoutError" not in servers.log()
        assert "Exception" not in servers.log()
        for page in (client, pro):
            assert page.evaluate("window.tengjaCall.ws.readyState") == 1  # OPEN
            assert_video_plays(page)
        assert_signalling_both_ways(client, pro, booking)


DROP_SECONDS = 10
# From the cut to the other side being told the client's connection was lost.
GONE_SECONDS = 15
# After the network is back: the page's next reconnection attempt (at most 8 s
# apart) and the hello that follows.
RECOVERY_SECONDS = 15


@pytest.mark.browser
def test_after_a_network_drop_the_call_page_recovers_without_a_click(tmp_path):
    from playwright.sync_api import expect

    booking = BookingFactory(starts_at=timezone.now() + timedelta(minutes=5))
    with (
        Servers(tmp_path) as servers,
        CuttableProxy(servers.ports[0]) as proxy,
        browser() as chrome,
    ):
        client_cookie = session_cookie(booking.client, servers.env)
        pro_cookie = session_cookie(booking.professional.user, servers.env)
        # The client reaches the first process through the proxy, the professional
        # the second directly; the media between their browsers does not pass it.
        client = join_call(chrome, proxy.url, client_cookie, booking.code)
        pro = join_call(chrome, f"http://127.0.0.1:{servers.ports[1]}", pro_cookie, booking.code)
        for page in (client, pro):
            expect(page.locator("#call-status")).to_contain_text(CONNECTED)

        proxy.cut()
        cut_at = time.monotonic()
        expect(client.locator("#call-status")).to_have_text("Connection lost. Reconnecting…")
        # The cut closes the client's socket, so its server hears it at once and tells
        # the other process through Redis. In two whole-suite runs that took longer
        # than the 5 s expect gives by default (alone it never did; the servers' log
        # is kept with a failure to find out why), so it is allowed GONE_SECONDS: a
        # drop that closes nothing is noticed by the server's pings, 20 s + 20 s.
        try:
            expect(pro.locator("#call-status")).to_contain_text(
                f"{booking.client.name} lost the connection. Waiting for them…",
                timeout=GONE_SECONDS * 1000,
            )
        except AssertionError as error:
            log = servers.log()[-4000:]
            raise AssertionError(f"{error}\n--- the servers' log:\n{log}") from None
        assert_video_plays(client)  # the video goes on meanwhile
        time.sleep(max(0, DROP_SECONDS - (time.monotonic() - cut_at)))
        socket_open = "window.tengjaCall.ws !== null && window.tengjaCall.ws.readyState === 1"
        assert not client.evaluate(socket_open), "the socket came back through a cut network"
        proxy.restore()

        # Back in the call on both sides, with nothing clicked.
        for page in (client, pro):
            expect(page.locator("#call-status")).to_contain_text(
                CONNECTED, timeout=RECOVERY_SECONDS * 1000
            )
        expect(client.locator("#retry-button")).to_be_hidden()
        assert client.evaluate("window.tengjaCall.socketsOpened") > 1
        for page in (client, pro):
            assert_video_plays(page)
        assert_signalling_both_ways(client, pro, booking)
