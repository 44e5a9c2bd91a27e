"""A draft can be thrown away by its author, after a page that asks first; a
signed note never; anyone else gets 404 (tests/notes/test_views.py walks them)."""

import pytest
from django.urls import reverse

from tengja.notes.models import Note, NoteAddendum
from tengja.notes.services import NoteError, note_delete, note_sign
from tests.notes.conftest import SECRET_BODY

pytestmark = pytest.mark.django_db


def test_the_author_deletes_a_draft_after_confirming(client, draft, alice):
    client.force_login(draft.professional.user)
    url = reverse("notes:note_delete", args=[draft.code])
    page = client.get(reverse("notes:note", args=[draft.code])).content.decode()
    assert f'href="{url}"' in page and "Delete draft" in page
    # Asked first: the GET changes nothing.
    confirm = client.get(url)
    assert confirm.status_code == 200 and Note.objects.filter(pk=draft.pk).exists()
    body = confirm.content.decode()
    assert "Delete this draft?" in body and f'action="{url}"' in body
    assert reverse("notes:note", args=[draft.code]) in body  # "Keep the draft"
    done = client.post(url, follow=True)
    assert done.redirect_chain[0][0] == (
        reverse("dashboard:practice_client", args=[alice.code]) + "#notes-heading"
    )
    assert "Draft deleted." in done.content.decode()
    assert not Note.objects.filter(pk=draft.pk).exists()
    assert client.get(reverse("notes:note", args=[draft.code])).status_code == 404
    assert client.post(url).status_code == 404


def test_a_signed_note_is_never_deleted(client, signed):
    client.force_login(signed.professional.user)
    url = reverse("notes:note_delete", args=[signed.code])
    page = client.get(reverse("notes:note", args=[signed.code])).content.decode()
    assert url not in page and "Delete draft" not in page
    for method in ("get", "post"):
        refused = getattr(client, method)(url, follow=True)
        assert refused.redirect_chain[-1][0] == reverse("notes:note", args=[signed.code])
        assert "This note is signed: it cannot be deleted." in refused.content.decode()
    kept = Note.objects.get(pk=signed.pk)
    assert kept.is_signed and kept.body == SECRET_BODY
    assert NoteAddendum.objects.filter(note=kept).count() == 1


def test_a_draft_signed_meanwhile_is_not_deleted(draft):
    """The page was opened on a draft; it was signed in another tab before the
    deletion came: refused, the signed note stays."""
    stale = Note.objects.get(pk=draft.pk)
    note_sign(note=draft, title="", body="Texti")
    with pytest.raises(NoteError):
        note_delete(note=stale)
    assert Note.objects.get(pk=draft.pk).is_signed


def test_deleting_a_draft_leaves_the_other_notes(client, draft, signed):
    client.force_login(draft.professional.user)
    client.post(reverse("notes:note_delete", args=[draft.code]))
    assert list(Note.objects.values_list("pk", flat=True)) == [signed.pk]


def test_the_confirm_page_in_icelandic(client, draft):
    user = draft.professional.user
    user.language = "is"
    user.save()
    client.force_login(user)
    page = client.get(reverse("notes:note_delete", args=[draft.code])).content.decode()
    assert "Eyða þessum drögum?" in page


def test_saving_a_draft_deleted_in_another_tab_says_so(client, draft):
    client.force_login(draft.professional.user)
    stale = Note.objects.get(pk=draft.pk)
    Note.objects.filter(pk=draft.pk).delete()
    with pytest.raises(NoteError, match="This draft has been deleted"):
        note_sign(note=stale, title="", body="Texti")


def test_the_confirm_page_costs_the_same_with_thousands_of_notes(
    client, draft, alice, django_assert_max_num_queries
):
    client.force_login(draft.professional.user)
    url = reverse("notes:note_delete", args=[draft.code])
    with django_assert_max_num_queries(100) as few:
        assert client.get(url).status_code == 200
    Note.objects.bulk_create(
        Note(
            professional=draft.professional,
            client=alice,
            title_sealed=draft.title_sealed,
            body_sealed=draft.body_sealed,
        )
        for _ in range(2000)
    )
    # Session, user, the header, the note with its client and session.
    with django_assert_max_num_queries(4) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
