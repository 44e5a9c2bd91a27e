"""The professional's notes through their pages: who may reach them (the author
alone), writing from a template, saving as typed, signing, addenda, templates."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.urls import reverse

from tengja.notes.models import Note, NoteAddendum, NoteTemplate
from tengja.notes.services import note_template_save
from tests.notes.conftest import SECRET_ADDENDUM, SECRET_BODY, SECRET_TITLE

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def urls(note: Note, template: NoteTemplate) -> list[tuple[str, str]]:
    """Every URL of notes, with the method it answers to."""
    booking = note.booking
    assert booking is not None
    return [
        ("get", reverse("notes:note", args=[note.code])),
        ("post", reverse("notes:note_save", args=[note.code])),
        ("post", reverse("notes:note_sign", args=[note.code])),
        ("post", reverse("notes:addendum_add", args=[note.code])),
        ("get", reverse("notes:note_delete", args=[note.code])),
        ("post", reverse("notes:note_delete", args=[note.code])),
        ("post", reverse("notes:new_for_session", args=[booking.code])),
        ("post", reverse("notes:new_for_client", args=[note.client.code])),
        ("get", reverse("notes:template_edit", args=[template.code])),
        ("post", reverse("notes:template_edit", args=[template.code])),
        ("post", reverse("notes:template_delete", args=[template.code])),
    ]


@pytest.mark.parametrize("who", ["client", "other_professional", "hr", "operator", "bob"])
def test_nobody_but_the_author_reaches_a_note_or_a_template(
    client, request, who, signed, draft, professional
):
    template = note_template_save(professional=professional, name="Mitt", body="Texti")
    person = request.getfixturevalue("alice" if who == "client" else who)
    client.force_login(getattr(person, "user", person))
    for note in (signed, draft):
        for method, url in urls(note, template):
            data = {"title": "x", "body": "overwritten", "template": ""}
            response = getattr(client, method)(url, data)
            assert response.status_code == 404, (who, method, url)
            assert SECRET_BODY.encode() not in response.content
    # Nothing was changed or added by any of them.
    assert Note.objects.count() == 2 and NoteAddendum.objects.count() == 1
    assert Note.objects.get(pk=signed.pk).body == SECRET_BODY
    assert NoteTemplate.objects.get(pk=template.pk).body == "Texti"


def test_a_visitor_is_sent_to_sign_in(client, signed, professional):
    template = note_template_save(professional=professional, name="Mitt", body="Texti")
    for method, url in urls(signed, template):
        response = getattr(client, method)(url, {"body": "x"})
        assert response.status_code == 302 and "/accounts/" in response["Location"], url
    assert Note.objects.count() == 1


def test_the_session_page_shows_notes_to_its_professional_only(client, signed, alice, hr):
    url = reverse("bookings:detail", args=[signed.booking.code])
    client.force_login(signed.professional.user)
    page = client.get(url).content.decode()
    assert SECRET_TITLE in page and "Your private notes" in page
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert SECRET_TITLE not in page and "private notes" not in page


def test_the_django_admin_does_not_show_notes():
    for model in (Note, NoteAddendum, NoteTemplate):
        assert not admin.site.is_registered(model)


def test_a_note_from_soap_is_written_saved_as_typed_signed_and_added_to(client, past):
    pro = past.professional
    client.force_login(pro.user)
    response = client.post(reverse("notes:new_for_session", args=[past.code]), {"template": "soap"})
    note = Note.objects.get()
    assert response["Location"] == reverse("notes:note", args=[note.code])
    assert note.booking == past and note.template == "soap" and note.state == "draft"
    page = client.get(response["Location"]).content.decode()
    assert "Subjective" in page and "Plan" in page

    # Saved as typed (the script), as JSON.
    save = reverse("notes:note_save", args=[note.code])
    answer = client.post(save, {"title": "Fyrsti", "body": "S: sefur illa"}, **FETCH)
    assert answer.status_code == 200 and answer.json()["saved"] is True
    assert Note.objects.get().body == "S: sefur illa"
    # The button, with no script: back to the page.
    answer = client.post(save, {"title": "Fyrsti", "body": "S: sefur betur"})
    assert answer.status_code == 302 and Note.objects.get().body == "S: sefur betur"

    # Signed with the text as it stands, then locked.
    sign = reverse("notes:note_sign", args=[note.code])
    assert client.post(sign, {"title": "Fyrsti", "body": "S: lokatexti"}).status_code == 302
    note.refresh_from_db()
    assert note.is_signed and note.signed_at and note.body == "S: lokatexti"
    refused = client.post(save, {"title": "", "body": "breytt"}, **FETCH)
    assert refused.status_code == 409 and "addendum" in refused.json()["error"]
    assert client.post(sign, {"body": "breytt"}).status_code == 400
    assert Note.objects.get().body == "S: lokatexti"

    add = reverse("notes:addendum_add", args=[note.code])
    assert client.post(add, {"body": SECRET_ADDENDUM}).status_code == 302
    assert [a.body for a in note.addenda.all()] == [SECRET_ADDENDUM]
    assert client.post(add, {"body": "  "}).status_code == 400
    assert note.addenda.count() == 1


def test_the_template_is_written_in_the_professionals_language(client, past):
    past.professional.user.language = "is"
    past.professional.user.save()
    client.force_login(past.professional.user)
    client.post(reverse("notes:new_for_session", args=[past.code]), {"template": "birp"})
    body = Note.objects.get().body
    assert "Hegðun" in body and "Inngrip" in body and "Behaviour" not in body


def test_bad_input_changes_nothing(client, draft, past, other_professional):
    client.force_login(draft.professional.user)
    before = Note.objects.get().body
    save = reverse("notes:note_save", args=[draft.code])
    too_long = client.post(save, {"title": "x" * 201, "body": "y"}, **FETCH)
    assert too_long.status_code == 400 and "error" in too_long.json()
    assert client.post(save, {"title": "", "body": "z" * 50_001}).status_code == 400
    # Signing an empty note is refused, with the reason.
    refused = client.post(reverse("notes:note_sign", args=[draft.code]), {"body": "  "})
    assert refused.status_code == 400 and b"Write the note before you sign it" in refused.content
    # An addendum to a draft is refused.
    add = client.post(reverse("notes:addendum_add", args=[draft.code]), {"body": "x"})
    assert add.status_code == 400
    # A template that is not offered (another professional's) starts nothing.
    theirs = note_template_save(professional=other_professional, name="Þeirra", body="T")
    response = client.post(
        reverse("notes:new_for_session", args=[past.code]), {"template": theirs.code}
    )
    assert response.status_code == 302 and Note.objects.count() == 1
    note = Note.objects.get()
    assert note.body == before and not note.is_signed and not note.addenda.exists()


def test_a_general_note_from_the_client_page(client, past, alice):
    client.force_login(past.professional.user)
    own = note_template_save(professional=past.professional, name="Mitt snið", body="Saga:")
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert "A general note about this client" in page and "Mitt snið" in page
    client.post(reverse("notes:new_for_client", args=[alice.code]), {"template": own.code})
    note = Note.objects.get()
    assert note.booking is None and note.client == alice and note.body == "Saga:"
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert "General note" in page and reverse("notes:note", args=[note.code]) in page


def test_own_templates_are_listed_changed_and_deleted(client, professional, past):
    client.force_login(professional.user)
    new = client.post(reverse("notes:template_new"), {"name": "Stutt", "body": "Hvað?"})
    assert new.status_code == 302
    template = NoteTemplate.objects.get()
    assert template.name == "Stutt"
    assert "Stutt" in client.get(reverse("notes:template_list")).content.decode()
    edit = reverse("notes:template_edit", args=[template.code])
    assert client.post(edit, {"name": "", "body": "x"}).status_code == 400
    client.post(edit, {"name": "Lengra", "body": "Hvað gerðist?"})
    template.refresh_from_db()
    assert template.name == "Lengra" and template.body == "Hvað gerðist?"
    # A note started from it keeps its text when the template goes.
    client.post(reverse("notes:new_for_session", args=[past.code]), {"template": template.code})
    client.post(reverse("notes:template_delete", args=[template.code]))
    assert not NoteTemplate.objects.exists()
    assert Note.objects.get().body == "Hvað gerðist?"


def test_times_are_in_the_viewers_zone_with_the_zone_named(client, past):
    pro = past.professional
    pro.user.time_zone = "America/New_York"
    pro.user.save()
    client.force_login(pro.user)
    with time_machine.travel(datetime(2026, 3, 2, 15, 30, tzinfo=UTC), tick=False):
        client.post(reverse("notes:new_for_session", args=[past.code]), {"template": ""})
        note = Note.objects.get()
        client.post(reverse("notes:note_sign", args=[note.code]), {"body": "Texti"})
    with time_machine.travel(datetime(2026, 3, 3, 14, 5, tzinfo=UTC), tick=False):
        client.post(reverse("notes:addendum_add", args=[note.code]), {"body": "Seinna"})
    page = client.get(reverse("notes:note", args=[note.code])).content.decode()
    # 15:30 and 14:05 UTC are 10:30 and 9:05 in New York (EST).
    assert "10:30" in page and "9:05" in page and "America/New_York" in page


def test_query_counts_stay_flat_with_thousands_of_notes(
    client, past, alice, django_assert_max_num_queries
):
    pro = past.professional
    client.force_login(pro.user)
    client.post(reverse("notes:new_for_session", args=[past.code]), {"template": "soap"})
    note = Note.objects.get()
    client.post(reverse("notes:note_sign", args=[note.code]), {"body": "Texti"})
    pages = [
        reverse("notes:note", args=[note.code]),
        reverse("bookings:detail", args=[past.code]),
        reverse("dashboard:practice_client", args=[alice.code]),
        reverse("notes:template_list"),
    ]

    def counts() -> list[int]:
        found = []
        for url in pages:
            with django_assert_max_num_queries(100) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    few = counts()
    sample = Note.objects.get()
    Note.objects.bulk_create(
        Note(
            professional=pro,
            client=alice,
            booking=past if i % 2 else None,
            title_sealed=sample.title_sealed,
            body_sealed=sample.body_sealed,
            state="signed",
            signed_at=sample.signed_at,
            created_at=sample.created_at - timedelta(minutes=i),
        )
        for i in range(2000)
    )
    NoteAddendum.objects.bulk_create(
        NoteAddendum(note=note, body_sealed=sample.body_sealed) for _ in range(300)
    )
    NoteTemplate.objects.bulk_create(
        NoteTemplate(professional=pro, name_sealed=sample.title_sealed, body_sealed="x")
        for _ in range(30)
    )
    assert counts() == few
