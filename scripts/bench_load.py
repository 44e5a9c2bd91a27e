#!/usr/bin/env python
"""Load: 200 concurrent signed-in clients for 60 s against the production-like
set-up (PostgreSQL, Redis, 2 ASGI worker processes), driven by wrk.
Prints throughput, p50/p95/p99 latency and the error count (which must be 0).

    .venv/bin/python scripts/bench_load.py [--duration 60] [--clients 200]
        [--database-url postgres://postgres@127.0.0.1:5432/tengja_load]
        [--redis-url redis://127.0.0.1:6379/5]

Needs wrk (Debian: apt-get install wrk). The database is a scratch one: it is
created if missing and filled with test data.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = r"""
local cookies = {COOKIES}
local paths = {PATHS}
local counter = 0
request = function()
  counter = counter + 1
  local cookie = cookies[(counter % #cookies) + 1]
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, {["Cookie"] = "sessionid=" .. cookie})
end
local non_ok = 0
response = function(status, headers, body)
  if status ~= 200 then non_ok = non_ok + 1 end
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50": %d, "p95": %d, "p99": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
"""


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tengja_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    ensure_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="tengja-load-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
        "DEBUG": "false",
        # Production settings, with the offline card provider (nothing here reaches Stripe).
        "PAYMENT_PROVIDER": "local",
        "DEMO_FAKE_PAYMENTS": "true",
        "SECRET_KEY": "load-" * 12,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from tengja.accounts.models import User
    from tengja.bookings.models import Booking
    from tengja.professionals.models import Professional, SessionType

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    User.objects.filter(
        email__endswith="@load.test"
    ).delete() if not Booking.objects.exists() else None
    pro_user, _ = User.objects.get_or_create(email="pro@load.test", defaults={"name": "Load Pro"})
    pro, _ = Professional.objects.get_or_create(user=pro_user, defaults={"title": "Psychologist"})
    kind, _ = SessionType.objects.get_or_create(
        professional=pro,
        name="Session",
        defaults={"duration_minutes": 50, "price_amount": 1, "currency": "ISK"},
    )
    cookies = []
    now = timezone.now()
    for n in range(args.clients):
        user, created = User.objects.get_or_create(
            email=f"c{n}@load.test", defaults={"name": f"Client {n}"}
        )
        if created:
            start = now + timedelta(days=1, hours=n)
            Booking.objects.create(
                professional=pro,
                client=user,
                session_type=kind,
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                price_amount=1,
                currency="ISK",
            )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    paths = ["/", "/calendar/", "/payments/", "/notifications/"]
    script = workdir / "load.lua"
    script.write_text(
        LUA.replace("{COOKIES}", "{" + ",".join(f'"{c}"' for c in cookies) + "}").replace(
            "{PATHS}", "{" + ",".join(f'"{p}"' for p in paths) + "}"
        )
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tengja.asgi:application",
            "--port",
            str(port),
            "--workers",
            "2",
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        time.sleep(2)
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.clients}",
                f"-d{args.duration}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
        errors = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
        print(
            f"{args.clients} signed-in clients, {args.duration} s, 2 ASGI workers, PostgreSQL + Redis"
        )
        print(
            f"throughput: {result['requests'] / result['seconds']:.0f} requests/s ({result['requests']} requests)"
        )
        print(
            f"latency: p50 {result['p50'] / 1000:.0f} ms, p95 {result['p95'] / 1000:.0f} ms, "
            f"p99 {result['p99'] / 1000:.0f} ms"
        )
        print(
            f"errors: {errors} (connect {result['connect']}, read {result['read']}, write {result['write']}, "
            f"non-2xx {result['status']}, timeout {result['timeout']})"
        )
        if errors:
            sys.exit("FAILED: there were errors")
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
