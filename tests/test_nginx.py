"""Tengja as README's "Running at scale" runs it: nginx in front (the shipped
deploy/nginx/), HTTP to gunicorn (tengja.wsgi), /ws/ to uvicorn (tengja.asgi),
each started by tengja.lib.server's command line."""

import importlib.util
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tengja.lib.server import DEPLOY, gunicorn_command, nginx_config, uvicorn_command
from tests.test_failures import Browser, database_url, settings_root

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
needs_nginx = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is missing (make system-packages installs it)"
)


def nginx_t(prefix: Path, conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        capture_output=True,
        text=True,
    )


@needs_nginx
def test_the_shipped_site_passes_nginx_t(tmp_path):
    """As installed on Debian: the site in sites-enabled/, the snippet in snippets/,
    in nginx's http block, with a certificate where the site says."""
    (tmp_path / "snippets").mkdir()
    shutil.copy(DEPLOY / "tengja-proxy.conf", tmp_path / "snippets")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-subj", "/CN=tengja.example"),
            *("-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "tengja.conf").read_text()
    site = re.sub(r"ssl_certificate (\S+);", f"ssl_certificate {tmp_path / 'cert.pem'};", site)
    site = re.sub(
        r"ssl_certificate_key (\S+);", f"ssl_certificate_key {tmp_path / 'key.pem'};", site
    )
    (tmp_path / "tengja.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\n"
        f"http {{\n include {tmp_path / 'tengja.conf'};\n}}\n"
    )
    checked = nginx_t(tmp_path, conf)
    assert checked.returncode == 0, checked.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, processes: list, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert all(p.poll() is None for p in processes), log.read_text()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, "a server did not start"
        time.sleep(0.1)


@pytest.fixture
def behind_nginx(tmp_path):
    """nginx on a loopback port, in front of one gunicorn and one uvicorn."""
    import os

    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is missing: pip install -r requirements.lock")
    http_port, ws_port, nginx_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        nginx_config(
            workdir=tmp_path,
            listen_port=nginx_port,
            http_port=http_port,
            ws_port=ws_port,
            workers="1",
        )
    )
    log = tmp_path / "servers.log"
    processes = []
    with log.open("w") as output:
        try:
            for command, port in (
                (gunicorn_command(host="127.0.0.1", port=http_port, workers=1), http_port),
                (uvicorn_command(host="127.0.0.1", port=ws_port, workers=1), ws_port),
                ([NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(log)], nginx_port),
            ):
                processes.append(
                    subprocess.Popen(
                        command, cwd=settings_root(), env=env, stdout=output, stderr=output
                    )
                )
                wait_for_port(port, processes, log)
            yield f"127.0.0.1:{nginx_port}"
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)


@needs_nginx
@pytest.mark.django_db(transaction=True)
def test_through_nginx_people_sign_in_their_pages_work_and_sockets_reach_uvicorn(
    behind_nginx, alice, password, settings
):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from tengja.video.consumers import NOT_FOUND

    address = behind_nginx
    base = f"http://{address}"
    # Passwords as the server checks them (the tests' own hasher is a faster one).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    alice.set_password(password)
    alice.save()

    # A form (CSRF: the Host nginx passes on) and a signed-in page, through gunicorn.
    browser = Browser(base)
    signed_in = browser.sign_in(alice.email, password)
    assert (signed_in.status, signed_in.url) == (200, base + reverse("dashboard:home"))
    assert alice.name in signed_in.read().decode()
    assert browser.get(reverse("accounts:profile")).status == 200

    # /ws/ goes to uvicorn: gunicorn cannot speak WebSocket, so an answer at all
    # (the consumers' "not found" for an unknown path) is uvicorn's.
    with (
        connect(f"ws://{address}/ws/nowhere/", origin=base) as socket_,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket_.recv(timeout=10)
    assert closed.value.rcvd.code == NOT_FOUND
