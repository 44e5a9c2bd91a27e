from django.urls import reverse

from tengja.wellbeing.selectors import professional_alliance
from tests.wellbeing.conftest import hub_session, join, last_month, rate


def test_a_professional_sees_their_average_only_from_the_minimum(client, hub, offer):
    pro = offer.professional
    group = join(hub, 5)
    for index, membership in enumerate(group[:4]):
        booking = hub_session(membership, offer, ended_at=last_month(hub, day=3))
        rate(membership, booking, score=2 + index % 2, when=last_month(hub, day=4))
    client.force_login(pro.user)
    page = client.get(reverse("dashboard:practice_hubs")).content.decode()
    assert "Shown once at least 5 members have rated" in page
    assert professional_alliance(professional=pro)["mean"] is None
    booking = hub_session(group[4], offer, ended_at=last_month(hub, day=3))
    rate(group[4], booking, score=5, when=last_month(hub, day=4))
    page = client.get(reverse("dashboard:practice_hubs")).content.decode()
    assert "Average: 3.0 out of 5" in page
    # Never who gave what.
    for membership in group:
        assert membership.user.name not in page and membership.user.email not in page


def test_a_rating_this_month_is_not_shown_yet(client, hub, offer):
    pro = offer.professional
    group = join(hub, 5)
    for membership in group:
        rate(membership, hub_session(membership, offer))  # now
    assert professional_alliance(professional=pro)["mean"] is None


def test_a_professional_never_reaches_anothers_figures(client, hub, offer, other_professional):
    group = join(hub, 5)
    for membership in group:
        booking = hub_session(membership, offer, ended_at=last_month(hub, day=3))
        rate(membership, booking, score=4, when=last_month(hub, day=4))
    client.force_login(other_professional.user)
    page = client.get(reverse("dashboard:practice_hubs")).content.decode()
    assert "Average:" not in page and "Shown once at least 5" in page
    assert professional_alliance(professional=other_professional)["mean"] is None
