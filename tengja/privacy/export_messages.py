"""The part of "Download my data" that comes from secure messages (issue 30):
every message of every conversation the person is in, either side's, and the
files still attached (a removed message says "removed" and has none)."""

import shutil
import zipfile
from collections.abc import Iterator

from django.db.models import Q

from tengja.accounts.models import User
from tengja.messaging.files import storage
from tengja.messaging.models import Message

CHUNK = 500
FILES_FOLDER = "message_files"


def messages_of(user: User, files: list[tuple[str, str]]) -> Iterator[dict]:
    """One row per message, oldest first by conversation (one query); each file's
    (path in the archive, stored name) is appended to `files` for files_copy."""
    rows = (
        Message.objects.filter(
            Q(conversation__client=user) | Q(conversation__professional__user=user)
        )
        .select_related("conversation__professional__user", "conversation__client")
        .order_by("conversation_id", "created_at", "pk")
    )
    for message in rows.iterator(CHUNK):
        conversation = message.conversation
        mine_as_client = conversation.client_id == user.pk
        side = "client" if mine_as_client else "professional"
        other = conversation.professional.user if mine_as_client else conversation.client
        in_archive = ""
        if message.file and not message.is_removed:
            in_archive = f"{FILES_FOLDER}/{message.code}-{message.file_name}"
            files.append((in_archive, message.file.name))
        yield {
            "conversation": conversation.code,
            "with": other.display_name,
            "your_side": side,
            "sent_at": message.created_at,
            "from": "you" if message.sender_role == side else "them",
            "text": "removed" if message.is_removed else message.body,
            "removed_at": message.removed_at,
            "file": message.file_name or None,
            "file_in_archive": in_archive or None,
            "conversation_closed_at": conversation.closed_at,
        }


def files_copy(archive: zipfile.ZipFile, files: list[tuple[str, str]]) -> None:
    for in_archive, stored in files:
        try:
            with storage().open(stored, "rb") as source, archive.open(in_archive, "w") as copy:
                shutil.copyfileobj(source, copy)
        except FileNotFoundError:
            continue  # removed meanwhile: messages.json already says what it was
