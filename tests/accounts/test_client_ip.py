"""Who the client is: REMOTE_ADDR, unless the peer is a proxy the operator trusts.
A forged X-Forwarded-For must never move a sign-in to a fresh lockout counter."""

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tengja.lib.ip import client_ip
from tests.test_serve import ROOT, free_port, wait_for

LOGIN = reverse("accounts:login")


def request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"
    assert client_ip(request("198.51.100.4", "203.0.113.9, 127.0.0.1")) == "198.51.100.4"


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_counts(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    # The client wrote "1.2.3.4" itself; the proxy appended what it saw.
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    # Two proxies in a row: both skipped.
    assert client_ip(request("192.0.2.1", "1.2.3.4, 203.0.113.9, 10.1.2.3")) == "203.0.113.9"
    # IPv6 and ports as some proxies write them.
    assert client_ip(request("10.0.0.2", "[2001:db8::7]:4711")) == "2001:db8::7"
    assert client_ip(request("10.0.0.2", "203.0.113.9:4711")) == "203.0.113.9"


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("198.51.100.4", "10.0.0.1, 203.0.113.9")) == "198.51.100.4"


def test_garbage_or_only_proxies_in_the_header_give_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("10.0.0.2", "not-an-address")) == "10.0.0.2"
    assert client_ip(request("10.0.0.2", "203.0.113.9, junk")) == "10.0.0.2"
    assert client_ip(request("10.0.0.2", "10.0.0.3")) == "10.0.0.2"
    assert client_ip(request("10.0.0.2")) == "10.0.0.2"


def lock_out(client, email: str, settings, **extra) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": email, "password": "guess"}, **extra)


def test_a_forged_header_does_not_lift_a_lockout(client, alice, password, settings):
    settings.TRUSTED_PROXIES = []
    lock_out(client, alice.email, settings)
    for forged in ("203.0.113.9", "198.51.100.1, 203.0.113.9", "::1"):
        response = client.post(
            LOGIN,
            {"username": alice.email, "password": password},
            HTTP_X_FORWARDED_FOR=forged,
        )
        assert response.status_code == 429, forged
    assert "_auth_user_id" not in client.session


def test_behind_a_trusted_proxy_the_forged_part_does_not_lift_a_lockout(
    client, alice, password, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    lock_out(client, alice.email, settings, HTTP_X_FORWARDED_FOR="203.0.113.9")
    forged = "198.51.100.1, 203.0.113.9"  # the client prepends a new address
    response = client.post(
        LOGIN, {"username": alice.email, "password": password}, HTTP_X_FORWARDED_FOR=forged
    )
    assert response.status_code == 429
    # Someone else, elsewhere, is not locked out by it.
    response = client.post(
        LOGIN, {"username": alice.email, "password": password}, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert response.status_code == 302


def test_a_bad_trusted_proxy_setting_fails_loudly():
    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXIES must list addresses or networks" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_real_server_does_not_believe_a_forged_header_from_this_machine(tmp_path):
    """`manage.py serve` as `make run` starts it: uvicorn must not rewrite the
    client address from X-Forwarded-For (its default trusts 127.0.0.1)."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "AXES_FAILURE_LIMIT": "2",
    }
    env.pop("TRUSTED_PROXIES", None)
    env.pop("FORWARDED_ALLOW_IPS", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path: str):
        try:
            return opener.open(base + path, timeout=5).read().decode()
        except OSError:
            return None

    def sign_in(password: str, forwarded: str | None = None) -> int:
        form = get(LOGIN)
        token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', form).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "client@tengja.test", "password": password}
        ).encode()
        headers = {"Referer": base}
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        try:
            return opener.open(
                urllib.request.Request(base + LOGIN, data=data, headers=headers), timeout=10
            ).status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        wait_for(lambda: get(LOGIN))
        for _ in range(2):
            sign_in("a wrong password")
        assert sign_in("demo-client-2026") == 429
        assert sign_in("demo-client-2026", forwarded="203.0.113.9") == 429
    finally:
        serve.terminate()
        serve.wait(timeout=20)
