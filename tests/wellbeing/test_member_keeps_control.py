"""A member can always see their own answers and stop sharing them; a rating is
asked only of an active member, and only for a while (review of issue 30)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.hubs.services import membership_remove
from tengja.wellbeing.models import Rating, Share
from tengja.wellbeing.selectors import RATE_DAYS, ratings_due, shared_with
from tengja.wellbeing.services import share_set
from tests.wellbeing.conftest import answer, hub_session, who5

SHARED = "Wellbeing index (shared with you)"


def test_a_removed_member_stops_sharing_and_the_professional_no_longer_sees(client, member, offer):
    hub_session(member, offer)
    answer(member, 9)
    pro = offer.professional
    share_set(user=member.user, professional=pro, shared=True)
    membership_remove(hub=member.hub, email=member.email)
    client.force_login(member.user)
    # A lasting way there: the profile.
    url = reverse("wellbeing:index", args=[member.hub.code])
    assert url in client.get(reverse("accounts:profile")).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Stop sharing with" in text and "36" in text  # the answer: 9 of 25 is 36
    assert 'name="1"' not in text  # no questionnaire
    assert client.post(url, who5(20)).status_code == 302  # nothing kept
    assert member.user.wellbeing_respondents.get().checkins.count() == 1
    response = client.post(
        reverse("wellbeing:share"),
        {"professional": pro.code, "shared": "0", "hub": member.hub.code},
    )
    assert response.status_code == 302 and response.url == url
    assert not Share.objects.filter(user=member.user).exists()
    assert shared_with(professional=pro, client=member.user) == []
    client.force_login(pro.user)
    page_url = reverse("dashboard:practice_client", args=[member.user.code])
    assert SHARED not in client.get(page_url).content.decode()


def test_stopping_needs_no_session(member, offer):
    booking = hub_session(member, offer)
    share_set(user=member.user, professional=offer.professional, shared=True)
    Booking.objects.filter(pk=booking.pk).update(client=None)  # the session is gone
    share_set(user=member.user, professional=offer.professional, shared=False)
    assert not Share.objects.exists()


def test_the_index_stays_reachable_when_the_hub_stops_asking(client, member):
    answer(member, 9)
    member.hub.wellbeing_every_weeks = 0
    member.hub.save()
    client.force_login(member.user)
    url = reverse("wellbeing:index", args=[member.hub.code])
    assert url in client.get(reverse("accounts:profile")).content.decode()
    assert client.get(url).status_code == 200


def test_nobody_else_reaches_a_former_members_index(client, member, alice):
    answer(member, 9)
    membership_remove(hub=member.hub, email=member.email)
    client.force_login(alice)
    assert client.get(reverse("wellbeing:index", args=[member.hub.code])).status_code == 404


def test_a_crafted_hub_on_sharing_goes_home(client, member, offer):
    hub_session(member, offer)
    client.force_login(member.user)
    for hub in ("a/b", "../x", "nosuchhub"):
        response = client.post(
            reverse("wellbeing:share"),
            {"professional": offer.professional.code, "shared": "1", "hub": hub},
        )
        assert response.status_code == 302 and response.url == reverse("dashboard:home")


def test_a_removed_member_is_not_asked_to_rate(client, member, offer):
    booking = hub_session(member, offer)
    assert ratings_due(user=member.user) == [booking]
    membership_remove(hub=member.hub, email=member.email)
    assert ratings_due(user=member.user) == []
    client.force_login(member.user)
    url = reverse("wellbeing:rate", args=[booking.code])
    assert client.get(url).status_code == 404
    assert client.post(url, {str(n): "4" for n in range(1, 5)}).status_code == 404
    assert not Rating.objects.exists()


def test_an_old_session_cannot_be_rated_by_url(client, member, offer):
    booking = hub_session(
        member, offer, ended_at=timezone.now() - timedelta(days=RATE_DAYS, hours=1)
    )
    assert ratings_due(user=member.user) == []
    client.force_login(member.user)
    url = reverse("wellbeing:rate", args=[booking.code])
    assert "too long ago" in client.get(url).content.decode()
    client.post(url, {str(n): "4" for n in range(1, 5)})
    assert not Rating.objects.exists()
