"""A client fills in an intake form and signs a consent: drafts saved as they go,
sending, signing with their name, and nothing changed by bad input or afterwards."""

import json
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.intake.models import FormResponse
from tengja.intake.responses import forms_to_complete, signature_hash
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory
from tests.intake_responses.conftest import CONSENT_BODY
from tests.test_pages import CLIENT_HOME_QUERIES

GOOD = {
    "a-name": "Alice Andersen",
    "a-story": "Löng saga",
    "a-mood": "Góð",
    "a-sleep": "3",
    "a-born": "1990-05-17",
    "a-before": "no",
}


def fill(form) -> str:
    return reverse("intake:form_fill", args=[form.code])


def save(form) -> str:
    return reverse("intake:form_save", args=[form.code])


def test_the_first_visit_makes_a_draft_with_the_form_as_seen(client, alice, intake, booking):
    client.force_login(alice)
    body = client.get(fill(intake)).content.decode()
    response = FormResponse.objects.get(form=intake, client=alice)
    assert response.state == FormResponse.State.DRAFT
    assert response.snapshot == {
        "kind": "intake",
        "title": intake.title,
        "body": "",
        "fields": intake.fields,
        "version": 1,
    }
    assert response.professional == intake.professional
    for text in ("Fullt nafn", "Líðan", "Góð", "Svefn", 'type="date"', "<fieldset", "<legend"):
        assert text in body
    # Scale 1..5 as radios, required marks, the save endpoint for the script.
    assert 'name="a-sleep" value="5"' in body and 'name="a-sleep" value="6"' not in body
    assert "Fullt nafn (required)" in body and save(intake) in body and "js/intake.js" in body
    # A second visit makes no second response.
    client.get(fill(intake))
    assert FormResponse.objects.filter(client=alice).count() == 1


def test_autosave_keeps_the_answers_so_far(client, alice, intake, booking):
    client.force_login(alice)
    client.get(fill(intake))
    answer = client.post(save(intake), {"a-story": "Fyrst þetta", "a-sleep": "2"})
    assert answer.status_code == 200 and answer.json()["saved"] is True
    response = FormResponse.objects.get(form=intake, client=alice)
    assert response.answers == {"story": "Fyrst þetta", "sleep": 2}
    assert response.state == FormResponse.State.DRAFT
    # The answer is there on the next visit.
    assert "Fyrst þetta" in client.get(fill(intake)).content.decode()


def test_save_draft_without_javascript(client, alice, intake, booking):
    client.force_login(alice)
    answer = client.post(fill(intake), {"a-mood": "Slæm", "action": "save"})
    assert answer.status_code == 302
    assert FormResponse.objects.get(form=intake).answers == {"mood": "Slæm"}


@pytest.mark.parametrize(
    "bad",
    [
        {"a-mood": "Frábær"},  # not among the choices
        {"a-sleep": "6"},  # out of the scale
        {"a-sleep": "x"},
        {"a-born": "2026-02-31"},  # no such day
        {"a-before": "maybe"},
        {"a-name": "x" * 501},
    ],
)
def test_bad_input_changes_nothing(client, alice, intake, booking, bad):
    client.force_login(alice)
    client.post(save(intake), {"a-story": "Geymt"})
    answer = client.post(save(intake), {"a-story": "Nýtt", **bad})
    assert answer.status_code == 400 and answer.json()["errors"]
    assert FormResponse.objects.get(form=intake).answers == {"story": "Geymt"}
    page = client.post(fill(intake), {"a-story": "Nýtt", "action": "save", **bad})
    assert page.status_code == 400 and "data-error-summary" in page.content.decode()
    assert FormResponse.objects.get(form=intake).answers == {"story": "Geymt"}


def test_a_tampered_field_key_is_not_stored(client, alice, intake, booking):
    client.force_login(alice)
    client.post(save(intake), {"a-story": "Já", "a-evil": "x", "evil": "y", "a-state": "signed"})
    response = FormResponse.objects.get(form=intake)
    assert response.answers == {"story": "Já"} and response.state == FormResponse.State.DRAFT


