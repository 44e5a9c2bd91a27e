"""Writes of notes, addenda and the professional's own templates.

A signed note is never changed: every write of a note locks its row and checks
its state inside the same transaction, so a save racing a signature cannot slip
in after it."""

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.notes.crypto import rotate
from tengja.notes.models import Note, NoteAddendum, NoteTemplate
from tengja.notes.templates_shipped import SHIPPED
from tengja.professionals.models import Professional

ROTATE_CHUNK = 500


class NoteError(Exception):
    """A write refused, with the reason to show."""


def note_start(
    *,
    professional: Professional,
    client: User,
    booking: Booking | None = None,
    template: str = "",
) -> Note:
    """A new draft, blank or from a template: one Tengja ships (written in the
    professional's language) or one of the professional's own. An unknown
    template is refused."""
    if booking is not None and (
        booking.professional_id != professional.pk or booking.client_id != client.pk
    ):
        raise NoteError(_("This session is not with this client."))
    body = ""
    if template in SHIPPED:
        with override(professional.user.language):
            body = SHIPPED[template][1]()
    elif template:
        own = NoteTemplate.objects.filter(professional=professional, code=template).first()
        if own is None:
            raise NoteError(_("Choose one of the templates offered."))
        body = own.body
    note = Note(professional=professional, client=client, booking=booking, template=template)
    note.title = ""
    note.body = body
    note.save()
    return note


def _locked(note: Note) -> Note:
    try:
        return Note.objects.select_for_update().get(pk=note.pk)
    except Note.DoesNotExist:  # a draft deleted in another tab meanwhile
        raise NoteError(_("This draft has been deleted.")) from None


def note_save(*, note: Note, title: str, body: str) -> Note:
    """The draft as typed (saved in the background, or with the Save button)."""
    with transaction.atomic():
        locked = _locked(note)
        if locked.is_signed:
            raise NoteError(_("This note is signed: it can no longer be changed. Add an addendum."))
        locked.title = title
        locked.body = body
        locked.updated_at = timezone.now()
        locked.save(update_fields=["title_sealed", "body_sealed", "updated_at"])
    return locked


def note_sign(*, note: Note, title: str, body: str) -> Note:
    """Save the text as it stands and lock it for good."""
    if not body.strip():
        raise NoteError(_("Write the note before you sign it."))
    with transaction.atomic():
        locked = _locked(note)
        if locked.is_signed:
            raise NoteError(_("This note is signed: it can no longer be changed. Add an addendum."))
        now = timezone.now()
        locked.title = title
        locked.body = body
        locked.state = Note.State.SIGNED
        locked.signed_at = locked.updated_at = now
        locked.save()
    return locked


def note_delete(*, note: Note) -> None:
    """Throw a draft away. A signed note is the professional's record and is
    never deleted (refused, nothing changed), also when it is signed while the
    deletion waits: the row is locked and its state read in the same transaction."""
    with transaction.atomic():
        locked = _locked(note)
        if locked.is_signed:
            raise NoteError(
                _("This note is signed: it cannot be deleted. Add an addendum to correct it.")
            )
        locked.delete()


def addendum_add(*, note: Note, body: str) -> NoteAddendum:
    """A later change to a signed note, kept beside it with its time."""
    if not body.strip():
        raise NoteError(_("Write the addendum first."))
    with transaction.atomic():
        if not _locked(note).is_signed:
            raise NoteError(_("A draft is changed directly: addenda are for signed notes."))
        addendum = NoteAddendum(note=note)
        addendum.body = body
        addendum.save()
    return addendum


def note_template_save(
    *, professional: Professional, name: str, body: str, template: NoteTemplate | None = None
) -> NoteTemplate:
    """A new template of the professional's own, or `template` changed. Notes
    already started from it keep their text."""
    if template is None:
        template = NoteTemplate(professional=professional)
    template.name = name
    template.body = body
    template.updated_at = timezone.now()
    template.save()
    return template


def note_template_delete(*, template: NoteTemplate) -> None:
    template.delete()


def notes_rotate() -> int:
    """Encrypt every note, addendum and template again with the first of NOTES_KEYS
    (after a new key is put first). Returns how many rows were rewritten. Each
    chunk is its own transaction: a rotation stopped half-way is run again, and
    the rows already done still read (the old key stays until it is over)."""
    done = 0
    tables: list[tuple[type[models.Model], list[str]]] = [
        (Note, ["title_sealed", "body_sealed"]),
        (NoteAddendum, ["body_sealed"]),
        (NoteTemplate, ["name_sealed", "body_sealed"]),
    ]
    for model, fields in tables:
        manager = model._default_manager
        last = 0
        while True:
            with transaction.atomic():
                rows = list(
                    manager.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")
                    .only("pk", *fields)[:ROTATE_CHUNK]
                )
                if not rows:
                    break
                for row in rows:
                    for field in fields:
                        setattr(row, field, rotate(getattr(row, field)))
                manager.bulk_update(rows, fields)
            done += len(rows)
            last = rows[-1].pk
    return done
