"""The item-9 flag stays until the professional who sent the questionnaire marks
it seen; then it leaves Home and the client's page, and the answer keeps item 9."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.measures.models import MeasureResponse, Share
from tengja.measures.services import measure_answer, measure_send
from tests.factories import BookingFactory
from tests.measures.conftest import phq9

pytestmark = pytest.mark.django_db

FLAG = "PHQ-9 item 9 (thoughts of self-harm) answered above 0"
BUTTON = "Mark as seen"


@pytest.fixture
def flagged(alice, professional, session) -> MeasureResponse:
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    # Long ago: a flag no longer lapses after some days.
    return measure_answer(
        request=measure,
        data=phq9(1, 1, 1, 1, 1, 1, 1, 1, 1),
        now=timezone.now() - timedelta(days=60),
    )


def pages(client, alice) -> tuple[str, str]:
    home = client.get(reverse("dashboard:home")).content.decode()
    page = client.get(reverse("dashboard:practice_client", args=[alice.code])).content.decode()
    return home, page


def test_seen_clears_the_flag_and_the_answer_keeps_item9(client, alice, professional, flagged):
    client.force_login(professional.user)
    home, page = pages(client, alice)
    assert FLAG in home and FLAG in page
    assert home.count(BUTTON) == 1 and page.count(BUTTON) == 1
    url = reverse("measures:seen", args=[flagged.code])
    done = client.post(url, {"next": reverse("dashboard:home")})
    assert done.status_code == 302 and done["Location"] == reverse("dashboard:home")
    flagged.refresh_from_db()
    assert flagged.flag_seen_at is not None and flagged.flag_seen_by == professional.user
    assert flagged.item9
    home, page = pages(client, alice)
    assert FLAG not in home and FLAG not in page and BUTTON not in home + page
    # The table still shows it, and so does the answer.
    assert "(item 9 above 0)" in page
    detail = client.get(reverse("measures:response", args=[flagged.code])).content.decode()
    assert "Item 9 (thoughts of self-harm) answered above 0" in detail
    # Seen twice: the first time stays.
    first = flagged.flag_seen_at
    client.post(url)
    flagged.refresh_from_db()
    assert flagged.flag_seen_at == first


def test_without_next_it_goes_back_to_the_clients_page(client, alice, professional, flagged):
    client.force_login(professional.user)
    done = client.post(
        reverse("measures:seen", args=[flagged.code]), {"next": "https://evil.example/"}
    )
    assert done["Location"] == reverse("dashboard:practice_client", args=[alice.code])


def test_nobody_else_can_mark_it_seen(
    client, alice, bob, professional, other_professional, hr, flagged
):
    # Another professional the client shares scores with sees the scores, not the flag.
    BookingFactory(client=alice, session_type__professional=other_professional)
    Share.objects.create(client=alice, professional=other_professional)
    url = reverse("measures:seen", args=[flagged.code])
    for person in (alice, bob, other_professional.user, hr):
        client.force_login(person)
        assert client.post(url).status_code == 404, person
    flagged.refresh_from_db()
    assert flagged.flag_seen_at is None and flagged.flag_seen_by is None
    client.force_login(professional.user)
    assert client.get(url).status_code == 405
    assert client.post(reverse("measures:seen", args=["nothing"])).status_code == 404
    flagged.refresh_from_db()
    assert flagged.flag_seen_at is None


def test_an_answer_without_the_flag_changes_nothing(client, alice, professional, session):
    measure = measure_send(
        professional=professional, client=alice, instrument="phq9", mode="once", notify=False
    )
    calm = measure_answer(request=measure, data=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0))
    client.force_login(professional.user)
    done = client.post(reverse("measures:seen", args=[calm.code]), follow=True)
    assert "This answer has no flag of yours." in done.content.decode()
    calm.refresh_from_db()
    assert calm.flag_seen_at is None and calm.flag_seen_by is None


def test_the_client_never_sees_the_flag_or_the_button(client, alice, professional, flagged):
    client.force_login(alice)
    for url in (
        reverse("dashboard:home"),
        reverse("measures:mine"),
        reverse("measures:response", args=[flagged.code]),
    ):
        page = client.get(url).content.decode()
        # (The client's own table marks their answer to item 9: theirs to know.)
        assert BUTTON not in page and FLAG not in page, url
        assert reverse("measures:seen", args=[flagged.code]) not in page


def test_a_flag_lists_until_seen_however_old(alice, professional, flagged):
    from tengja.measures.selectors import flagged as flags

    assert flags(professional=professional) == [flagged]
    MeasureResponse.objects.filter(pk=flagged.pk).update(flag_seen_at=timezone.now())
    assert flags(professional=professional) == []