def test_sending_wants_the_required_answers_then_locks(client, alice, intake, booking):
    client.force_login(alice)
    refused = client.post(fill(intake), {"a-story": "Bara þetta", "action": "send", "version": "1"})
    assert refused.status_code == 400
    assert 'href="#id_a-name"' in refused.content.decode()
    assert FormResponse.objects.get(form=intake).state == FormResponse.State.DRAFT
    assert client.post(fill(intake), {**GOOD, "action": "send", "version": "1"}).status_code == 302
    response = FormResponse.objects.get(form=intake)
    assert response.state == FormResponse.State.SUBMITTED and response.submitted_at
    assert response.answers["sleep"] == 3 and response.answers["born"] == "1990-05-17"
    # Read-only afterwards: the page shows the answers, saving is refused.
    body = client.get(fill(intake)).content.decode()
    assert "Löng saga" in body and 'name="a-story"' not in body
    assert client.post(save(intake), {"a-story": "Breytt"}).status_code == 409
    after = client.post(fill(intake), {"a-story": "Breytt", "action": "save"}, follow=True)
    assert "can no longer be changed" in after.content.decode()
    assert FormResponse.objects.get(form=intake).answers["story"] == "Löng saga"


def test_signing_needs_the_accounts_name(client, alice, consent, booking):
    client.force_login(alice)
    refused = client.post(
        fill(consent),
        {"a-video_ok": "yes", "signed_name": "Alice", "action": "sign", "version": "1"},
    )
    assert refused.status_code == 400
    assert "Type your full name as it is on your account" in refused.content.decode()
    assert FormResponse.objects.get(form=consent).state == FormResponse.State.DRAFT
    # A consent's required answers are required to sign, too.
    refused = client.post(
        fill(consent), {"signed_name": "Alice Andersen", "action": "sign", "version": "1"}
    )
    assert refused.status_code == 400
    assert FormResponse.objects.get(form=consent).state == FormResponse.State.DRAFT


