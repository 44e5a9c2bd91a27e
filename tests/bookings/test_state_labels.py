"""Every list and page says where each session stands (Booking.State): planned,
in progress, ended and not marked done, done, cancelled, no-show, void; in
English and Icelandic (issue 28)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tengja.bookings.models import Booking
from tests.factories import BookingFactory, SessionTypeFactory

# Wednesday 5 March 2031, 12:00 in Reykjavik (UTC).
NOW = datetime(2031, 3, 5, 12, 0, tzinfo=UTC)
DAY = "2031-03-05"
Reason = Booking.CancelReason
CANCELLED = Booking.Status.CANCELLED

# Each state, the session that is in it (its start, and what makes it so).
SESSIONS = {
    Booking.State.NO_SHOW: (5, {"status": CANCELLED, "cancel_reason": Reason.NO_SHOW}),
    Booking.State.DONE: (7, {"completed_at": NOW - timedelta(hours=4)}),
    Booking.State.ENDED: (9, {}),
    Booking.State.IN_PROGRESS: (11.75, {}),
    Booking.State.PLANNED: (14, {}),
    Booking.State.CANCELLED: (16, {"status": CANCELLED, "cancel_reason": Reason.BY_CLIENT}),
    Booking.State.VOID: (18, {"status": CANCELLED, "cancel_reason": Reason.MISTAKE}),
}
LABELS = {
    "en": {
        Booking.State.PLANNED: "Planned",
        Booking.State.IN_PROGRESS: "In progress",
        Booking.State.ENDED: "Ended, not marked done",
        Booking.State.DONE: "Done",
        Booking.State.CANCELLED: "Cancelled",
        Booking.State.NO_SHOW: "No-show",
        Booking.State.VOID: "Void",
    },
    "is": {
        Booking.State.PLANNED: "Á dagskrá",
        Booking.State.IN_PROGRESS: "Stendur yfir",
        Booking.State.ENDED: "Liðinn, ekki merktur lokinn",
        Booking.State.DONE: "Lokið",
        Booking.State.CANCELLED: "Afbókað",
        Booking.State.NO_SHOW: "Mætti ekki",
        Booking.State.VOID: "Ógiltur",
    },
}


@pytest.fixture
def sessions(alice, professional) -> dict[str, Booking]:
    kind = SessionTypeFactory(professional=professional, price_amount=18000)
    made = {}
    with time_machine.travel(NOW, tick=False):
        for state, (hour, fields) in SESSIONS.items():
            starts_at = datetime(2031, 3, 5, tzinfo=UTC) + timedelta(hours=hour)
            made[state] = BookingFactory(
                professional=professional,
                session_type=kind,
                client=alice,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=50),
                **fields,
            )
    for state, booking in made.items():
        assert booking.state(NOW) == state
    return made


def words(html: str) -> str:
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def shown(client, user, language, url) -> str:
    user.language = language
    user.save(update_fields=["language"])
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)  # signed in then: a session from today would have expired
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def states_in(html: str, language: str) -> set[str]:
    """The states whose label is on the page, each as its own label element."""
    return {
        state
        for state, label in LABELS[language].items()
        if re.search(rf'class="state state--{state}">{re.escape(label)}<', html)
        or f'<span class="pro-session__status">{label}' in html
    }


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_session_page_says_its_state(client, alice, professional, sessions, language):
    for state, booking in sessions.items():
        for person in (alice, professional.user):
            url = reverse("bookings:detail", args=[booking.code])
            html = shown(client, person, language, url)
            assert states_in(html, language) == {state}, (state, person)


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_calendar_day_and_the_professionals_week_list_every_state(
    client, alice, professional, sessions, language
):
    calendar = shown(client, alice, language, reverse("dashboard:calendar") + f"?day={DAY}")
    # The calendar holds the sessions that take place (cancelled ones are not in it).
    assert states_in(calendar, language) == {
        Booking.State.PLANNED,
        Booking.State.IN_PROGRESS,
        Booking.State.ENDED,
        Booking.State.DONE,
    }
    week = shown(client, professional.user, language, reverse("dashboard:practice_week"))
    assert states_in(week, language) == set(SESSIONS)
    assert LABELS[language][Booking.State.ENDED] in words(week)


@pytest.mark.parametrize("language", ["en", "is"])
def test_home_and_the_practice_client_page_show_states(
    client, alice, professional, sessions, language
):
    home = shown(client, alice, language, reverse("dashboard:home"))
    # Home: what is to come (planned, in progress) and what was.
    assert {Booking.State.PLANNED, Booking.State.IN_PROGRESS} <= states_in(home, language)
    assert Booking.State.DONE in states_in(home, language)
    page = shown(
        client,
        professional.user,
        language,
        reverse("dashboard:practice_client", args=[alice.code]),
    )
    assert states_in(page, language) == set(SESSIONS)
