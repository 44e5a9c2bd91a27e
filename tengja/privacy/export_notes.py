"""A professional's session notes in their "Download my data", decrypted (issue 30).

Only the author's: a note is the professional's record of a client, so it is not
in the client's archive (SECURITY.md says why)."""

from collections.abc import Iterator

from tengja.accounts.models import User
from tengja.notes.models import Note, NoteAddendum, NoteTemplate

CHUNK = 500


def notes_of(user: User) -> Iterator[dict]:
    """Each note with its addenda. The addenda are read in one pass beside the
    notes (both ordered by note), so the queries do not grow with the notes."""
    notes = (
        Note.objects.filter(professional__user=user)
        .select_related("client", "booking")
        .order_by("pk")
    )
    addenda = iter(
        NoteAddendum.objects.filter(note__professional__user=user)
        .order_by("note_id", "created_at", "pk")
        .iterator(CHUNK)
    )
    pending = next(addenda, None)
    for note in notes.iterator(CHUNK):
        mine = []
        while pending is not None and pending.note_id <= note.pk:
            if pending.note_id == note.pk:
                mine.append({"written_at": pending.created_at, "text": pending.body})
            pending = next(addenda, None)
        yield {
            "client": note.client.name or note.client.display_name,
            "session": note.booking.code if note.booking else None,
            "session_starts_at": note.booking.starts_at if note.booking else None,
            "title": note.title,
            "text": note.body,
            "state": note.state,
            "template": note.template,
            "created_at": note.created_at,
            "updated_at": note.updated_at,
            "signed_at": note.signed_at,
            "addenda": mine,
        }


def note_templates_of(user: User) -> Iterator[dict]:
    rows = NoteTemplate.objects.filter(professional__user=user).order_by("pk")
    for template in rows.iterator(CHUNK):
        yield {"name": template.name, "text": template.body, "updated_at": template.updated_at}
