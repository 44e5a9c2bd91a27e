"""Conversations and messages for the tests of the live count and the unread
e-mail, made through the services the pages use (tengja.messaging.services)."""

from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.bookings.selectors import has_sessions
from tengja.messaging.models import Conversation, Message
from tengja.messaging.services import conversation_read, conversation_start, message_send
from tengja.professionals.models import Professional
from tests.factories import BookingFactory
from tests.messaging.conftest import pdf_bytes

Role = Booking.Role


def conversation_of(*, professional: Professional, client: User) -> Conversation:
    """The pair's conversation, with a session between them to allow it (each
    two hours after the professional's last one: never overlapping)."""
    if not has_sessions(professional=professional, client=client):
        later = Booking.objects.filter(professional=professional).count()
        BookingFactory(
            client=client,
            session_type__professional=professional,
            starts_at=timezone.now() + timedelta(days=30, hours=2 * later),
        )
    return conversation_start(client=client, professional=professional)


def say(
    conversation: Conversation,
    role: str,
    body: str = "Hello",
    *,
    at: datetime | None = None,
    file_name: str = "",
) -> Message:
    """A message from `role`'s side at `at` (a PDF named `file_name`, if given),
    sent as the conversation page sends it."""
    sender = conversation.client if role == Role.CLIENT else conversation.professional.user
    file = (
        SimpleUploadedFile(file_name, pdf_bytes(), content_type="application/pdf")
        if file_name
        else None
    )
    message = message_send(conversation=conversation, sender=sender, body=body, file=file, now=at)
    conversation.refresh_from_db()
    return message


def read(conversation: Conversation, role: str, *, at: datetime | None = None) -> None:
    """`role`'s side opens the conversation (as its page's GET does: the mark goes
    up to the newest message it showed, whenever that is; `at` only says when
    in the test's story)."""
    reader = conversation.client if role == Role.CLIENT else conversation.professional.user
    conversation.refresh_from_db()
    conversation_read(conversation=conversation, user=reader)
