"""HR's wellbeing figures follow the rules of the hub's usage: ended months only,
cut in the hub's zone, each figure behind at least HUB_REPORTING_MIN_GROUP
distinct respondents. The oracle: nothing anyone does now moves a byte of what
HR sees."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tengja.hubs.services import membership_remove
from tengja.privacy.services import account_delete
from tengja.wellbeing.models import Checkin, Rating, Respondent
from tengja.wellbeing.selectors import hub_wellbeing
from tests.wellbeing.conftest import answer, hub_session, join, last_month, rate


def figures(client, hub) -> str:
    """The wellbeing part of HR's page, worked out afresh."""
    cache.clear()
    page = client.get(reverse("hubs:admin", args=[hub.code]))
    assert page.status_code == 200
    return page.content.decode().split('id="wellbeing-figures"')[1].split("</section>")[0]


@pytest.fixture
def answered(hub, offer):
    """Seven members answered last month (six of them twice, the last answers
    two hours before this month began: in a zone ahead of the hub's, this month),
    and five rated a session then; one more session waits to be rated."""
    group = join(hub, 8)
    end = hub.month_start()
    for index, membership in enumerate(group[:7]):
        answer(membership, 5 + 2 * index, last_month(hub, day=1))
        if index < 6:
            answer(membership, 8 + 2 * index, end - timedelta(hours=2))
    for index, membership in enumerate(group[:5]):
        booking = hub_session(membership, offer, ended_at=last_month(hub, day=5))
        rate(membership, booking, score=3 + index % 3, when=last_month(hub, day=6))
    waiting = hub_session(group[7], offer)
    return group, waiting


def test_hr_sees_bands_trend_and_alliance_of_ended_months(client, hr, hub, answered):
    client.force_login(hr)
    part = figures(client, hub)
    shown = hub_wellbeing(hub=hub)
    assert shown["all"]["bands"] is not None and shown["all"]["change"] is not None
    assert shown["months"][-1]["bands"] is not None
    assert shown["months"][-1]["alliance"] is not None
    assert "Poor" in part and "out of 5" in part
    assert 'aria-labelledby="wellbeing-chart-title"' in part
    # Nothing of the current month.
    assert all(m["month"] < hub.month_start().date() for m in shown["months"])
    group, _ = answered
    for membership in group:
        assert membership.user.email not in part and membership.user.name not in part


@pytest.mark.parametrize(
    "action",
    [
        "answer",
        "rate",
        "join",
        "remove",
        "delete",
        "member_zone",
        "hub_zone",
    ],
)
def test_nothing_done_now_moves_what_hr_sees(client, hr, hub, answered, action):
    group, waiting = answered
    client.force_login(hr)
    before = figures(client, hub)
    if action == "answer":
        answer(group[6], 25)  # last answered on the 1st of last month: due
    elif action == "rate":
        rate(group[7], waiting, score=1)
    elif action == "join":
        newcomer = join(hub, 1, when=timezone.now())[0]
        answer(newcomer, 0)
    elif action == "remove":
        membership_remove(hub=hub, email=group[0].email)
    elif action == "delete":
        account_delete(user=group[1].user)
        assert not Respondent.objects.filter(user=group[1].user).exists()
        assert Checkin.objects.filter(respondent__user__isnull=True).count() == 2
        assert Rating.objects.filter(respondent__user__isnull=True, booking__isnull=True).exists()
    elif action == "member_zone":
        for membership in group:
            membership.user.time_zone = "Pacific/Kiritimati"
            membership.user.save(update_fields=["time_zone"])
        hr.time_zone = "Pacific/Pago_Pago"
        hr.save(update_fields=["time_zone"])
    elif action == "hub_zone":
        data = {
            "welcome_text": hub.welcome_text,
            "credits_per_period": hub.credits_per_period,
            "period_months": hub.period_months,
            "credits_per_session": hub.credits_per_session,
            "time_zone": "Pacific/Kiritimati",
            "wellbeing_every_weeks": 3,
        }
        response = client.post(reverse("hubs:admin_settings", args=[hub.code]), data)
        assert response.status_code == 302
        hub.refresh_from_db()
        assert hub.time_zone == "Pacific/Kiritimati" and hub.wellbeing_every_weeks == 3
    assert figures(client, hub) == before


def test_one_fewer_than_the_minimum_shows_nothing_and_the_minimum_shows(client, hr, hub, offer):
    group = join(hub, 5)
    for membership in group[:4]:
        answer(membership, 20, last_month(hub, day=3))
        answer(membership, 22, last_month(hub, day=20))
        rate(membership, hub_session(membership, offer), when=last_month(hub, day=4))
    client.force_login(hr)
    shown = hub_wellbeing(hub=hub)
    assert shown["months"][-1] == {
        "month": shown["months"][-1]["month"],
        "bands": None,
        "alliance": None,
    }
    assert shown["all"] == {"bands": None, "alliance": None, "change": None}
    assert "Good 100%" not in figures(client, hub)
    answer(group[4], 20, last_month(hub, day=3))
    answer(group[4], 21, last_month(hub, day=20))
    rate(group[4], hub_session(group[4], offer), when=last_month(hub, day=4))
    shown = hub_wellbeing(hub=hub)
    assert shown["months"][-1]["bands"] == {"poor": 0, "moderate": 0, "good": 100}
    assert shown["months"][-1]["alliance"] is not None
    assert shown["all"]["change"] is not None
    part = figures(client, hub)
    assert "Poor 0%, Moderate 0%, Good 100%" in part


def test_each_respondents_latest_answer_in_a_month_counts_once(hub, offer, settings):
    settings.HUB_REPORTING_MIN_GROUP = 2
    first, second = join(hub, 2)
    answer(first, 3, last_month(hub, day=2))
    answer(first, 20, last_month(hub, day=20))  # the latest: Good
    answer(second, 14, last_month(hub, day=2))  # Moderate
    shown = hub_wellbeing(hub=hub)
    assert shown["months"][-1]["bands"] == {"poor": 0, "moderate": 50, "good": 50}
    assert shown["all"]["change"] is None  # one repeater only


def test_deleting_an_account_keeps_no_link_to_the_person(hub, answered):
    group, _ = answered
    user = group[2].user
    account_delete(user=user)
    assert not Respondent.objects.filter(user=user).exists()
    assert not Checkin.objects.filter(respondent__user=user).exists()
    assert not Rating.objects.filter(booking__client=user).exists()
