"""Sending, answering, the chart for both, item 9, sharing, and who sees what."""

from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.hubs.selectors import hub_usage
from tengja.measures.models import MeasureRequest, MeasureResponse, Share
from tengja.measures.services import MeasureError, measure_answer, measure_send
from tests.factories import BookingFactory, ProfessionalFactory
from tests.measures.conftest import phq9

pytestmark = pytest.mark.django_db

ZERO = phq9(0, 0, 0, 0, 0, 0, 0, 0, 0)


def send(client, professional, alice, mode="once", instrument="phq9"):
    client.force_login(professional.user)
    return client.post(
        reverse("measures:send", args=[alice.code]), {"instrument": instrument, "mode": mode}
    )


def test_client_answers_twice_and_both_see_the_chart(
    client, alice, professional, session, mailoutbox, django_capture_on_commit_callbacks
):
    alice.language, alice.time_zone = "is", "Atlantic/Reykjavik"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, professional, alice).status_code == 302
    [told] = mailoutbox
    assert told.to == [alice.email]
    assert "Helga Sigurðardóttir" in told.subject and "spurningalista" in told.subject
    measure = MeasureRequest.objects.get()
    client.force_login(alice)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("measures:answer", args=[measure.code]) in home
    page = client.get(reverse("measures:answer", args=[measure.code])).content.decode()
    assert 'lang="en"' in page and "Several days" in page
    assert "birtur á ensku" in page
    answered = client.post(
        reverse("measures:answer", args=[measure.code]), phq9(2, 2, 2, 2, 2, 2, 2, 2, 0)
    )
    assert answered.status_code == 302
    first = MeasureResponse.objects.get()
    assert (first.total, first.band, first.item9) == (16, "moderately_severe", False)
    # Once means once: a second answer to the same request is refused.
    again = client.post(reverse("measures:answer", args=[measure.code]), ZERO)
    assert again.status_code == 302 and MeasureResponse.objects.count() == 1
    # A second request, answered lower.
    send(client, professional, alice)
    second_request = MeasureRequest.objects.latest("pk")
    client.force_login(alice)
    client.post(
        reverse("measures:answer", args=[second_request.code]), phq9(1, 1, 1, 0, 0, 0, 0, 0, 0)
    )
    mine = client.get(reverse("measures:mine")).content.decode()
    assert mine.count("measure-chart__svg") == 1 and mine.count("<circle") == 2
    assert 'aria-hidden="true"' in mine
    assert ">16<" in mine and ">3<" in mine and "Miðlungs alvarleg" in mine
    client.force_login(professional.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert page.count("<circle") == 2 and ">16<" in page and ">3<" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"4": ""}, "Please answer every question."),
        ({"4": "7"}, "Each answer must be one of the choices given."),
        ({"12": "1"}, "The answers do not match this questionnaire."),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_kept(
    client, alice, professional, session, change, message
):
    send(client, professional, alice)
    measure = MeasureRequest.objects.get()
    client.force_login(alice)
    data = {k: v for k, v in (phq9(1, 1, 1, 1, 1, 1, 1, 1, 1) | change).items() if v != ""}
    refused = client.post(reverse("measures:answer", args=[measure.code]), data)
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert not MeasureResponse.objects.exists()
    assert MeasureRequest.objects.get().active


def test_only_a_client_of_the_professional_can_be_sent_one(
    client, alice, bob, professional, session
):
    assert send(client, professional, bob).status_code == 404
    with pytest.raises(MeasureError):
        measure_send(professional=professional, client=bob, instrument="phq9", mode="once")
    assert send(client, professional, alice, instrument="beck").status_code == 302
    assert not MeasureRequest.objects.exists()


