"""Anything that sends e-mail on request, or checks a password, is limited per
address and per client address; a request over a limit gets the same answer."""

import os

import pytest
from django.core import mail
from django.urls import reverse

from tengja.hubs.models import Membership
from tengja.settings import redis_cache
from tests.factories import UserFactory

RESET = reverse("accounts:password_reset")
LOGIN = reverse("accounts:login")


def test_twenty_reset_requests_for_one_address_send_three(
    client, alice, settings, django_capture_on_commit_callbacks
):
    assert settings.EMAIL_LIMIT_PER_ADDRESS == "3/h"
    responses = []
    with django_capture_on_commit_callbacks(execute=True):
        for attempt in range(20):
            email = alice.email.upper() if attempt % 2 else alice.email  # case buys nothing
            responses.append(client.post(RESET, {"email": email}))
    assert len(mail.outbox) == 3
    # Each answer is the same redirect to the same page: nothing tells the limit was hit.
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, reverse("accounts:password_reset_done"))
    }


def test_reset_requests_from_one_client_for_many_addresses_are_limited(
    client, settings, db, django_capture_on_commit_callbacks
):
    settings.EMAIL_LIMIT_PER_IP = "5/h"
    people = [UserFactory() for _ in range(8)]
    with django_capture_on_commit_callbacks(execute=True):
        for person in people:
            assert client.post(RESET, {"email": person.email}).status_code == 302
    assert len(mail.outbox) == 5
    # Another client is not held back by it.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESET, {"email": people[-1].email}, REMOTE_ADDR="198.51.100.7")
    assert len(mail.outbox) == 6


def test_a_forged_forwarded_header_does_not_buy_more_emails(
    client, alice, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_LIMIT_PER_IP = "2/h"
    people = [UserFactory() for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        for number, person in enumerate(people):
            client.post(RESET, {"email": person.email}, HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert len(mail.outbox) == 2


def test_the_limit_window_passes(client, alice, django_capture_on_commit_callbacks):
    import time_machine
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            client.post(RESET, {"email": alice.email})
    assert len(mail.outbox) == 3
    with (
        time_machine.travel(timezone.now() + timezone.timedelta(hours=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(RESET, {"email": alice.email})
    assert len(mail.outbox) == 4


def test_twenty_hub_joins_naming_someone_elses_work_address_send_three(
    client, hub, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = reverse("hubs:join", args=[hub.code])
    responses = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            responses.append(client.post(url, {"email": "victim@acme.test"}))
    assert [m.to for m in mail.outbox] == [["victim@acme.test"]] * 3
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, reverse("dashboard:home"))}
    # The membership waits as it would have; joining later sends a fresh link.
    assert Membership.objects.get(user=alice).status == Membership.Status.PENDING


def test_twenty_email_changes_send_three(
    client, alice, password, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = reverse("accounts:email_change")
    responses = []
    for _ in range(20):
        with django_capture_on_commit_callbacks(execute=True):
            responses.append(
                client.post(url, {"new_email": "new@example.com", "current_password": password})
            )
    assert len(mail.outbox) == 3
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, reverse("accounts:profile"))
    }


def test_one_password_tried_on_many_accounts_from_one_client_is_stopped(
    client, settings, db, password
):
    settings.SIGN_IN_LIMIT_PER_IP = "5/h"
    people = [UserFactory() for _ in range(7)]
    for person in people[:5]:
        response = client.post(LOGIN, {"username": person.email, "password": "Summer2026!"})
        assert response.status_code == 200  # wrong, but each account only once: axes sees nothing
    # Now even the right password of an untouched account is refused from here.
    response = client.post(LOGIN, {"username": people[5].email, "password": password})
    assert response.status_code == 429
    assert "Signing in from your network is paused" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # From elsewhere it works.
    response = client.post(
        LOGIN, {"username": people[6].email, "password": password}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 302


def test_successful_sign_ins_do_not_count(client, settings, db, password):
    settings.SIGN_IN_LIMIT_PER_IP = "2/h"
    person = UserFactory()
    for _ in range(5):
        assert client.post(LOGIN, {"username": person.email, "password": password}).status_code
        client.logout()
    assert client.post(LOGIN, {"username": person.email, "password": password}).status_code == 302


@pytest.mark.parametrize(
    "name", ["EMAIL_LIMIT_PER_ADDRESS", "SIGN_IN_LIMIT_PER_IP", "SIGNUP_LIMIT_PER_IP"]
)
def test_a_bad_rate_fails_loudly(name):
    import subprocess
    import sys

    from tests.test_serve import ROOT

    env = {**os.environ, name: "three an hour"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert f"{name} must be a rate such as 3/h" in result.stderr


CACHE_AWAY = [
    # What runs with REDIS_URL: errors logged, reads miss, writes do nothing.
    pytest.param(lambda: redis_cache("redis://127.0.0.1:1/0"), id="django-redis"),
    # A backend that raises instead.
    pytest.param(
        lambda: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
        id="raising",
    ),
]


@pytest.mark.parametrize("cache_config", CACHE_AWAY)
def test_with_the_cache_away_no_email_is_sent_on_request(
    cache_config, client, alice, settings, django_capture_on_commit_callbacks, caplog
):
    """Fail closed: the limits cannot count, so nobody can use us to flood an inbox
    meanwhile. The answer is the same as ever."""
    settings.CACHES = {"default": cache_config()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET, {"email": alice.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 0
    assert "rate limit email-to-address not counted (the cache is unavailable)" in caplog.text


@pytest.mark.parametrize("cache_config", CACHE_AWAY)
def test_with_the_cache_away_people_still_sign_in(cache_config, client, alice, password, settings):
    """Fail open: stopping every sign-in is the outage itself. Each address's lockout
    (django-axes) is in the database and still holds."""
    settings.CACHES = {"default": cache_config()}
    response = client.post(LOGIN, {"username": alice.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("dashboard:home")).context["user"] == alice
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": alice.email, "password": "wrong"})
    response = client.post(LOGIN, {"username": alice.email, "password": password})
    assert "_auth_user_id" not in client.session  # locked out, cache or not


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not redis_available(), reason=f"needs Redis at {REDIS_URL}")
def test_on_redis_the_limit_holds_across_processes(
    client, alice, settings, django_capture_on_commit_callbacks
):
    """Two processes share Redis: a count written through one cache connection is
    seen through a fresh one, as another server process would."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    caches["default"].clear()  # only database 5, the tests' own
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                client.post(RESET, {"email": alice.email})
        caches._settings = None  # forget the connection, as a new process would have none
        del caches["default"]
        with django_capture_on_commit_callbacks(execute=True):
            client.post(RESET, {"email": alice.email})
        assert len(mail.outbox) == 3
    finally:
        caches["default"].clear()
