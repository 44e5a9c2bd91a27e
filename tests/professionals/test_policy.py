"""A professional's own terms and cancellation policy: written on their profile
in English and Icelandic, shown in the reader's language (else the other)
before a client books or accepts an invitation, on the session page, and quoted
in the warning before a late cancellation."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.services import booking_invite
from tests.bookings.conftest import invitation_path
from tests.factories import SessionTypeFactory
from tests.hubs.test_booking_with_credits import slots

ENGLISH = "Cancelling less than 24 hours before costs the full price."
ICELANDIC = "Afbókun með minna en sólarhrings fyrirvara kostar fullt verð."
HEADING = {"en": "Terms and cancellation policy", "is": "Skilmálar og afbókunarreglur"}


def write(professional, english: str = ENGLISH, icelandic: str = ICELANDIC) -> None:
    professional.policy_en, professional.policy_is = english, icelandic
    professional.save()


def invite(professional, email, starts_in, capture):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    with capture(execute=True):
        return booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=(timezone.now() + starts_in).replace(second=0, microsecond=0),
            email=email,
        )


def test_the_professional_writes_their_terms_in_both_languages(client, professional):
    client.force_login(professional.user)
    page = client.get(reverse("professionals:profile")).content.decode()
    assert "Your terms and cancellation policy, in English" in page
    assert "Your terms and cancellation policy, in Icelandic" in page
    form = {"title": "Psychologist", "bio": "", "policy_en": ENGLISH, "policy_is": ICELANDIC}
    response = client.post(reverse("professionals:profile"), form)
    assert response.status_code == 302
    professional.refresh_from_db()
    assert (professional.policy_en, professional.policy_is) == (ENGLISH, ICELANDIC)
    # Too long: a clear error, and nothing changes.
    response = client.post(reverse("professionals:profile"), {**form, "policy_is": "x" * 2001})
    assert response.status_code == 400
    assert "Ensure this value has at most 2000 characters (it has 2001)." in (
        response.content.decode()
    )
    professional.refresh_from_db()
    assert professional.policy_is == ICELANDIC


def test_the_session_page_shows_the_terms_in_the_readers_language(
    client, alice, professional, django_capture_on_commit_callbacks
):
    booking = invite(
        professional, alice.email, timedelta(days=3), django_capture_on_commit_callbacks
    )
    client.force_login(alice)
    detail = reverse("bookings:detail", args=[booking.code])
    body = client.get(detail).content.decode()
    assert HEADING["en"] not in body  # none written: nothing said
    write(professional, english=f"{ENGLISH}\n\nNo-shows pay <b>double</b>.", icelandic="")
    for language in ("en", "is"):  # no Icelandic written: the English
        alice.language = language
        alice.save()
        body = client.get(detail).content.decode()
        assert HEADING[language] in body
        assert f"<p>{ENGLISH}</p>" in body
        assert "<p>No-shows pay &lt;b&gt;double&lt;/b&gt;.</p>" in body
    write(professional)
    body = client.get(detail).content.decode()
    assert ICELANDIC in body and ENGLISH not in body
    # The professional sees the same terms on their own session page.
    client.force_login(professional.user)
    assert ENGLISH in client.get(detail).content.decode()


def test_a_new_client_reads_the_terms_before_accepting_the_invitation(
    client, professional, django_capture_on_commit_callbacks
):
    write(professional)
    invite(professional, "new@example.com", timedelta(days=3), django_capture_on_commit_callbacks)
    body = client.get(invitation_path()).content.decode()
    assert HEADING["en"] in body and ENGLISH in body
    body = client.get(invitation_path(), HTTP_ACCEPT_LANGUAGE="is").content.decode()
    assert HEADING["is"] in body and ICELANDIC in body


def test_a_member_reads_the_terms_before_booking(client, member, offer):
    write(offer.professional)
    client.force_login(member.user)
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    first = slots(offer)[0]
    body = client.get(review, {"starts_at": first.starts_at.isoformat()}).content.decode()
    assert HEADING["en"] in body and ENGLISH in body


def test_the_late_cancellation_warning_quotes_the_terms(
    client, alice, professional, django_capture_on_commit_callbacks
):
    write(professional)
    booking = invite(
        professional, alice.email, timedelta(days=3), django_capture_on_commit_callbacks
    )
    client.force_login(alice)
    cancel = reverse("bookings:cancel", args=[booking.code])
    assert ENGLISH not in client.get(cancel).content.decode()  # in good time: no warning
    with time_machine.travel(booking.starts_at - timedelta(hours=2)):
        body = client.get(cancel).content.decode()
    assert "This is a late cancellation." in body
    assert f"The professional's terms, {professional.user.name}:" in body
    assert ENGLISH in body
