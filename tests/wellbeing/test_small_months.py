"""A month hidden for having too few people never moves a figure that takes in
several months (review of issue 30): else the figure's change at the month's end
tells what those few answered."""

from datetime import timedelta

from tengja.hubs.models import Hub
from tengja.lib.dates import add_months
from tengja.wellbeing.selectors import hub_wellbeing, professional_alliance
from tests.factories import HubFactory
from tests.wellbeing.conftest import answer, hub_session, join, rate


def months_ago(hub: Hub, months: int, day: int = 10):
    """Noon on `day` of the hub's month `months` before this one."""
    first = add_months(hub.month_start().date(), -months)
    return hub.month_boundary(first) + timedelta(days=day - 1, hours=12)


def test_a_hidden_month_leaves_hr_all_time_figures_as_they_were(hub, offer):
    """Six members Good three and two months ago (a trend), five rate 4 two
    months ago; last month one member answers 3 and one rater gives 1: last
    month is hidden, and all-time does not move."""
    group = join(hub, 7, when=months_ago(hub, 4))
    for membership in group[:6]:
        answer(membership, 18, months_ago(hub, 3, day=2))
        answer(membership, 21, months_ago(hub, 2, day=2))
    for membership in group[:5]:
        booking = hub_session(membership, offer, ended_at=months_ago(hub, 2, day=5))
        rate(membership, booking, score=4, when=months_ago(hub, 2, day=6))
    before = hub_wellbeing(hub=hub, now=months_ago(hub, 1, day=20))["all"]
    assert before["bands"] == {"poor": 0, "moderate": 0, "good": 100}
    assert before["alliance"] is not None and before["change"] is not None

    answer(group[6], 3, months_ago(hub, 1, day=10))  # a newcomer, alone
    answer(group[0], 3, months_ago(hub, 1, day=10))  # a repeater, alone
    booking = hub_session(group[6], offer, ended_at=months_ago(hub, 1, day=5))
    rate(group[6], booking, score=1, when=months_ago(hub, 1, day=6))

    shown = hub_wellbeing(hub=hub)
    assert shown["months"][-1]["bands"] is None and shown["months"][-1]["alliance"] is None
    assert shown["all"] == before


def test_a_hidden_month_counts_once_it_meets_the_minimum(hub):
    group = join(hub, 5, when=months_ago(hub, 3))
    for membership in group[:4]:
        answer(membership, 3, months_ago(hub, 2))
    assert hub_wellbeing(hub=hub)["all"]["bands"] is None
    answer(group[4], 3, months_ago(hub, 2))
    assert hub_wellbeing(hub=hub)["all"]["bands"] == {"poor": 100, "moderate": 0, "good": 0}


def test_one_clients_rating_in_a_small_month_does_not_move_the_professionals_average(hub, offer):
    pro = offer.professional
    group = join(hub, 6, when=months_ago(hub, 3))
    for membership in group[:5]:
        booking = hub_session(membership, offer, ended_at=months_ago(hub, 2, day=10))
        rate(membership, booking, score=4, when=months_ago(hub, 2, day=11))
    assert str(professional_alliance(professional=pro)["mean"]) == "4.0"
    booking = hub_session(group[5], offer, ended_at=months_ago(hub, 1, day=10))
    rate(group[5], booking, score=1, when=months_ago(hub, 1, day=11))
    assert str(professional_alliance(professional=pro)["mean"]) == "4.0"


def test_one_person_in_two_hubs_is_one_rater(hub, offer):
    """Four people, one of them a member of two hubs: four raters, not five."""
    pro = offer.professional
    group = join(hub, 4, when=months_ago(hub, 3))
    second = HubFactory()
    twice = join(second, 1, when=months_ago(hub, 3))[0]
    twice.user = group[0].user
    twice.email = group[0].email
    twice.save()
    for membership in [*group, twice]:
        booking = hub_session(membership, offer, ended_at=months_ago(hub, 2, day=10))
        rate(membership, booking, score=4, when=months_ago(hub, 2, day=11))
    assert professional_alliance(professional=pro)["mean"] is None
    fifth = join(hub, 1, when=months_ago(hub, 3))[0]
    booking = hub_session(fifth, offer, ended_at=months_ago(hub, 2, day=10))
    rate(fifth, booking, score=4, when=months_ago(hub, 2, day=11))
    assert str(professional_alliance(professional=pro)["mean"]) == "4.0"