def test_before_every_session_asks_once_per_session_in_the_3_days_before(
    client, alice, professional, session
):
    measure = measure_send(
        professional=professional,
        client=alice,
        instrument="gad7",
        mode="every_session",
        notify=False,
    )
    gad = {str(n): "1" for n in range(1, 8)}
    # The session is 10 days away: nothing is asked yet.
    with pytest.raises(MeasureError):
        measure_answer(request=measure, data=gad)
    soon = BookingFactory(
        client=alice,
        session_type=session.session_type,
        starts_at=timezone.now() + timedelta(days=2),
    )
    later = timezone.now() + timedelta(days=8)
    response = measure_answer(request=measure, data=gad)
    assert response.booking == soon and response.total == 7 and response.band == "mild"
    with pytest.raises(MeasureError):
        measure_answer(request=measure, data=gad)
    # Eight days on, the session then 2 days away asks for its own.
    session.starts_at = later + timedelta(days=2)
    session.ends_at = session.starts_at + timedelta(hours=1)
    session.save()
    assert measure_answer(request=measure, data=gad, now=later).booking == session
    assert MeasureRequest.objects.get().active


def test_item9_flags_the_professional_and_shows_the_client_crisis_contacts(
    client, alice, professional, session, mailoutbox, django_capture_on_commit_callbacks
):
    send(client, professional, alice)
    measure = MeasureRequest.objects.get()
    mailoutbox.clear()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("measures:answer", args=[measure.code]),
            phq9(3, 3, 2, 2, 1, 1, 0, 0, 2),
            follow=True,
        )
    page = done.content.decode()
    assert "1717" in page and "112" in page and 'href="tel:1717"' in page
    [email] = mailoutbox
    assert email.to == [professional.user.email]
    assert email.subject == "A client's answer needs your attention"
    body = email.body + email.alternatives[0][0]
    for secret in ("14", "Moderate", "PHQ", "self-harm", "Alice", "Several", "Nearly"):
        assert secret not in body
    client.force_login(professional.user)
    flag = "PHQ-9 item 9 (thoughts of self-harm) answered above 0"
    assert (
        flag in client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    )
    assert flag in client.get(reverse("dashboard:home")).content.decode()
    # The professional's own view of the answer has no crisis contacts, but the flag.
    response = MeasureResponse.objects.get()
    detail = client.get(reverse("measures:response", args=[response.code])).content.decode()
    assert "1717" not in detail and "Item 9 (thoughts of self-harm) answered above 0" in detail


def test_no_crisis_contacts_without_item9(client, alice, professional, session, mailoutbox):
    send(client, professional, alice)
    measure = MeasureRequest.objects.get()
    client.force_login(alice)
    page = client.post(
        reverse("measures:answer", args=[measure.code]), ZERO, follow=True
    ).content.decode()
    assert "1717" not in page and not mailoutbox


def test_crisis_contacts_are_a_setting(client, alice, professional, session, settings):
    settings.CRISIS_CONTACTS = [
        {
            "name": "Samaritans",
            "phone": "116 123",
            "description": {"en": "Any time", "is": "Alltaf"},
        }
    ]
    send(client, professional, alice)
    client.force_login(alice)
    page = client.post(
        reverse("measures:answer", args=[MeasureRequest.objects.get().code]),
        phq9(0, 0, 0, 0, 0, 0, 0, 0, 1),
        follow=True,
    ).content.decode()
    assert "116 123" in page and "Any time" in page and "1717" not in page


