"""Find e-mails whose task was lost and enqueue them again; with --every, keep at it."""

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from tengja.notifications.services import deliveries_sweep


class Command(BaseCommand):
    help = "Enqueue overdue e-mails again (their tasks may have been lost)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, help="Repeat every N seconds until stopped.")

    def handle(self, *args: Any, every: float | None = None, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            count = deliveries_sweep()
            if count:
                self.stdout.write(f"enqueued {count} overdue e-mails")
            if every is None:
                return
            deadline = time.monotonic() + every
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
            if stopping:
                return
