"""An on-site session on every page: its address on the session page, no Join
button anywhere (even while a video call would be open), no call page and no
seat in the call; hubs say where a professional meets. Pages ask no more
queries for it than for a video session."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.services import booking_invite
from tengja.video.access import seat_for
from tests.bookings.conftest import invitation_path
from tests.factories import BookingFactory, SessionTypeFactory
from tests.test_pages import CLIENT_HOME_QUERIES

ADDRESS = "Laugavegur 26, 3. hæð\n101 Reykjavík"
JOIN = "Join video session"


@pytest.fixture
def on_site(professional):
    return SessionTypeFactory(
        professional=professional, name="At the clinic", mode="in_person", address=ADDRESS
    )


@pytest.fixture
def soon(alice, on_site):
    """An on-site session starting in five minutes: a video one would be joinable."""
    return BookingFactory(
        client=alice,
        session_type=on_site,
        location=on_site.location,
        starts_at=timezone.now() + timedelta(minutes=5),
    )


@pytest.fixture
def video_soon(alice, professional):
    kind = SessionTypeFactory(professional=professional, name="Video talk")
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(hours=2)
    )


def page(client, user, name: str, *args) -> str:
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_the_session_page_says_where_and_offers_no_call(client, alice, professional, soon):
    for user in (alice, professional.user):
        body = page(client, user, "bookings:detail", soon.code)
        assert "At the clinic · On site ·" in body
        assert "<dt>Where</dt>" in body and "Laugavegur 26, 3. hæð<br>101 Reykjavík" in body
        assert (
            'href="https://www.openstreetmap.org/search?query=Laugavegur+26%2C+3.+h%C3%A6%C3%B0'
            '%2C+101+Reykjav%C3%ADk"' in body
        )
        assert JOIN not in body
        assert reverse("video:join", args=[soon.code]) not in body
        # Google's and Outlook's new events carry the place too.
        assert body.count("location=Laugavegur+26%2C+3.+h%C3%A6%C3%B0%2C+101+Reykjav%C3%ADk") == 2
        assert "<script" not in body.split("<main", 1)[1].split("</main>")[0]


def test_the_session_page_in_icelandic(client, alice, soon):
    alice.language = "is"
    alice.save()
    body = page(client, alice, "bookings:detail", soon.code)
    assert "At the clinic · Á staðnum ·" in body and "<dt>Hvar</dt>" in body
    assert "Tengjast myndfundi" not in body


def test_home_rows_have_no_join_button_for_an_on_site_session(
    client, alice, professional, soon, video_soon
):
    for user in (alice, professional.user):
        body = page(client, user, "dashboard:home")
        assert "At the clinic · On site ·" in body
        # The video session two hours away shows its (not yet open) button; the
        # on-site one five minutes away none.
        assert body.count(JOIN) == 1
        assert reverse("video:join", args=[soon.code]) not in body
    body = page(client, professional.user, "bookings:practice")
    assert body.count(JOIN) == 1


def test_a_video_session_keeps_its_join_button(client, alice, professional, on_site):
    video = BookingFactory(
        client=alice,
        session_type=SessionTypeFactory(professional=professional),
        starts_at=timezone.now() + timedelta(minutes=5),
    )
    body = page(client, alice, "bookings:detail", video.code)
    assert f'href="{reverse("video:join", args=[video.code])}"' in body
    assert "<dt>Where</dt>" not in body and "· Video ·" in body


def test_the_call_page_is_refused_with_a_clear_page(client, alice, professional, bob, soon):
    url = reverse("video:join", args=[soon.code])
    for user in (alice, professional.user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()
        assert "This session has no video call" in body
        assert "Laugavegur 26, 3. hæð<br>101 Reykjavík" in body
        assert "video-config" not in body
        # The camera and microphone stay off, as on every page but a call's.
        assert "camera=(self)" not in response["Permissions-Policy"]
    client.force_login(bob)  # a stranger learns nothing, as for any session
    response = client.get(url)
    assert response.status_code == 404
    assert "Laugavegur" not in response.content.decode()


def test_the_call_page_refusal_in_icelandic(client, alice, soon):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    response = client.get(reverse("video:join", args=[soon.code]))
    assert response.status_code == 404
    assert "Enginn myndfundur er í þessum tíma" in response.content.decode()


def test_nobody_has_a_seat_in_an_on_site_sessions_call(alice, professional, soon, video_soon):
    now = soon.starts_at
    assert seat_for(user=alice, code=soon.code, now=now) is None
    assert seat_for(user=professional.user, code=soon.code, now=now) is None
    # The same people, in a video session's open call, have theirs.
    assert seat_for(user=alice, code=video_soon.code, now=video_soon.starts_at) is not None


def test_hub_browse_offer_and_review_say_where(client, member, offer):
    kind = offer.session_type
    client.force_login(member.user)
    browse = reverse("hubs:browse", args=[member.hub.code])
    assert "<p>Video</p>" in client.get(browse).content.decode()

    kind.mode, kind.address = "in_person", ADDRESS
    kind.save()
    body = client.get(browse).content.decode()
    assert "<p>On site, Laugavegur 26, 3. hæð, 101 Reykjavík</p>" in body
    offer_page = client.get(reverse("hubs:offer", args=[member.hub.code, offer.professional.code]))
    assert "On site, Laugavegur 26, 3. hæð, 101 Reykjavík" in offer_page.content.decode()
    [(_day, [first, *_]), *_] = offer_page.context["days"]
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    starts = first.starts_at.isoformat()
    body = client.get(review, {"starts_at": starts}).content.decode()
    assert "Talk · On site ·" in body
    assert "<dt>Where</dt><dd>Laugavegur 26, 3. hæð<br>101 Reykjavík</dd>" in body

    member.user.language = "is"
    member.user.save()
    body = client.get(browse).content.decode()
    assert "<p>Á staðnum, Laugavegur 26, 3. hæð, 101 Reykjavík</p>" in body


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_on_site_sessions_cost_no_more_queries_than_video_ones(
    client, alice, professional, on_site
):
    """Home and the session page for each kind of session, the one before the
    other: no more for on site (the address is a column of the session row)."""
    video_kind = SessionTypeFactory(professional=professional)
    start = timezone.now() + timedelta(days=1)
    counts = {}
    for name, kind in (("video", video_kind), ("on_site", on_site)):
        booking = BookingFactory(
            client=alice, session_type=kind, location=kind.location, starts_at=start
        )
        client.force_login(alice)
        counts[name] = (
            queries(client, reverse("dashboard:home")),
            queries(client, reverse("bookings:detail", args=[booking.code])),
        )
        client.force_login(professional.user)
        counts[name] += (queries(client, reverse("dashboard:home")),)
        booking.delete()
    # No more for the on-site session: it has no call, so what a call waits for
    # (tengja.bookings.gates) is not even asked.
    assert all(o <= v for o, v in zip(counts["on_site"], counts["video"], strict=True))


def test_home_stays_within_its_budget_with_many_on_site_sessions(
    client, alice, on_site, django_assert_max_num_queries
):
    start = timezone.now() + timedelta(days=1)
    for hours in range(12):
        BookingFactory(
            client=alice,
            session_type=on_site,
            location=on_site.location,
            starts_at=start + timedelta(hours=hours),
        )
    client.force_login(alice)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        body = client.get(reverse("dashboard:home")).content.decode()
    assert body.count("At the clinic · On site ·") == 10 and JOIN not in body


def test_an_invited_new_address_sees_where_before_signing_up(
    client, professional, on_site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_invite(
            professional=professional,
            session_type=on_site,
            starts_at=timezone.now() + timedelta(days=2),
            email="new@example.com",
        )
    body = client.get(invitation_path()).content.decode()
    assert "On site, Laugavegur 26, 3. hæð, 101 Reykjavík" in body
