"""The answers for the client and their professional, and nobody else; the signed
PDF; what stays when the client deletes their account."""

import io
import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tengja.intake.models import FormResponse
from tengja.intake.responses import response_open, response_sign, response_submit
from tests.factories import UserFactory
from tests.intake_responses.conftest import CONSENT_BODY


@pytest.fixture
def signed(alice, consent, booking):
    draft = response_open(form=consent, client=alice)
    return response_sign(response=draft, answers={"video_ok": "yes"}, name="Alice Andersen")


@pytest.fixture
def sent(alice, intake, booking):
    draft = response_open(form=intake, client=alice)
    return response_submit(
        response=draft, answers={"name": "Alice Andersen", "mood": "Góð", "story": "Leyndó"}
    )


def detail(response) -> str:
    return reverse("intake:response_detail", args=[response.code])


def pdf(response) -> str:
    return reverse("intake:response_pdf", args=[response.code])


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_professional_sees_the_forms_on_the_clients_page(client, alice, professional, sent):
    client.force_login(professional.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert "Forms" in page and "Inntökueyðublað" in page and detail(sent) in page and "Sent" in page
    body = client.get(detail(sent)).content.decode()
    assert "Leyndó" in body and "Góð" in body


def test_a_draft_shows_the_professional_only_that_it_was_started(
    client, alice, professional, intake, booking
):
    draft = response_open(form=intake, client=alice)
    FormResponse.objects.filter(pk=draft.pk).update(answers={"story": "Leyndarmál í vinnslu"})
    client.force_login(professional.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert "Started" in page and detail(draft) not in page
    body = client.get(detail(draft)).content.decode()
    assert "Leyndarmál" not in body and "not sent it yet" in body
    client.force_login(alice)
    assert "Leyndarmál" in client.get(detail(draft)).content.decode()


def test_nobody_else_sees_answers_or_the_pdf(
    client, alice, bob, hr, other_professional, signed, sent
):
    for person in (bob, hr, other_professional.user, UserFactory(is_staff=True)):
        client.force_login(person)
        for url in (detail(signed), detail(sent), pdf(signed)):
            assert client.get(url).status_code == 404, (person, url)
        page = client.get(reverse("dashboard:practice_client", args=[alice.code]))
        assert page.status_code == 404
    client.logout()
    assert client.get(pdf(signed)).status_code == 302


def test_only_a_signed_consent_has_a_pdf(client, alice, sent):
    client.force_login(alice)
    assert client.get(pdf(sent)).status_code == 404


def test_the_signed_pdf_for_both_in_the_viewers_zone(client, alice, professional, signed):
    for person, zone in ((alice, "Atlantic/Reykjavik"), (professional.user, "America/New_York")):
        person.time_zone = zone
        person.save()
        client.force_login(person)
        answer = client.get(pdf(signed))
        assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
        text = " ".join(pdf_text(answer.content).split())
        local = timezone.localtime(signed.signed_at, zoneinfo.ZoneInfo(zone))
        for needle in (
            "Samþykki fyrir fjarmeðferð",
            " ".join(CONSENT_BODY.split()),
            "Helga Sigurðardóttir",
            "Alice Andersen",
            "Má nota myndsímtal?",
            "Signed by Alice Andersen on",
            str(local.year),
            f"({zone})",
            signed.signature_hash[:32],
        ):
            assert needle in text, (needle, text)


def test_the_signed_line_in_icelandic(client, alice, signed):
    alice.language = "is"
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    client.force_login(alice)
    text = " ".join(pdf_text(client.get(pdf(signed)).content).split())
    assert "Undirritað af Alice Andersen" in text and "(Asia/Tokyo)" in text
    local = timezone.localtime(signed.signed_at, zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M") in text


def test_the_clients_page_costs_the_same_with_many_responses(
    client, alice, professional, django_assert_max_num_queries
):
    from tengja.intake.models import IntakeForm

    def build(n: int) -> None:
        for i in range(n):
            form = IntakeForm.objects.create(professional=professional, title=f"F{i}")
            FormResponse.objects.create(
                form=form,
                client=alice,
                professional=professional,
                state=FormResponse.State.SUBMITTED,
                submitted_at=timezone.now() - timedelta(days=1),
            )

    from tests.factories import BookingFactory

    BookingFactory(client=alice, session_type__professional=professional)
    build(2)
    client.force_login(professional.user)
    url = reverse("dashboard:practice_client", args=[alice.code])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    build(200)
    with django_assert_max_num_queries(len(few)):
        body = client.get(url).content.decode()
    assert body.count("/intake/responses/") == 202


def test_deleting_the_account_keeps_what_was_sent_or_signed(
    client, alice, password, intake, consent, booking, django_capture_on_commit_callbacks
):
    signed = response_sign(
        response=response_open(form=consent, client=alice),
        answers={"video_ok": "yes"},
        name="Alice Andersen",
    )
    draft = response_open(form=intake, client=alice)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("privacy:delete"), {"current_password": password, "confirm": "on"}
        )
    assert answer.status_code == 302
    assert not FormResponse.objects.filter(pk=draft.pk).exists()
    kept = FormResponse.objects.get(pk=signed.pk)
    assert kept.signature_hash == signed.signature_hash and kept.signed_name == "Alice Andersen"
    assert kept.snapshot == signed.snapshot
    # The professional still reads it, and its PDF.
    client.force_login(consent.professional.user)
    assert client.get(detail(kept)).status_code == 200
    assert "Alice Andersen" in pdf_text(client.get(pdf(kept)).content)


def test_download_my_data_holds_the_answers_a_draft_only_for_its_client(
    alice, professional, intake, signed
):
    from tengja.privacy.export_intake import form_responses_of

    draft = response_open(form=intake, client=alice)
    FormResponse.objects.filter(pk=draft.pk).update(answers={"story": "Leyndó"})
    mine = {row["form"]["title"]: row for row in form_responses_of(alice)}
    assert mine["Inntökueyðublað"]["answers"] == {"story": "Leyndó"}
    assert mine["Samþykki fyrir fjarmeðferð"]["signature_hash"] == signed.signature_hash
    theirs = {row["form"]["title"]: row for row in form_responses_of(professional.user)}
    assert theirs["Inntökueyðublað"]["answers"] is None
    assert theirs["Samþykki fyrir fjarmeðferð"]["answers"] == {"video_ok": "yes"}
