"""Failure: the database connection drops mid-booking or mid-payment, and Redis
is away. Nothing is half-written; people get a clear answer and can retry."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice, Payment
from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking
from tengja.notifications.models import Delivery
from tests.conftest import requires_postgres
from tests.factories import SessionTypeFactory


def terminate_own_connection() -> None:
    """Kill this connection's PostgreSQL backend from another connection: a real drop."""
    import psycopg

    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_connection_drop_mid_booking_writes_nothing_and_a_retry_works(professional):
    kind = SessionTypeFactory(professional=professional)
    client = Client(raise_request_exception=False)
    client.force_login(professional.user)
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = {
        "session_type": kind.pk,
        "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "email": "client@example.com",
    }
    from tengja.billing import services as billing

    real_issue = billing.invoice_issue

    def drop_then_issue(*, booking):
        terminate_own_connection()  # the booking row is written, the invoice not yet
        return real_issue(booking=booking)

    with mock.patch.object(billing, "invoice_issue", side_effect=drop_then_issue):
        response = client.post(reverse("bookings:invite"), data)
    assert response.status_code == 503
    assert "Nothing you sent was saved" in response.content.decode()
    connection.close()
    assert Booking.objects.count() == 0
    assert Invoice.objects.count() == 0 and Delivery.objects.count() == 0
    # Retry: it goes through.
    client.force_login(professional.user)
    response = client.post(reverse("bookings:invite"), data)
    assert response.status_code == 302
    assert Booking.objects.count() == 1 and Invoice.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_connection_drop_mid_payment_charges_nothing_twice(alice, professional):
    from tengja.billing import services as billing
    from tengja.bookings.services import booking_invite
    from tests.billing.conftest import add_card

    kind = SessionTypeFactory(professional=professional)
    booking = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=2),
        email=alice.email,
    )
    card = add_card(alice)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    key = billing.new_payment_key()
    real_succeed = billing._succeed

    def drop_then_succeed(invoice, payment):
        terminate_own_connection()
        return real_succeed(invoice, payment)

    url = reverse("billing:pay", args=[invoice_standing(booking=booking).code])
    with mock.patch.object(billing, "_succeed", side_effect=drop_then_succeed):
        response = client.post(url, {"card": card.code, "payment_key": key})
    assert response.status_code == 503
    connection.close()
    assert invoice_standing(booking=booking).status == "open"
    # The same form sent again: the provider returns the same charge, recorded once.
    client.force_login(alice)
    client.post(url, {"card": card.code, "payment_key": key})
    assert invoice_standing(booking=booking).status == "paid"
    assert Payment.objects.filter(status="succeeded").count() == 1
    from tengja.billing.models import LocalIntent

    assert LocalIntent.objects.count() == 1


def test_a_lost_database_gets_a_clear_503(client, alice):
    client.force_login(alice)
    client.raise_request_exception = False
    with mock.patch(
        "tengja.dashboard.views.bookings_upcoming_for_user",
        side_effect=OperationalError("server closed the connection"),
    ):
        response = client.get(reverse("dashboard:home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_without_redis_pages_and_booking_keep_working(client, settings, professional, alice):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [DEAD_REDIS]},
        }
    }
    client.force_login(professional.user)
    kind = SessionTypeFactory(professional=professional)
    start = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("bookings:invite"),
        {"session_type": kind.pk, "starts_at": start, "email": alice.email},
    )
    assert response.status_code == 302
    client.force_login(alice)
    for name in ("dashboard:home", "dashboard:calendar", "billing:payments"):
        assert client.get(reverse(name)).status_code == 200


# ---------------------------------------------------------------- Redis away, for real

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused


def database_url() -> str:
    """The test database, as the server process is told it."""
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    return "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
        **{k: database[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
    )


class Browser:
    """Cookies, CSRF and sign-in against a running server, with the standard library."""

    def __init__(self, base: str) -> None:
        import http.cookiejar
        import urllib.request

        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str):
        import urllib.error

        try:
            return self.opener.open(self.base + path, timeout=10)
        except urllib.error.HTTPError as error:
            return error

    def post(self, path: str, form_page: str, data: dict):
        """Send a form as a browser would: the CSRF token from `form_page` first."""
        import re
        import urllib.parse
        import urllib.request

        page = self.get(form_page).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base}
        )
        return self.opener.open(request, timeout=10)

    def sign_in(self, email: str, password: str):
        login = reverse("accounts:login")
        return self.post(login, login, {"username": email, "password": password})


