#!/usr/bin/env python
"""How long from the second participant's "Join session" click to the first
decoded frame of the other's video, over N calls (default 10).

Runs Tengja (uvicorn, SQLite in a temporary folder) and two Chromium contexts
with fake cameras on this machine, and prints the median and the worst.

    .venv/bin/python scripts/bench_video_join.py [--calls 10]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from support import ROOT, asgi_server, chromium, free_port

PASSWORD = "benchmark passphrase 1"


def setup_data() -> tuple[str, str, str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from tengja.accounts.models import User
    from tengja.bookings.models import Booking
    from tengja.professionals.models import Professional, SessionType

    call_command("migrate", verbosity=0)
    client = User.objects.create_user("client@bench.test", PASSWORD, name="Bench Client")
    pro_user = User.objects.create_user("pro@bench.test", PASSWORD, name="Bench Professional")
    pro = Professional.objects.create(user=pro_user, title="Psychologist")
    kind = SessionType.objects.create(
        professional=pro, name="Session", duration_minutes=120, price_amount=1, currency="ISK"
    )
    start = timezone.now() + timedelta(minutes=5)
    booking = Booking.objects.create(
        professional=pro,
        client=client,
        session_type=kind,
        starts_at=start,
        ends_at=start + timedelta(minutes=120),
        price_amount=1,
        currency="ISK",
    )
    return client.email, pro_user.email, booking.code


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def ready_to_join(page, code: str) -> None:
    page.goto(f"/sessions/{code}/join/")
    deadline = time.monotonic() + 20
    while page.locator("#join-button").is_disabled():
        assert time.monotonic() < deadline, "devices did not start"
        time.sleep(0.05)


def one_call(browser, url: str, client_email: str, pro_email: str, code: str) -> float:
    contexts = [browser.new_context(base_url=url) for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        sign_in(first, client_email)
        sign_in(second, pro_email)
        ready_to_join(first, code)
        first.locator("#join-button").click()
        ready_to_join(second, code)
        # Both timestamps come from the second page's own clock.
        second.evaluate(
            """() => {
              const video = document.getElementById('remote-video');
              document.getElementById('join-button').addEventListener(
                'click', () => { window.__clicked = performance.now(); }, {capture: true});
              const mark = () => { window.__frame = performance.now(); };
              video.requestVideoFrameCallback(mark);
            }"""
        )
        second.locator("#join-button").click()
        deadline = time.monotonic() + 30
        while second.evaluate("window.__frame === undefined"):
            assert time.monotonic() < deadline, "no remote frame within 30 s"
            time.sleep(0.01)
        return second.evaluate("window.__frame - window.__clicked")
    finally:
        for context in contexts:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tengja-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
        "DEBUG": "true",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "AXES_FAILURE_LIMIT": "1000",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    client_email, pro_email, code = setup_data()
    with asgi_server(env, port) as url:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium.CHROMIUM, args=[*chromium.FLAGS, *chromium.MEDIA_FLAGS]
            )
            times = []
            for number in range(1, args.calls + 1):
                elapsed = one_call(browser, url, client_email, pro_email, code)
                times.append(elapsed)
                print(f"call {number:2d}: {elapsed:7.1f} ms")
            browser.close()
        print(
            f"join click to first remote video frame over {len(times)} calls: "
            f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms"
        )


if __name__ == "__main__":
    main()
