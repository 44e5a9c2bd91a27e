"""The wellbeing pages read a fixed number of queries, however many answers."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tengja.wellbeing.models import Checkin
from tengja.wellbeing.services import respondent_for
from tests.wellbeing.conftest import join, last_month

HR_PAGE = 11  # measured: 11 with 10 answers and with 1,000
MEMBER_PAGE = 9  # measured: 9 with 1 answer and with 200


def _answers(hub, memberships, count):
    start = last_month(hub, day=1, hour=1) - timedelta(days=300)
    rows = []
    for n in range(count):
        membership = memberships[n % len(memberships)]
        rows.append(
            Checkin(
                respondent=respondent_for(hub=hub, user=membership.user),
                answers={},
                raw=n % 26,
                answered_at=start + timedelta(hours=n * 7),
            )
        )
    Checkin.objects.bulk_create(rows)


def _count(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_hr_page_is_flat_with_answers(client, hr, hub, django_assert_max_num_queries):
    group = join(hub, 10)
    client.force_login(hr)
    url = reverse("hubs:admin", args=[hub.code])
    _answers(hub, group, 10)
    few = _count(client, url)
    _answers(hub, join(hub, 40), 990)
    many = _count(client, url)
    assert few == many, (few, many)
    cache.clear()
    with django_assert_max_num_queries(HR_PAGE):
        client.get(url)


FORMER_MEMBER_PAGE = 8  # measured: 8 with 1 answer and with 200


@pytest.mark.parametrize("former, budget", [(False, MEMBER_PAGE), (True, FORMER_MEMBER_PAGE)])
def test_member_page_is_flat_with_answers(
    client, member, django_assert_max_num_queries, former, budget
):
    """A member's page, and a former member's (answers and shares, no questions)."""
    from tengja.hubs.services import membership_remove

    url = reverse("wellbeing:index", args=[member.hub.code])
    client.force_login(member.user)
    _answers(member.hub, [member], 1)
    if former:
        membership_remove(hub=member.hub, email=member.email)
    few = _count(client, url)
    _answers(member.hub, [member], 199)
    many = _count(client, url)
    assert few == many, (few, many)
    with django_assert_max_num_queries(budget):
        client.get(url)


def test_profile_link_costs_one_query_however_many_hubs(client, member):
    """The profile: 6 queries (5 before the Wellbeing Index link), with no
    answers, answers in one hub, or in four."""
    from tests.factories import HubFactory

    url = reverse("accounts:profile")
    client.force_login(member.user)
    without = _count(client, url)
    _answers(member.hub, [member], 3)
    one = _count(client, url)
    for _ in range(3):
        _answers(HubFactory(), [member], 2)
    many = _count(client, url)
    assert without == one == many, (without, one, many)
