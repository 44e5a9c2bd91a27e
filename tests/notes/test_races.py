"""Two requests at once (PostgreSQL): a save racing a signature, or two
signatures, leave one signed note whose text is the signed text, never changed."""

import pytest

from tengja.notes.models import Note
from tengja.notes.services import NoteError, note_save, note_sign
from tests.conftest import race, requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_a_save_racing_signatures_never_changes_a_signed_note(draft):
    results = race(
        [
            lambda: note_sign(note=draft, title="A", body="Undirritað A"),
            lambda: note_sign(note=draft, title="B", body="Undirritað B"),
            lambda: note_save(note=draft, title="C", body="Vistað eftir á"),
        ],
        expected=NoteError,
    )
    signed = [r for r in results if isinstance(r, Note) and r.is_signed]
    assert len(signed) == 1
    stored = Note.objects.get(pk=draft.pk)
    assert stored.is_signed and stored.body == signed[0].body


def test_a_deletion_racing_a_signature_and_a_save_leaves_a_signed_note_or_nothing(draft):
    from tengja.notes.services import note_delete

    results = race(
        [
            lambda: note_delete(note=draft),
            lambda: note_sign(note=draft, title="A", body="Undirritað A"),
            lambda: note_save(note=draft, title="C", body="Vistað eftir á"),
        ],
        expected=NoteError,
    )
    stored = Note.objects.filter(pk=draft.pk).first()
    if stored is None:  # deleted first: the signature and the save were refused
        assert not any(isinstance(r, Note) and r.is_signed for r in results)
    else:  # signed first: the deletion was refused, the signed text stays
        assert stored.is_signed and stored.body == "Undirritað A"
        assert any(isinstance(r, NoteError) for r in results)
