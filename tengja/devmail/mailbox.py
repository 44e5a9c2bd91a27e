"""Reading the .eml files the development backend (tengja.lib.mail) writes."""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings

NAME_PATTERN = re.compile(r"[0-9T]+-[0-9a-f]{8}\.eml")


@dataclass(frozen=True)
class Mail:
    name: str
    subject: str
    to: str
    sent_at: datetime | None
    text: str
    html: str


def mailbox_enabled() -> bool:
    return settings.DEBUG and settings.EMAIL_BACKEND == "tengja.lib.mail.EmlFileBackend"


def mailbox_allowed(remote_addr: str) -> bool:
    """Reset links are in these e-mails: only the machine itself may read them."""
    return mailbox_enabled() and remote_addr in ("127.0.0.1", "::1")


def _parse(path: Path) -> Mail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    date = message["Date"]
    return Mail(
        name=path.name,
        subject=str(message["Subject"] or ""),
        to=str(message["To"] or ""),
        sent_at=parsedate_to_datetime(date) if date else None,
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
    )


def mailbox_list(*, limit: int = 100) -> list[Mail]:
    directory = Path(settings.EMAIL_FILE_PATH)
    if not directory.is_dir():
        return []
    names = sorted(
        (p.name for p in directory.iterdir() if NAME_PATTERN.fullmatch(p.name)), reverse=True
    )
    return [_parse(directory / name) for name in names[:limit]]


def mailbox_get(name: str) -> Mail | None:
    if not NAME_PATTERN.fullmatch(name):
        return None
    path = Path(settings.EMAIL_FILE_PATH) / name
    return _parse(path) if path.is_file() else None
