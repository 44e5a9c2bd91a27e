"""Playwright against pytest-django's live server, in Debian's Chromium."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from channels.routing import ProtocolTypeRouter

from tengja.lib import chromium

# Playwright's sync API keeps an event loop on this thread; the ORM calls the
# tests make for set-up and checks are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# axe-core, from npm (`make test` runs `npm ci`): accessibility rules run in the page.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [*chromium.FLAGS, *chromium.MEDIA_FLAGS]
CHROMIUM = chromium.CHROMIUM


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Package scope: Playwright's sync API keeps an event loop running on the main
# thread, which must be gone before the asyncio tests elsewhere run.
@pytest.fixture(scope="package")
def playwright():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    yield browser
    browser.close()


class AsgiServer:
    """The project's ASGI application (HTTP and WebSocket) under uvicorn, in a thread
    of the test process, so it shares the test database and settings."""

    def __init__(self) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.test import override_settings

        # Tests run with DEBUG off; the local provider stands in for Stripe, as in
        # a demo (see tests/conftest.py), or the app refuses to start.
        override_settings(DEMO_FAKE_PAYMENTS=True).enable()
        from tengja.asgi import application, django_asgi_app

        app = ProtocolTypeRouter(
            {
                # Django's handler, as `manage.py serve` runs it, with the static files
                # in front (whitenoise serves them in production, from collected files).
                "http": ASGIStaticFilesHandler(django_asgi_app),
                "websocket": application.application_mapping["websocket"],
            }
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # As `manage.py serve` runs it: the client address is Tengja's to work out.
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="warning",
            proxy_headers=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "the ASGI test server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        asgi = AsgiServer()
        asgi.start()
        yield asgi
        asgi.stop()
        # The server's worker threads keep database connections; close them so the
        # test database can be dropped at the end.
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def live(server, transactional_db):
    """The ASGI server, with each test's rows visible to it."""
    return server


@pytest.fixture
def page(browser, live):
    context = browser.new_context(base_url=live.url, locale="en-GB", timezone_id="America/New_York")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, live):
    """A 360 px wide phone screen."""
    context = browser.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        locale="is-IS",
        timezone_id="Atlantic/Reykjavik",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, email: str, password: str) -> None:
    """Through the sign-in form, in whichever language the page speaks."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()


def axe_violations(page) -> list[tuple[str, str, list]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now: (rule,
    impact, where). Evaluated through DevTools, so the page's CSP stays as it is."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: `make test` installs it (npm ci)")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, "
        "resultTypes: ['violations']})"
    )
    return [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:5])
        for v in result["violations"]
    ]
