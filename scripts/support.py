"""What the benchmark scripts share: a free port, and Tengja's ASGI server
started as `manage.py serve` starts it (uvicorn, Django's ASGI handler, the
production settings given in `env`). bench_load.py serves as "Running at scale"
does instead: nginx in front of gunicorn and uvicorn."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tengja.lib import chromium  # noqa: E402  (Chromium's path and flags, shared with the tests)
from tengja.lib.server import uvicorn_command  # noqa: E402  (as `manage.py serve` starts it)

__all__ = ["ROOT", "asgi_server", "chromium", "free_port", "production_env"]


def production_env(workdir: Path, database_url: str | None, redis_url: str | None = None) -> dict:
    """The settings a production install runs with (DEBUG off), on a scratch
    database (a SQLite file in `workdir` by default), with the offline card
    provider: nothing a benchmark does reaches Stripe."""
    return {
        "DJANGO_SETTINGS_MODULE": "tengja.settings",
        "DEBUG": "false",
        "PAYMENT_PROVIDER": "local",
        "DEMO_FAKE_PAYMENTS": "true",
        "SECRET_KEY": "bench-" * 10,
        "NOTES_KEYS": "x6lVNMBOOYr6aGMvhZFMdOOtHXDq2WCRZP2cSBF3z2U=",  # a scratch key
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SITE_URL": "https://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        **({"REDIS_URL": redis_url} if redis_url else {}),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(
    env: dict, port: int, *, workers: int = 1, log: Path | None = None
) -> Iterator[str]:
    """Run Tengja's ASGI server, as `manage.py serve` starts it, until the block ends;
    yields its URL. Its output goes to `log` when one is given; without one, its
    messages go to stderr. (Production settings: no access log.)"""
    output = log.open("ab") if log else None
    server = subprocess.Popen(
        uvicorn_command(host="127.0.0.1", port=port, workers=workers),
        cwd=ROOT,
        env=env,
        stdout=output or subprocess.DEVNULL,
        stderr=output,
        start_new_session=True,  # its own process group, so its workers can be stopped too
    )
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # Requests still queued after a load test: stop the workers with it.
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if output:
            output.close()