def test_sharing_with_another_professional(
    client, alice, professional, other_professional, session
):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    response = measure_answer(request=measure, data=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0))
    BookingFactory(client=alice, session_type__professional=other_professional)
    client.force_login(other_professional.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert "<circle" not in page
    client.force_login(alice)
    client.post(reverse("measures:share"), {"professional": other_professional.code, "shared": "1"})
    assert Share.objects.filter(client=alice, professional=other_professional).exists()
    client.force_login(other_professional.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert page.count("<circle") == 1 and ">8<" in page
    # The scores, not the answers: those are for the professional who asked.
    assert reverse("measures:response", args=[response.code]) not in page
    assert client.get(reverse("measures:response", args=[response.code])).status_code == 404
    client.force_login(alice)
    client.post(reverse("measures:share"), {"professional": other_professional.code, "shared": "0"})
    assert not Share.objects.exists()
    # Nobody the client has no sessions with can be shared with.
    stranger = ProfessionalFactory()
    assert (
        client.post(
            reverse("measures:share"), {"professional": stranger.code, "shared": "1"}
        ).status_code
        == 404
    )
    assert not Share.objects.exists()


def test_everyone_else_gets_404_and_hr_sees_nothing(
    client, alice, bob, professional, other_professional, hr, hub, member, offer
):
    BookingFactory(client=member.user, session_type=offer.session_type)
    before = hub_usage(hub=hub)
    measure = measure_send(
        professional=offer.professional,
        client=member.user,
        instrument="phq9",
        mode="once",
        notify=False,
    )
    response = measure_answer(request=measure, data=phq9(3, 3, 3, 3, 3, 3, 3, 3, 3))
    assert hub_usage(hub=hub) == before
    urls = [
        ("get", reverse("measures:answer", args=[measure.code])),
        ("get", reverse("measures:response", args=[response.code])),
        ("post", reverse("measures:stop", args=[measure.code])),
        ("post", reverse("measures:send", args=[member.user.code])),
    ]
    for person in (alice, bob, professional.user, other_professional.user, hr):
        client.force_login(person)
        for method, url in urls:
            assert (
                getattr(client, method)(url, {"instrument": "phq9", "mode": "once"}).status_code
                == 404
            ), (person, url)
        assert "PHQ" not in client.get(reverse("measures:mine")).content.decode()
    client.force_login(hr)
    page = client.get(reverse("hubs:admin", args=[hub.code])).content.decode()
    assert "PHQ" not in page and "measures" not in page
    assert MeasureRequest.objects.get().active is False
    # The client and the professional who asked see it.
    client.force_login(member.user)
    assert client.get(reverse("measures:response", args=[response.code])).status_code == 200
    client.force_login(offer.professional.user)
    assert client.get(reverse("measures:response", args=[response.code])).status_code == 200


def test_the_professional_stops_asking(client, alice, professional, session):
    measure = measure_send(
        professional=professional,
        client=alice,
        instrument="gad7",
        mode="every_session",
        notify=False,
    )
    client.force_login(professional.user)
    client.post(reverse("measures:stop", args=[measure.code]))
    measure.refresh_from_db()
    assert not measure.active


def test_dates_in_the_viewers_zone(client, alice, professional, session):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    # 23:30 UTC on 1 March is 2 March in Tokyo and 1 March in Reykjavik.
    at = timezone.datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    measure_answer(request=measure, data=ZERO, now=at)
    alice.language, alice.time_zone = "en", "Asia/Tokyo"
    alice.save()
    professional.user.language, professional.user.time_zone = "en", "Atlantic/Reykjavik"
    professional.user.save()
    client.force_login(alice)
    page = client.get(reverse("measures:mine")).content.decode()
    assert "2 March 2026" in page
    client.force_login(professional.user)
    assert (
        "1 March 2026"
        in client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    )


def test_a_shared_professional_sees_scores_but_not_item9(
    client, alice, professional, other_professional, session
):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    measure_answer(request=measure, data=phq9(0, 0, 0, 0, 0, 0, 0, 0, 2))
    BookingFactory(client=alice, session_type__professional=other_professional)
    Share.objects.create(client=alice, professional=other_professional)
    client.force_login(other_professional.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    assert page.count("measure-chart__dot") == 1
    assert "item 9" not in page and "self-harm" not in page
    assert "self-harm" not in client.get(reverse("dashboard:home")).content.decode()


def test_the_demo_client_answered_three_phq9s_going_down_and_a_gad7_waits(settings, db):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())  # safe to load again
    totals = list(
        MeasureResponse.objects.filter(request__instrument="phq9")
        .order_by("answered_at")
        .values_list("total", flat=True)
    )
    assert len(totals) == 3 and totals == sorted(totals, reverse=True)
    waiting = MeasureRequest.objects.get(active=True)
    assert waiting.instrument == "gad7" and waiting.client.email.startswith("client")
