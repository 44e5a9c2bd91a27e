"""A professional's private notes about a client (issue 30).

Read by their author alone: not the client, not HR, not Tengja's operators, not
the Django admin (the models are not registered there). Everything the
professional writes (a note's title and text, an addendum, a template's name and
text) is stored encrypted (tengja.notes.crypto): the `*_sealed` columns hold
Fernet tokens, never the text. SECURITY.md says what happens to notes when an
account is deleted.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking
from tengja.lib.codes import public_code
from tengja.notes.crypto import seal, unseal
from tengja.professionals.models import Professional


def sealed(column: str) -> property:
    """The text kept encrypted in `column`: read decrypted, written encrypted."""

    def read(row: models.Model) -> str:
        return unseal(getattr(row, column))

    def write(row: models.Model, value: str) -> None:
        setattr(row, column, seal(value))

    return property(read, write)


class NoteTemplate(models.Model):
    """A template the professional wrote for their notes (Tengja's own SOAP, DAP
    and BIRP are in tengja.notes.templates_shipped, not in the database)."""

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="note_templates"
    )
    name_sealed = models.TextField()
    body_sealed = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note template")
        verbose_name_plural = _("note templates")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.code

    name = sealed("name_sealed")

    body = sealed("body_sealed")


class Note(models.Model):
    """One note: about one session (`booking`), or about the client in general
    (no booking). A draft is saved as it is typed; once signed it is never
    changed, and what comes later is an addendum."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="notes")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes_about"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    title_sealed = models.TextField()
    body_sealed = models.TextField()
    # Which template it started from: "soap", "dap", "birp", a NoteTemplate's
    # code, or "" (a blank page). A name, not a link: the template may go.
    template = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["professional", "client", "created_at"]),
            models.Index(fields=["booking", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="draft", signed_at__isnull=True)
                | models.Q(state="signed", signed_at__isnull=False),
                name="note_signed_has_a_time",
            )
        ]

    def __str__(self) -> str:
        return self.code

    title = sealed("title_sealed")

    body = sealed("body_sealed")

    @property
    def is_signed(self) -> bool:
        return self.state == self.State.SIGNED


class NoteAddendum(models.Model):
    """What the author added to a signed note, with its time. Never changed."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="addenda")
    body_sealed = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.note_id} {self.created_at:%Y-%m-%d %H:%M}"

    body = sealed("body_sealed")
