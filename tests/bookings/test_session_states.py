"""What a session's page, Home, the calendar and the lists say about cancelling
and paying is true in every state of the session: free to cancel, within the
notice period, started, over, cancelled by the client (in time or late) or by
the professional, and for credits whether the credit came back; in both
languages. Each page is read before a change and again after it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tengja.bookings.services import booking_cancel
from tengja.hubs.services import balance, hub_book
from tests.bookings.conftest import START
from tests.hubs.test_booking_with_credits import slots

FREE = "Free until 24 hours before the start."
FREE_IS = "Ókeypis þar til 24 klukkustundir eru í tímann."


def text(html: str) -> str:
    """The page's main content as words, tags and runs of spaces gone."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.fixture
def booking(moving):
    """Alice's invited session, paid by bill: Thursday 6 March 2031, 10:00 (UTC)."""
    return moving


def page(client, user, booking) -> str:
    client.force_login(user)
    url = reverse("bookings:detail", args=[booking.code])
    client.get(url)  # the client's first look accepts the invitation; read again
    return text(client.get(url).content.decode())


@pytest.mark.parametrize(
    ("moment", "says", "never"),
    [
        (START - timedelta(days=2), [FREE], ["which has passed", "no longer be cancelled"]),
        (
            START - timedelta(hours=23),
            [
                "Free until Wednesday 5 March 2031, 10:00, which has passed: if you cancel "
                "now, the session stays payable."
            ],
            [FREE],
        ),
        (
            START + timedelta(minutes=5),
            ["It has started, so it can no longer be cancelled."],
            [FREE, "which has passed"],
        ),
        (START + timedelta(days=1), [], [FREE, "which has passed", "Cancellation"]),
    ],
)
def test_the_clients_session_page_in_each_moment(client, alice, booking, moment, says, never):
    with time_machine.travel(moment, tick=False):
        shown = page(client, alice, booking)
    for words in says:
        assert words in shown
    for words in never:
        assert words not in shown


def test_the_page_follows_the_clock_into_the_notice_period(client, alice, professional, booking):
    """Kept at first, the page changes at the end of the free period and at the start."""
    with time_machine.travel(START - timedelta(hours=25), tick=False):
        assert FREE in page(client, alice, booking)
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        shown = page(client, alice, booking)
        assert FREE not in shown and "which has passed" in shown
        pro = page(client, professional.user, booking)
        assert "The client could cancel free of charge until Wednesday 5 March 2031, 10:00." in pro
        assert FREE not in pro
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert "It has started" in page(client, alice, booking)
        # The professional may still cancel until the end: no rule to state.
        assert "Cancellation" not in page(client, professional.user, booking)


def test_in_icelandic_too(client, alice, booking):
    alice.language = "is"
    alice.save()
    with time_machine.travel(START - timedelta(days=2), tick=False):
        assert FREE_IS in page(client, alice, booking)
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        shown = page(client, alice, booking)
    assert FREE_IS not in shown
    assert "Ókeypis til miðvikudagur 5. mars 2031, kl. 10:00, en sá frestur er liðinn" in shown


@pytest.mark.parametrize(
    ("who", "moment", "client_says", "pro_says", "cost"),
    [
        (
            "alice",
            START - timedelta(days=2),
            "You cancelled it on",
            "The client cancelled it on",
            "nothing to pay",
        ),
        (
            "alice",
            START - timedelta(hours=2),
            "You cancelled it on",
            "The client cancelled it on",
            "still payable",
        ),
        (
            "pro",
            START - timedelta(hours=2),
            "Helga Sigurðardóttir cancelled it on",
            "You cancelled it on",
            "nothing to pay",
        ),
    ],
)
def test_a_cancelled_session_says_who_cancelled_and_what_is_owed(
    client,
    alice,
    professional,
    booking,
    django_capture_on_commit_callbacks,
    who,
    moment,
    client_says,
    pro_says,
    cost,
):
    with time_machine.travel(moment, tick=False):
        assert FREE in page(client, alice, booking) or "which has passed" in page(
            client, alice, booking
        )
        by = alice if who == "alice" else professional.user
        with django_capture_on_commit_callbacks(execute=True):
            booking_cancel(booking=booking, by=by)
        when = f"{moment:%-d} March 2031, {moment:%H:%M}."
        shown = page(client, alice, booking)
        assert f"{client_says} " in shown and when in shown
        assert f" · {cost}" in shown
        assert FREE not in shown and "which has passed" not in shown
        pro = page(client, professional.user, booking)
        assert pro_says in pro and cost in pro
        # Home's past list says the same of the cost.
        client.force_login(alice)
        home = text(client.get(reverse("dashboard:home")).content.decode())
        assert cost in home and "Cancelled" in home


# ------------------------------------------------------------------ credits


@pytest.fixture
def credit_session(member, offer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return hub_book(membership=member, offer=offer, starts_at=slots(offer)[-1].starts_at)


def pages(client, member, session) -> dict[str, str]:
    client.force_login(member.user)
    urls = {
        "session": reverse("bookings:detail", args=[session.code]),
        "home": reverse("dashboard:home"),
        "connection": reverse("dashboard:connection", args=[session.professional.code]),
    }
    return {name: text(client.get(url).content.decode()) for name, url in urls.items()}


@pytest.mark.parametrize(
    ("who", "hours_before", "says", "credits_after"),
    [
        ("member", 48, "1 credit, given back", 2),
        ("member", 2, "Paid with 1 credit, kept: cancelled late", 1),
        ("pro", 2, "1 credit, given back", 2),
    ],
)
def test_a_cancelled_credit_session_says_whether_the_credit_came_back(
    client,
    member,
    offer,
    credit_session,
    django_capture_on_commit_callbacks,
    who,
    hours_before,
    says,
    credits_after,
):
    moment = credit_session.starts_at - timedelta(hours=hours_before)
    with time_machine.travel(moment, tick=False):
        before = pages(client, member, credit_session)
        assert "Paid with 1 credit" in before["session"] and "Paid with 1 credit" in before["home"]
        by = member.user if who == "member" else offer.professional.user
        with django_capture_on_commit_callbacks(execute=True):
            booking_cancel(booking=credit_session, by=by)
        assert balance(membership=member) == credits_after
        after = pages(client, member, credit_session)
    for name, shown in after.items():
        assert says in shown, name
        if credits_after == 2:
            assert "Paid with 1 credit" not in shown, name
    if credits_after == 1:
        assert "so its 1 credit is spent" in after["session"]
    assert FREE not in after["session"] and "which has passed" not in after["session"]


def test_within_the_window_a_credit_session_says_the_credit_would_be_spent(
    client, member, credit_session
):
    with time_machine.travel(credit_session.starts_at - timedelta(hours=3), tick=False):
        shown = pages(client, member, credit_session)["session"]
    assert "which has passed: if you cancel now, the credit is spent." in shown
    assert FREE not in shown


def test_the_professionals_week_says_the_credit_came_back(
    client, member, offer, credit_session, django_capture_on_commit_callbacks
):
    pro = offer.professional.user
    client.force_login(pro)
    day = credit_session.starts_at.date().isoformat()
    url = reverse("dashboard:practice_week") + f"?day={day}"
    assert "credits given back" not in text(client.get(url).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=credit_session, by=member.user)
    assert "Cancelled · credits given back" in text(client.get(url).content.decode())
