"""Channels group messages from synchronous code (views, services), and the
group names more than one app needs."""

import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """Every open WebSocket of one user (tengja.video's consumer joins it)."""
    return f"user.{user_id}"


def session_key_digest(session_key: str | None) -> str | None:
    """Names a browser session in a channel message without carrying its key."""
    if not session_key:
        return None
    return hashlib.sha256(session_key.encode()).hexdigest()


def group_send_on_commit(group: str, message: dict) -> None:
    """Send `message` to a Channels group once the current transaction commits
    (at once outside one), so nothing is said of a write that rolled back. A
    channel layer that is away is logged, not raised: the write has happened,
    and the sockets it would have closed go when their connection does."""

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group, message)
        except Exception:
            logger.warning("could not send %s to %s", message.get("type"), group, exc_info=True)

    transaction.on_commit(send)
