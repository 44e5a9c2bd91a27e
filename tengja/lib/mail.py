"""A development e-mail backend: one .eml file per message under EMAIL_FILE_PATH.

Django's own file backend appends several messages to one log file; one standard
.eml per message is what the development mail page (and any mail client) reads.
"""

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            # The timestamp first, so that names sort by the time of sending.
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            partial = self.directory / f".{name}.tmp"
            partial.write_bytes(message.message().as_bytes(linesep="\n"))
            partial.rename(self.directory / name)  # readers never see half a file
            sent += 1
        return sent
