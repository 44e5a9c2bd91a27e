#!/usr/bin/env python
"""For each main page: bytes of HTML, CSS and JS shipped, and the Largest
Contentful Paint in headless Chromium. Budgets: under 100 KB of JS+CSS per
page, LCP under 1 s on this machine.

    .venv/bin/python scripts/bench_frontend.py
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from support import ROOT, asgi_server, chromium, free_port

LCP = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => resolve(null), 3000);
})"""


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tengja-front-"))
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        # Production settings, with the offline card provider (nothing here reaches Stripe).
        "PAYMENT_PROVIDER": "local",
        "DEMO_FAKE_PAYMENTS": "true",
        "SECRET_KEY": "front-" * 10,
        "NOTES_KEYS": "x6lVNMBOOYr6aGMvhZFMdOOtHXDq2WCRZP2cSBF3z2U=",  # a scratch key
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'front.sqlite3'}",
        "PORT": str(port),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    demo = json.loads(
        subprocess.run(
            [*manage, "demo", "--json", "--force"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    with asgi_server(env, port) as base:
        from playwright.sync_api import sync_playwright

        pages = {
            "sign in": "/accounts/login/",
            "Home": "/",
            "calendar": "/calendar/",
            "Payments": "/payments/",
            "session": "/sessions/demo-soon/",
            "join video": "/sessions/demo-soon/join/",
            "hub": demo["hub_url"],
            "profile": "/accounts/profile/",
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium.CHROMIUM, args=[*chromium.FLAGS, *chromium.MEDIA_FLAGS]
            )
            context = browser.new_context(base_url=base)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("#id_username", demo["client"]["email"])
            page.fill("#id_password", demo["client"]["password"])
            page.click("main form button[type=submit]")
            page.wait_for_url(base + "/")
            print(f"{'page':<12}{'HTML KB':>9}{'CSS KB':>8}{'JS KB':>8}{'LCP ms':>8}  budget")
            for name, path in pages.items():
                sizes = {"document": 0, "stylesheet": 0, "script": 0}
                fresh = context.new_page()
                fresh.route("**/*", lambda route: route.continue_())

                def count(response, sizes=sizes):
                    kind = response.request.resource_type
                    if kind in sizes:
                        with contextlib.suppress(Exception):
                            sizes[kind] += len(response.body())

                fresh.on("response", count)
                fresh.goto(path, wait_until="load")
                lcp = fresh.evaluate(LCP)
                assets = (sizes["stylesheet"] + sizes["script"]) / 1024
                ok = assets < 100 and lcp is not None and lcp < 1000
                print(
                    f"{name:<12}{sizes['document'] / 1024:>9.1f}{sizes['stylesheet'] / 1024:>8.1f}"
                    f"{sizes['script'] / 1024:>8.1f}{(lcp or 0):>8.0f}  {'ok' if ok else 'OVER'}"
                )
                fresh.close()
            browser.close()


if __name__ == "__main__":
    main()