def test_signing_keeps_the_text_the_name_the_time_and_their_hash(client, alice, consent, booking):
    client.force_login(alice)
    page = client.get(fill(consent)).content.decode()
    assert CONSENT_BODY in page and "Type your full name to sign" in page
    answer = client.post(
        fill(consent),
        {
            "a-video_ok": "yes",
            "signed_name": "  alice   ANDERSEN ",
            "action": "sign",
            "version": "1",
        },
    )
    assert answer.status_code == 302
    response = FormResponse.objects.get(form=consent)
    assert response.state == FormResponse.State.SIGNED
    assert response.signed_name == "alice ANDERSEN"
    assert abs(response.signed_at - timezone.now()) < timedelta(seconds=5)
    assert response.snapshot["body"] == CONSENT_BODY
    # The documented hash, computed here again by hand.
    import hashlib

    canonical = json.dumps(
        {
            "answers": {"video_ok": "yes"},
            "name": "alice ANDERSEN",
            "signed_at": response.signed_at.astimezone(UTC).isoformat(),
            "snapshot": response.snapshot,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert response.signature_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert response.signature_hash == signature_hash(
        snapshot=response.snapshot,
        answers=response.answers,
        name=response.signed_name,
        signed_at=response.signed_at,
    )
    # Signed once: a second sign or a save is refused, and nothing changes.
    again = client.post(
        fill(consent),
        {"a-video_ok": "no", "signed_name": "Alice Andersen", "action": "sign", "version": "1"},
        follow=True,
    )
    assert "This consent is signed: it can no longer be changed." in again.content.decode()
    assert client.post(save(consent), {"a-video_ok": "no"}).status_code == 409
    assert FormResponse.objects.get(form=consent).signature_hash == response.signature_hash
    assert FormResponse.objects.get(form=consent).answers == {"video_ok": "yes"}


def test_changing_the_form_after_signing_changes_nothing_signed(client, alice, consent, booking):
    client.force_login(alice)
    client.post(
        fill(consent),
        {"a-video_ok": "yes", "signed_name": "Alice Andersen", "action": "sign", "version": "1"},
    )
    signed = FormResponse.objects.get(form=consent)
    consent.body = "Nýr texti sem enginn skrifaði undir."
    consent.fields = []
    consent.version = 2
    consent.save()
    body = client.get(fill(consent)).content.decode()
    assert CONSENT_BODY in body and "Nýr texti" not in body
    after = FormResponse.objects.get(form=consent)
    assert after.snapshot == signed.snapshot and after.signature_hash == signed.signature_hash
    assert after.snapshot["version"] == 1


def test_a_draft_follows_the_form_while_it_is_a_draft(client, alice, intake, booking):
    client.force_login(alice)
    client.post(save(intake), {"a-story": "Geymt", "a-mood": "Góð"})
    intake.fields = [f for f in intake.fields if f["key"] != "mood"]
    intake.version = 2
    intake.save()
    client.get(fill(intake))
    response = FormResponse.objects.get(form=intake)
    assert response.snapshot["version"] == 2 and response.answers == {"story": "Geymt"}


def test_who_may_open_a_form(client, alice, bob, hr, professional, other_professional, intake):
    url = fill(intake)
    # No session of its type yet: nobody.
    client.force_login(alice)
    assert client.get(url).status_code == 404
    booking = BookingFactory(client=alice, session_type=intake.session_types.get())
    assert client.get(url).status_code == 200
    for person in (bob, hr, professional.user, other_professional.user):
        client.force_login(person)
        assert client.get(url).status_code == 404, person
        assert client.post(save(intake), {"a-story": "x"}).status_code == 404
    assert FormResponse.objects.filter(client__in=[bob, hr]).count() == 0
    # Cancelled: no longer asked for, but what was started stays hers to read.
    client.force_login(alice)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    assert client.get(url).status_code == 200
    FormResponse.objects.all().delete()
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_form_taken_out_of_use(client, alice, intake, booking):
    client.force_login(alice)
    assert forms_to_complete(client=alice)
    intake.is_active = False
    intake.save()
    assert forms_to_complete(client=alice) == []
    # Never opened: gone. Opened: what was written stays.
    assert client.get(fill(intake)).status_code == 404
    intake.is_active = True
    intake.save()
    client.post(save(intake), {"a-story": "Geymt"})
    intake.is_active = False
    intake.save()
    assert "Geymt" in client.get(fill(intake)).content.decode()


def test_what_a_client_must_do(alice, bob, intake, consent, booking):
    [group] = forms_to_complete(client=alice)
    assert group.professional == intake.professional
    assert [f.title for f in group.forms] == [consent.title, intake.title]
    assert forms_to_complete(client=bob) == []
    FormResponse.objects.create(
        form=intake,
        client=alice,
        professional=intake.professional,
        state=FormResponse.State.SUBMITTED,
    )
    FormResponse.objects.create(form=consent, client=alice, professional=consent.professional)
    [group] = forms_to_complete(client=alice)
    [left] = group.forms
    assert left == consent and left.started  # a draft: "started"
    # Another client's answers count for nothing of Alice's.
    BookingFactory(client=bob, session_type=booking.session_type)
    assert [f.title for f in forms_to_complete(client=bob)[0].forms] == [
        consent.title,
        intake.title,
    ]
    # Past or cancelled sessions ask for nothing.
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    assert forms_to_complete(client=alice) == []


def test_each_form_is_listed_once_and_home_stays_within_its_budget(
    client, alice, professional, kind, intake, consent, booking, django_assert_max_num_queries
):
    """Forms required by several session types, for many sessions to come, are
    each listed once; Home asks one query more to list them (and the join gate
    one more for what was done), whatever their number."""
    other = SessionTypeFactory(professional=professional, name="Parviðtal")
    intake.session_types.add(other)
    consent.session_types.add(other)
    start = timezone.now() + timedelta(days=2)
    for n in range(20):
        BookingFactory(
            client=alice,
            session_type=(kind, other)[n % 2],
            starts_at=start + timedelta(hours=n),
        )
    [group] = forms_to_complete(client=alice)
    assert [f.title for f in group.forms] == [consent.title, intake.title]
    client.force_login(alice)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES + 2):
        home = client.get(reverse("dashboard:home")).content.decode()
    assert home.count(reverse("intake:form_fill", args=[intake.code])) >= 1
    assert "Before your first session" in home


def test_home_and_the_session_page_say_what_to_do(client, alice, intake, consent, booking):
    client.force_login(alice)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "Before your first session" in home
    assert fill(intake) in home and fill(consent) in home
    assert "Sign “Samþykki fyrir fjarmeðferð”" in home
    page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert "Before your first session" in page and fill(consent) in page
    # The professional's view of the session lists nothing of the kind.
    client.force_login(booking.professional.user)
    page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert fill(consent) not in page


def test_in_icelandic(client, alice, consent, booking):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "Fyrir fyrsta tímann" in home
    page = client.get(fill(consent)).content.decode()
    assert "Skrifaðu fullt nafn þitt til að undirrita" in page and "Undirrita" in page


def test_many_forms_and_sessions_cost_no_more_queries(
    client, alice, professional, django_assert_max_num_queries
):
    from tengja.intake.models import IntakeForm
    from tests.factories import SessionTypeFactory

    made = []

    def build(n: int) -> None:
        for _ in range(n):
            made.append(1)
            i = len(made)
            kind = SessionTypeFactory(professional=professional)
            form = IntakeForm.objects.create(professional=professional, title=f"Form {i}")
            form.session_types.add(kind)
            BookingFactory(
                client=alice, session_type=kind, starts_at=timezone.now() + timedelta(days=i)
            )

    build(2)
    client.force_login(alice)
    client.get(reverse("dashboard:home"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard:home"))
    build(60)
    with django_assert_max_num_queries(len(few)):
        body = client.get(reverse("dashboard:home")).content.decode()
    assert body.count('href="/intake/forms/') == 62


def test_a_visitor_is_sent_to_sign_in(client, intake):
    assert client.get(fill(intake)).status_code == 302
    assert client.post(save(intake)).status_code == 302


def test_another_clients_booking_does_not_open_the_form(client, intake):
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(fill(intake)).status_code == 404


def test_nobody_signs_a_text_changed_after_they_read_it(client, alice, consent, booking):
    """The client reads version 1; the professional changes the text; the client's
    Sign (of the page they read) is refused, nothing is signed, and the page
    now shows the new text to read. Sending an intake form is held the same way."""
    client.force_login(alice)
    assert CONSENT_BODY in client.get(fill(consent)).content.decode()
    consent.body = "Nýr texti sem viðskiptavinurinn hefur ekki lesið."
    consent.version = 2
    consent.save()
    refused = client.post(
        fill(consent),
        {"a-video_ok": "yes", "signed_name": "Alice Andersen", "action": "sign", "version": "1"},
        follow=True,
    )
    assert "changed after you opened it" in refused.content.decode()
    assert "Nýr texti" in refused.content.decode()
    response = FormResponse.objects.get(form=consent)
    assert response.state == FormResponse.State.DRAFT and not response.signature_hash
    # Without the version read, nothing is signed either.
    client.post(
        fill(consent), {"a-video_ok": "yes", "signed_name": "Alice Andersen", "action": "sign"}
    )
    assert FormResponse.objects.get(form=consent).state == FormResponse.State.DRAFT
    client.post(
        fill(consent),
        {"a-video_ok": "yes", "signed_name": "Alice Andersen", "action": "sign", "version": "2"},
    )
    signed = FormResponse.objects.get(form=consent)
    assert signed.state == FormResponse.State.SIGNED and signed.snapshot["body"].startswith("Nýr")
