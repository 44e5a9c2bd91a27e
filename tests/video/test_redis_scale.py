"""Two server processes sharing Redis: participants on different processes meet."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import BookingFactory

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


def wait_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
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


def test_participants_on_different_processes_find_each_other(tmp_path, settings):
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{database['NAME']}"
    else:
        database_url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: database[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        )
    booking = BookingFactory(starts_at=timezone.now() + timedelta(minutes=5))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tengja.asgi:application",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, servers, strict=True):
            wait_listening(port, process)
        client_cookie = session_cookie(booking.client, env)
        pro_cookie = session_cookie(booking.professional.user, env)
        asyncio.run(meet(ports, booking.code, client_cookie, pro_cookie))
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=10)


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
