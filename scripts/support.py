"""What the benchmark scripts share: a free port, and Tengja's ASGI server
started as users get it (uvicorn, the production settings given in `env`)."""

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

__all__ = ["ROOT", "asgi_server", "chromium", "free_port"]


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
    messages go to stderr and its access log nowhere."""
    output = log.open("ab") if log else None
    server = subprocess.Popen(
        uvicorn_command(host="127.0.0.1", port=port, workers=workers),
        cwd=ROOT,
        env=env,
        stdout=output or subprocess.DEVNULL,  # uvicorn writes its access log there
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
