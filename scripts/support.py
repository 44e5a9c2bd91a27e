"""What the benchmark scripts share: a free port, and Tengja's ASGI server
started as users get it (uvicorn, the production settings given in `env`)."""

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
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SITE_URL": "https://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        **({"REDIS_URL": redis_url} if redis_url else {}),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(env: dict, port: int, *, workers: int = 1) -> Iterator[str]:
    """Run `uvicorn tengja.asgi:application` until the block ends; yields its URL."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tengja.asgi:application",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
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
        server.wait(timeout=10)
