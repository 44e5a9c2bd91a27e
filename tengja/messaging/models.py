"""Secure messages (issue 30): one conversation per client and professional pair.

Messages are kept as written: never edited; a sender's removal keeps the row
and blanks its text and file ("message removed"). Files live under
MESSAGE_FILES_ROOT, outside MEDIA_ROOT, and are served only through a view that
checks the viewer is one of the two. SECURITY.md says what a deleted account
does to a conversation.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking
from tengja.lib.codes import public_code
from tengja.professionals.models import Professional

Role = Booking.Role


class FilesStorage(LazyObject):
    """The message files' own storage: a folder never served as media (read
    when first used, so tests may point MESSAGE_FILES_ROOT elsewhere)."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.MESSAGE_FILES_ROOT, base_url=None)


files_storage = FilesStorage()


def _files_storage() -> FileSystemStorage:
    return files_storage  # type: ignore[return-value]


class Conversation(models.Model):
    """The one conversation between a professional and a client. Each side's
    read mark and last unread e-mail are kept here, so "unread" is one
    comparison: the last message is the other side's and came after my mark."""

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="conversations"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The newest message: when, and whose (Booking.Role), for lists and unread counts.
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_sender_role = models.CharField(max_length=12, choices=Role, blank=True)
    # Each side's read mark: everything up to it has been seen.
    client_read_at = models.DateTimeField(null=True, blank=True)
    professional_read_at = models.DateTimeField(null=True, blank=True)
    # The last "you have a message" e-mail to each side (one per unread stretch).
    client_emailed_at = models.DateTimeField(null=True, blank=True)
    professional_emailed_at = models.DateTimeField(null=True, blank=True)
    # Closed by the professional (e.g. when therapy ends): no new messages
    # either way; the client is shown `closed_note`, how to reach them otherwise.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_note = models.TextField(_("how to reach you instead"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "client"], name="conversation_one_per_pair"
            )
        ]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="conversation_client_newest"),
            models.Index(
                fields=["professional", "-last_message_at"], name="conversation_pro_newest"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Message(models.Model):
    """One message, as written. `removed_at` set: its text and file are gone and
    both see "message removed" in its place."""

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Null once the sender's account is deleted; the role still says which side.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages_sent",
    )
    sender_role = models.CharField(max_length=12, choices=Role)
    body = models.TextField(blank=True)
    # A PDF or an image, validated (and an image re-encoded) before it is kept.
    file = models.FileField(storage=_files_storage, upload_to="%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # as the sender named it
    file_type = models.CharField(max_length=40, blank=True)  # the content type served
    file_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return self.code

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class MessagePreferences(models.Model):
    """Whether a person wants the e-mail that says a message waits unread
    (shown with their other e-mail settings). No row: they do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_preferences"
    )
    email_unread = models.BooleanField(_("E-mail me when a message waits unread"), default=True)

    class Meta:
        verbose_name_plural = "message preferences"

    def __str__(self) -> str:
        return f"message preferences of {self.user_id}"
