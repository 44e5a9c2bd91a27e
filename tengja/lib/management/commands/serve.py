"""Run the embedded default: one ASGI server (HTTP and WebSocket), one task worker
and the periodic jobs (see the `periodic` command).

All stop together on Ctrl-C or SIGTERM, when any of them dies, or when the
parent (make) goes away.
"""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from tengja.lib.server import uvicorn_command


class Command(BaseCommand):
    help = "Start the ASGI server, a task worker and the periodic jobs; stop all on Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workers", type=int, default=1, help="ASGI server processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = settings.HOST, settings.PORT
        server_cmd = uvicorn_command(
            host=host, port=port, workers=options["workers"], access_log=settings.DEBUG
        )
        manage = str(settings.BASE_DIR / "manage.py")
        worker_cmd = [sys.executable, manage, "db_worker", "--no-reload", "--queue-name", "*"]
        # Lost e-mails and refunds, credit periods (see the `periodic` command).
        sweep_cmd = [sys.executable, manage, "periodic", "--every", "60"]
        children = [
            subprocess.Popen(command, cwd=settings.BASE_DIR)
            for command in (server_cmd, worker_cmd, sweep_cmd)
        ]
        parent = os.getppid()
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"\nTengja is running at http://{host}:{port}/  (Ctrl-C stops it)")
        if settings.DEBUG:
            self.stdout.write(f"E-mails it sends: http://{host}:{port}/dev/mail/\n")

        while not stopping:
            if any(child.poll() is not None for child in children) or os.getppid() != parent:
                break
            time.sleep(0.3)

        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Tengja has stopped.")
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed and not stopping:
            sys.exit(1)