@pytest.fixture
def server_without_redis(tmp_path):
    """The production server command (tengja.lib.server), with REDIS_URL at a closed
    port: the cache and the channel layer both away from the start."""
    import os
    import socket
    import subprocess
    import time

    from tengja.lib.server import uvicorn_command

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": CLOSED_PORT,
        "DEBUG": "true",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
    }
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            uvicorn_command(host="127.0.0.1", port=port, workers=1),
            cwd=settings_root(),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.terminate()
        process.wait(timeout=10)


def settings_root():
    from django.conf import settings

    return settings.BASE_DIR


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_people_sign_in_and_their_pages_work(
    server_without_redis, alice, professional, password, settings
):
    from tengja.bookings.services import booking_invite

    base, log = server_without_redis
    # Passwords as the server checks them (the tests' own hasher is a faster one).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    for user in (alice, professional.user):
        user.set_password(password)
        user.save()
    booking = booking_invite(
        professional=professional,
        session_type=SessionTypeFactory(professional=professional),
        starts_at=timezone.now() + timedelta(days=2),
        email=alice.email,
    )
    invoice = invoice_standing(booking=booking).code
    soon = booking_invite(
        professional=professional,
        session_type=booking.session_type,
        starts_at=timezone.now() + timedelta(minutes=5),
        email=alice.email,
    )

    client = Browser(base)
    signed_in = client.sign_in(alice.email, password)
    assert signed_in.status == 200
    assert signed_in.url == base + reverse("dashboard:home")
    for url in (
        reverse("dashboard:home"),
        reverse("dashboard:calendar"),
        reverse("billing:payments"),
        reverse("billing:invoice", args=[invoice]),
        reverse("billing:invoice_pdf", args=[invoice]),
        reverse("bookings:detail", args=[booking.code]),
        reverse("notifications:list"),
        reverse("accounts:profile"),
        # The call's page (its WebSocket needs the channel layer, which is away).
        reverse("video:join", args=[soon.code]),
    ):
        response = client.get(url)
        assert (url, response.status) == (url, 200)
        assert response.url == base + url  # not sent back to sign in
    body = client.get(reverse("dashboard:home")).read().decode()
    assert booking.session_type.name in body
    # Signing out works too (telling open calls goes through the channel layer).
    home = reverse("dashboard:home")
    assert client.post(reverse("accounts:logout"), home, {}).url == base + reverse("accounts:login")
    calendar = client.get(reverse("dashboard:calendar"))
    assert calendar.url.startswith(base + reverse("accounts:login"))

    pro = Browser(base)
    assert pro.sign_in(professional.user.email, password).url == base + reverse("dashboard:home")
    for url in (
        reverse("dashboard:home"),
        reverse("dashboard:practice_week"),
        reverse("dashboard:practice_clients"),
        reverse("billing:payments"),
    ):
        response = pro.get(url)
        assert (url, response.status, response.url) == (url, 200, base + url)

    # Said in the log, one line each for the cache, naming what is away. (The
    # channel layer's warning, at sign-out, comes with its traceback.)
    output = log.read_text()
    assert "Internal Server Error" not in output and "Exception ignored" not in output
    assert "could not send session.end to user." in output
    assert (
        "the cache is unavailable, carrying on without it: "
        "Redis ConnectionError: Error 111 connecting to 127.0.0.1:1. Connection refused."
    ) in output


@pytest.mark.django_db
def test_with_redis_away_the_emails_task_is_still_enqueued(settings):
    """A second task for one second of due times is harmless; a lost one is not."""
    from django_tasks_db.models import DBTaskResult

    from tengja.notifications import services
    from tengja.settings import redis_cache

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CACHES = {"default": redis_cache(DEAD_REDIS)}
    services._enqueue(timezone.now() + timedelta(hours=1))
    assert DBTaskResult.objects.count() == 1
