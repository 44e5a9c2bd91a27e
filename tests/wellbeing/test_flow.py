from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.wellbeing.instruments import GOOD, MODERATE, POOR, band, percentage, who5_clean
from tengja.wellbeing.models import Checkin, Rating, Share
from tengja.wellbeing.services import WellbeingError, who5_answer
from tests.wellbeing.conftest import answer, hub_session, rate, who5


def test_who5_scoring_and_bands():
    assert percentage(25) == 100 and percentage(7) == 28
    assert band(12) == POOR and band(13) == MODERATE and band(17) == MODERATE
    assert band(18) == GOOD
    assert sum(who5_clean(who5(13)).values()) == 13
    for bad in ({"1": "6", "2": "0", "3": "0", "4": "0", "5": "0"}, {"1": "1"}, {"9": "1"}):
        with pytest.raises(ValueError):
            who5_clean(bad)


def test_member_answers_from_home_and_the_card_goes(client, member):
    client.force_login(member.user)
    home = client.get(reverse("dashboard:home")).content.decode()
    url = reverse("wellbeing:index", args=[member.hub.code])
    assert url in home
    page = client.get(url).content.decode()
    assert "I woke up feeling fresh and rested" in page and 'lang="en"' in page
    response = client.post(url, who5(20))
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "80 out of 100" in page and "We will ask again" in page
    assert url not in client.get(reverse("dashboard:home")).content.decode()
    # Not due again: a second answer is refused and nothing is kept.
    client.post(url, who5(5))
    assert Checkin.objects.count() == 1


def test_the_hubs_interval_decides_when_it_is_asked_again(member):
    answer(member, 10)
    with pytest.raises(WellbeingError):
        answer(member, 10, timezone.now() + timedelta(days=13))
    answer(member, 12, timezone.now() + timedelta(days=15))
    member.hub.wellbeing_every_weeks = 0
    member.hub.save()
    with pytest.raises(WellbeingError):
        answer(member, 10, timezone.now() + timedelta(days=40))


def test_bad_answers_are_refused_and_nothing_kept(client, member):
    client.force_login(member.user)
    url = reverse("wellbeing:index", args=[member.hub.code])
    response = client.post(url, {"1": "3", "2": "9"})
    assert response.status_code == 400
    assert "Please answer every question." in response.content.decode() or (
        "Each answer must be one of the choices given." in response.content.decode()
    )
    assert not Checkin.objects.exists()


def test_only_members_reach_the_index(client, alice, member, hr, professional):
    url = reverse("wellbeing:index", args=[member.hub.code])
    for person in (alice, hr, professional.user):
        client.force_login(person)
        assert client.get(url).status_code == 404
        assert client.post(url, who5(10)).status_code == 404
    assert not Checkin.objects.exists()


def test_a_hub_session_is_rated_once_by_its_client_after_it_ended(client, member, offer, alice):
    booking = hub_session(member, offer)
    url = reverse("wellbeing:rate", args=[booking.code])
    client.force_login(member.user)
    assert url in client.get(reverse("dashboard:home")).content.decode()
    response = client.post(url, {"1": "5", "2": "4", "3": "4", "4": "4"})
    assert response.status_code == 302
    assert str(Rating.objects.get().score) == "4.25"
    assert url not in client.get(reverse("dashboard:home")).content.decode()
    # Twice: refused with a message, nothing changes.
    response = client.post(url, {"1": "1", "2": "1", "3": "1", "4": "1"}, follow=True)
    assert "You have already rated this session." in response.content.decode()
    assert Rating.objects.count() == 1
    # Anyone else: 404.
    for person in (alice, offer.professional.user):
        client.force_login(person)
        assert client.get(url).status_code == 404


def test_a_session_not_ended_or_not_paid_with_credits_is_refused(client, member, offer):
    later = hub_session(member, offer, ended_at=timezone.now() + timedelta(days=2))
    client.force_login(member.user)
    url = reverse("wellbeing:rate", args=[later.code])
    response = client.post(url, {"1": "5", "2": "5", "3": "5", "4": "5"}, follow=True)
    assert "You can rate the session once it has ended." in response.content.decode()
    assert not Rating.objects.exists()
    from tests.factories import BookingFactory

    own = BookingFactory(client=member.user, starts_at=timezone.now() - timedelta(days=1))
    assert client.get(reverse("wellbeing:rate", args=[own.code])).status_code == 404


def test_putting_a_rating_aside_stops_the_question(client, member, offer):
    booking = hub_session(member, offer)
    client.force_login(member.user)
    url = reverse("wellbeing:rate", args=[booking.code])
    assert client.post(url, {"skip": "1"}).status_code == 302
    assert Rating.objects.get().score is None
    assert url not in client.get(reverse("dashboard:home")).content.decode()


