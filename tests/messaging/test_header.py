"""The header's count of conversations waiting unread: one more subquery in the
header's single statement, the same answer as messaging.selectors.unread_for."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.dashboard.selectors import header_values
from tengja.messaging.selectors import unread_count
from tests.factories import ProfessionalFactory, UserFactory
from tests.messaging.helpers import conversation_of, read, say

Role = Booking.Role


def test_the_header_counts_what_unread_for_counts(alice, bob, professional, other_professional):
    now = timezone.now()
    mine = conversation_of(professional=professional, client=alice)
    other = conversation_of(professional=other_professional, client=alice)
    bobs = conversation_of(professional=professional, client=bob)
    people = (alice, bob, professional.user, other_professional.user)

    def same() -> list[int]:
        counts = [header_values(user=p)["unread_messages"] for p in people]
        assert counts == [unread_count(user=p) for p in people]
        return counts

    assert same() == [0, 0, 0, 0]  # no messages yet
    say(mine, Role.PROFESSIONAL, at=now - timedelta(minutes=5))
    say(other, Role.PROFESSIONAL, at=now - timedelta(minutes=4))
    say(bobs, Role.CLIENT, at=now - timedelta(minutes=3))
    assert same() == [2, 0, 1, 0]
    read(mine, Role.CLIENT, at=now - timedelta(minutes=2))
    assert same() == [1, 0, 1, 0]
    say(mine, Role.PROFESSIONAL, at=now - timedelta(minutes=1))  # after her read mark
    assert same() == [2, 0, 1, 0]
    say(bobs, Role.PROFESSIONAL, at=now)  # answering reads it
    assert same() == [2, 1, 0, 0]
    # A professional who is also a client somewhere counts both sides.
    as_client = conversation_of(professional=other_professional, client=professional.user)
    say(as_client, Role.PROFESSIONAL, at=now)
    assert same() == [2, 1, 1, 0]


def test_the_header_shows_the_count_for_eyes_and_screen_readers(client, alice, professional):
    client.force_login(alice)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert '<span class="visually-hidden">Messages</span><span class="inbox__count"' in page
    assert "data-live-count hidden>0<" in page
    say(conversation_of(professional=professional, client=alice), Role.PROFESSIONAL)
    say(conversation_of(professional=ProfessionalFactory(), client=alice), Role.PROFESSIONAL)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert (
        'data-live-count>2</span><span class="visually-hidden" data-live-label>, 2 unread' in page
    )
    assert f'href="{reverse("messaging:inbox")}"' in page
    assert 'src="/static/js/live.js"' in page


def test_the_header_count_is_in_icelandic_too(client, alice, professional):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    say(conversation_of(professional=professional, client=alice), Role.PROFESSIONAL)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert '<span class="visually-hidden">Skilaboð</span>' in page
    assert "data-live-label>, 1 ólesin" in page
    assert 'data-new-message="Ný skilaboð"' in page


def test_a_visitor_gets_no_live_script(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "live.js" not in page


def test_the_header_is_one_query_with_few_or_many_conversations(
    client, alice, professional, django_assert_num_queries
):
    """The calendar page's budget (session, user, header, the count, the
    sessions) is the same with no conversation and with many unread."""
    client.force_login(alice)
    url = reverse("dashboard:calendar") + "?month=2031-03&week=2031-03-10"
    with django_assert_num_queries(5):
        client.get(url)
    for _ in range(30):
        pro = ProfessionalFactory()
        say(conversation_of(professional=pro, client=alice), Role.PROFESSIONAL)
        say(conversation_of(professional=professional, client=UserFactory()), Role.CLIENT)
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert "data-live-count>30<" in page
