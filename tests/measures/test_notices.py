"""In-app notices of outcome measures: the client is told of a questionnaire, the
professional of an answer to PHQ-9 item 9; what each says, and where it leads."""

import re

import pytest
from django.urls import reverse

from tengja.measures import events
from tengja.measures.models import MeasureRequest, MeasureResponse
from tengja.measures.services import measure_answer, measure_send
from tengja.notifications import measures as notification_measures
from tengja.notifications.models import Notification
from tengja.wiring import subscribers
from tests.measures.conftest import phq9

pytestmark = pytest.mark.django_db

ITEM9 = phq9(3, 3, 2, 2, 1, 1, 0, 0, 2)
SECRETS = ("PHQ", "GAD", "14", "Moderate", "item 9", "self-harm", "Several", "Nearly")


def listed_text(page: str) -> str:
    """The notification list as read: its words, not its markup (random codes)
    nor when each came (a clock may read 14)."""
    listed = page[page.index("notification-list") :]
    listed = listed[: listed.index("</ul>")]
    return re.sub(r"<[^>]+>", " ", re.sub(r"<time[^>]*>.*?</time>", " ", listed, flags=re.S))


def test_measures_publish_and_only_wiring_names_the_listener():
    assert events.subscribers() == (notification_measures.on_measure_event,)
    assert events.subscribers() == subscribers.MEASURE_SUBSCRIBERS


def test_the_client_is_told_in_the_app_and_the_notice_leads_to_the_questionnaire(
    client, alice, professional, session
):
    client.force_login(professional.user)
    client.post(reverse("measures:send", args=[alice.code]), {"instrument": "phq9", "mode": "once"})
    measure = MeasureRequest.objects.get()
    [notice] = Notification.objects.filter(user=alice)
    assert notice.kind == "measure_sent" and notice.measure_request == measure
    assert not Notification.objects.filter(user=professional.user).exists()
    client.force_login(alice)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "New questionnaire from Helga Sigurðardóttir" in page
    assert "PHQ" not in page[page.index("notification-list") :]
    opened = client.post(reverse("notifications:open", args=[notice.code]))
    assert opened["Location"] == reverse("measures:answer", args=[measure.code])
    notice.refresh_from_db()
    assert notice.read_at is not None
    # Answered: the notice leads to the client's scores instead.
    measure_answer(request=measure, data=phq9(0, 0, 0, 0, 0, 0, 0, 0, 0))
    opened = client.post(reverse("notifications:open", args=[notice.code]))
    assert opened["Location"] == reverse("measures:mine")


def test_the_client_is_told_in_the_app_even_over_the_email_limit(
    alice, professional, session, mailoutbox
):
    measure_send(
        professional=professional, client=alice, instrument="gad7", mode="once", notify=False
    )
    assert not mailoutbox
    assert Notification.objects.filter(user=alice, kind="measure_sent").count() == 1


def test_item9_tells_the_professional_in_the_app_without_saying_what(
    client, alice, professional, session
):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    measure_answer(request=measure, data=ITEM9)
    [notice] = Notification.objects.filter(user=professional.user)
    assert notice.kind == "measure_attention"
    # The client is told nothing of it (only of the questionnaire, before).
    assert list(Notification.objects.filter(user=alice).values_list("kind", flat=True)) == [
        "measure_sent"
    ]
    client.force_login(professional.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "An answer from Alice" in page and "needs your attention" in page
    for secret in SECRETS:
        assert secret not in listed_text(page), secret
    opened = client.post(reverse("notifications:open", args=[notice.code]))
    assert opened["Location"] == reverse("dashboard:practice_client", args=[alice.code])
    # The client's own list names neither the flag nor the score.
    client.force_login(alice)
    page = client.get(reverse("notifications:list")).content.decode()
    for secret in (*SECRETS, "attention"):
        assert secret not in listed_text(page), secret


def test_no_notice_to_the_professional_without_item9(alice, professional, session):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    measure_answer(request=measure, data=phq9(3, 3, 3, 3, 3, 3, 3, 3, 0))
    assert not Notification.objects.filter(user=professional.user).exists()


def test_a_refused_answer_tells_nobody(alice, professional, session):
    from tengja.measures.services import MeasureError

    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    with pytest.raises(MeasureError):
        measure_answer(request=measure, data=ITEM9 | {"4": "9"})
    assert not MeasureResponse.objects.exists()
    assert not Notification.objects.filter(user=professional.user).exists()


def test_the_notices_read_in_icelandic(client, alice, professional, session):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    measure_answer(request=measure, data=ITEM9)
    for person in (alice, professional.user):
        person.language = "is"
        person.save()
    client.force_login(alice)
    assert "Nýr spurningalisti frá Helga Sigurðardóttir" in (
        client.get(reverse("notifications:list")).content.decode()
    )
    client.force_login(professional.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "þarfnast athygli þinnar" in page


def test_another_persons_notice_is_404(client, alice, bob, professional, session):
    measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    notice = Notification.objects.get(user=alice)
    client.force_login(bob)
    assert client.post(reverse("notifications:open", args=[notice.code])).status_code == 404
    client.force_login(professional.user)
    assert client.post(reverse("notifications:open", args=[notice.code])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
