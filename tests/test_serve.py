"""`make run`'s last step, for real: the ASGI server (HTTP and WebSocket) and the
task worker as child processes, an e-mail sent through both, and a clean stop on
SIGTERM. And the server is Django's own handler, with nothing of Django's replaced."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.handlers.asgi import ASGIHandler
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_serve_runs_server_and_worker_and_stops_both_on_sigterm(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
    }
    env.pop("EMAIL_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def page(path: str):
            try:
                return opener.open(base + path, timeout=5).read().decode()
            except OSError:
                return None

        form = wait_for(lambda: page("/accounts/password-reset/"))
        token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', form).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "email": "client@tengja.test"}
        ).encode()
        request = urllib.request.Request(
            base + "/accounts/password-reset/", data=data, headers={"Referer": base}
        )
        assert "Check your email" in opener.open(request, timeout=10).read().decode()

        # The worker, not the request, writes the e-mail.
        mail_dir = tmp_path / "mail"
        # (The demo's invitation to a professional is written by the worker too.)
        [eml] = wait_for(
            lambda: [
                eml
                for eml in (mail_dir.glob("*.eml") if mail_dir.exists() else [])
                if "Reset your Tengja password" in eml.read_text()
            ]
        )
        assert "client@tengja.test" in eml.read_text()
        assert "Reset your Tengja password" in page("/dev/mail/")

        # The same process serves WebSocket (Channels): an unknown path is closed
        # with the consumers' "not found".
        from websockets.sync.client import connect

        from tengja.video.consumers import NOT_FOUND

        with connect(
            f"ws://127.0.0.1:{port}/ws/nowhere/", origin=f"http://127.0.0.1:{port}"
        ) as socket_:
            try:
                socket_.recv(timeout=10)
            except ConnectionClosed as closed:
                assert closed.rcvd.code == NOT_FOUND
            else:
                raise AssertionError("the socket stayed open")

        kids = children_of(serve.pid)
        assert len(kids) == 3  # the ASGI server, the task worker and the e-mail sweep
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=20)
        assert serve.returncode == 0, output
        assert "Tengja has stopped." in output
        wait_for(lambda: not any(alive(pid) for pid in kids), timeout=10)
        assert page("/") is None  # nothing listens any more
    finally:
        if serve.poll() is None:
            serve.kill()


def test_the_server_is_djangos_own_asgi_handler_and_channels():
    from channels.security.websocket import OriginValidator

    from tengja.asgi import application

    assert type(application.application_mapping["http"]) is ASGIHandler
    assert isinstance(application.application_mapping["websocket"], OriginValidator)


def test_no_module_of_tengja_touches_djangos_handler_internals():
    """Upgrading Django must be a version bump: no handler of our own."""
    sources = (ROOT / "tengja").rglob("*.py")
    assert [p for p in sources if "_handler_class" in p.read_text()] == []


def options_of(command: list[str], app: str) -> set[str]:
    line = " ".join("''" if arg == "" else arg for arg in command[command.index(app) + 1 :])
    return set(re.findall(r"--[a-z-]+(?: (?!--)[^\s\\]+)?", line))


def test_the_readmes_production_commands_have_every_option_the_servers_use():
    """Running at scale starts gunicorn and uvicorn by hand; they must not drift from
    what `serve` and the benchmarks run: each option is in tengja/lib/server.py for
    a reason."""
    from tengja.lib.server import gunicorn_command, uvicorn_command

    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Running at scale", 1)[1].split("```", 2)[1]
    for app, command in (
        ("tengja.wsgi:application", gunicorn_command(host="127.0.0.1", port=8000, workers=4)),
        ("tengja.asgi:application", uvicorn_command(host="127.0.0.1", port=8001, workers=2)),
    ):
        line = re.search(rf"{re.escape(app)}(.*?)\n(?!\s)", block, re.S).group(1)
        readme_options = set(re.findall(r"--[a-z-]+(?: (?!--)[^\s\\]+)?", line))
        assert options_of(command, app) == readme_options, app
    production = uvicorn_command(host="127.0.0.1", port=8001, workers=2)
    assert "--no-access-log" in production
    assert "--no-access-log" not in uvicorn_command(
        host="127.0.0.1", port=8000, workers=1, access_log=True
    )


@pytest.mark.django_db
def test_the_wsgi_application_serves_pages_with_every_middleware():
    """tengja.wsgi, what gunicorn serves at scale (tests/test_nginx.py runs it)."""
    from wsgiref.util import setup_testing_defaults

    from tengja.wsgi import application

    environ = {"PATH_INFO": "/accounts/terms/", "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    started = []
    body = b"".join(application(environ, lambda status, headers: started.append((status, headers))))
    [(status, headers)] = started
    names = {name.lower() for name, _ in headers}
    assert status.startswith("200") and b"Terms" in body
    assert {"content-security-policy", "x-content-type-options"} <= names