def test_bad_rating_is_refused_and_nothing_kept(client, member, offer):
    booking = hub_session(member, offer)
    client.force_login(member.user)
    response = client.post(reverse("wellbeing:rate", args=[booking.code]), {"1": "7"})
    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_sharing_with_a_professional_shows_the_index_on_their_client_page(
    client, member, offer, professional
):
    hub_session(member, offer)
    answer(member, 9)
    pro = offer.professional
    page_url = reverse("dashboard:practice_client", args=[member.user.code])
    client.force_login(pro.user)
    assert "Wellbeing index (shared with you)" not in client.get(page_url).content.decode()
    client.force_login(member.user)
    share = reverse("wellbeing:share")
    client.post(share, {"professional": pro.code, "shared": "1", "hub": member.hub.code})
    assert Share.objects.filter(user=member.user, professional=pro).exists()
    client.force_login(pro.user)
    assert "Wellbeing index (shared with you)" in client.get(page_url).content.decode()
    # Revoked: gone again.
    client.force_login(member.user)
    client.post(share, {"professional": pro.code, "shared": "0"})
    client.force_login(pro.user)
    assert "Wellbeing index (shared with you)" not in client.get(page_url).content.decode()
    # A professional they never had a session with cannot be shared with.
    client.force_login(member.user)
    response = client.post(share, {"professional": professional.code, "shared": "1"})
    assert response.status_code == 404 and not Share.objects.filter(professional=professional)


def test_who5_answer_checks_the_answers_before_anything(member):
    with pytest.raises(WellbeingError):
        who5_answer(membership=member, data={"1": "1"})
    assert not Checkin.objects.exists()


def test_rate_many(member, offer):
    booking = hub_session(member, offer)
    rate(member, booking)
    assert Rating.objects.count() == 1


def test_hr_sets_how_often_members_are_asked(client, hr, hub):
    client.force_login(hr)
    data = {
        "welcome_text": hub.welcome_text,
        "credits_per_period": hub.credits_per_period,
        "period_months": hub.period_months,
        "credits_per_session": hub.credits_per_session,
        "wellbeing_every_weeks": "3",
    }
    page = client.get(reverse("hubs:admin", args=[hub.code])).content.decode()
    assert "Wellbeing Index every" in page
    url = reverse("hubs:admin_settings", args=[hub.code])
    assert client.post(url, data).status_code == 302
    hub.refresh_from_db()
    assert hub.wellbeing_every_weeks == 3
    # Not a choice: refused, nothing changes.
    assert client.post(url, {**data, "wellbeing_every_weeks": "7"}).status_code == 400
    hub.refresh_from_db()
    assert hub.wellbeing_every_weeks == 3
    assert client.post(url, {**data, "wellbeing_every_weeks": "0"}).status_code == 302
    hub.refresh_from_db()
    assert hub.wellbeing_every_weeks == 0


def test_answers_and_ratings_are_in_download_my_data(member, offer):
    from tengja.privacy.export_wellbeing import wellbeing_of, wellbeing_shares_of
    from tengja.wellbeing.services import share_set

    answer(member, 17)
    rate(member, hub_session(member, offer), score=5)
    share_set(user=member.user, professional=offer.professional, shared=True)
    rows = list(wellbeing_of(member.user))
    assert [r["kind"] for r in rows] == ["WHO-5", "session rating"]
    assert rows[0]["raw_score"] == 17 and rows[0]["percentage"] == 68
    assert rows[1]["score"] == "5.00"
    [shared] = wellbeing_shares_of(member.user)
    assert shared["professional"] == "Dr. Sól"
    # The professional's archive holds none of it.
    assert list(wellbeing_of(offer.professional.user)) == []


def test_a_removed_member_is_no_longer_asked(client, hr, member):
    from tengja.hubs.services import membership_remove

    membership_remove(hub=member.hub, email=member.email)
    client.force_login(member.user)
    url = reverse("wellbeing:index", args=[member.hub.code])
    assert url not in client.get(reverse("dashboard:home")).content.decode()
    assert client.get(url).status_code == 404


def test_icelandic_pages_show_the_who5_in_english_and_say_why(client, member):
    member.user.language = "is"
    member.user.save(update_fields=["language"])
    client.force_login(member.user)
    page = client.get(reverse("wellbeing:index", args=[member.hub.code])).content.decode()
    assert '<form method="post" class="measure-form" lang="en">' in page
    assert "íslensk þýðing WHO-5 fylgir ekki Tengju" in page
    assert "I have felt calm and relaxed" in page
