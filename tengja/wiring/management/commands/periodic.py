"""The jobs that run on a clock rather than on a request: with --every, keep at it.

Each finds work that is due and hands it to the task queue (or does it, when it
is small); each is safe to run twice, and on several machines at once.
"""

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from tengja.billing import services as billing
from tengja.bookings import page as booking_page
from tengja.bookings import requests as booking_requests
from tengja.hubs import services as hubs
from tengja.intake import details
from tengja.messaging import notify as messaging
from tengja.notifications import services as notifications
from tengja.privacy import services as privacy

logger = logging.getLogger(__name__)

JOBS = (
    # E-mails whose task was lost (a worker killed mid-task, a failed enqueue).
    notifications.deliveries_sweep,
    # Refunds whose task was lost, or whose worker died while asking the provider.
    billing.refunds_sweep,
    # Hub credits: what is left at the end of a period expires, the new period's arrive.
    hubs.credits_renew_due,
    # Session requests nobody answered in time: expired, their clients told.
    booking_requests.requests_expire_due,
    # Data export files whose own removal task was lost.
    privacy.data_exports_sweep,
    # Booking page sign-ups whose link expired unused: their password hashes go.
    booking_page.page_signups_sweep,
    # Clients reminded of the details their professional requires before a session.
    details.details_remind_due,
    # The e-mail that a message waits unread (after MESSAGE_EMAIL_AFTER_SECONDS,
    # once per unread stretch): due within one --every of the ten minutes.
    messaging.messages_email_due,
)


class Command(BaseCommand):
    help = "Run the periodic jobs (lost e-mails and refunds, credit periods) once or --every N s."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, help="Repeat every N seconds until stopped.")

    def handle(self, *args: Any, every: float | None = None, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        jobs = [(f"{job.__module__}.{job.__qualname__}", job) for job in JOBS]
        while True:
            for path, job in jobs:
                try:
                    count = job()
                except Exception:
                    # One job failing (the database away a moment) must not stop the others.
                    logger.exception("periodic job %s failed", path)
                    continue
                if count:
                    self.stdout.write(f"{path.rsplit('.', 1)[1]}: {count}")
            if every is None:
                return
            deadline = time.monotonic() + every
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
            if stopping:
                return
