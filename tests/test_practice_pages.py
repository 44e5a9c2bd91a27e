"""The professional's week and client list: their own sessions and clients only,
in their time zone, at a cost in queries that does not grow with the data."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.billing.services import invoice_issue
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel, booking_invite
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

# Each with the open requests' count in the practice's navigation (one).
WEEK_QUERIES = 7  # with the time off on it (dashboard.week_time_off)
CLIENTS_QUERIES = 8
CLIENT_QUERIES = (
    16  # with the outcome measures (three), the private notes and their templates (two),
    # and the requests' count in the navigation (one)
    + 1  # and the client's wellbeing index, if they share it (tengja.wellbeing)
)


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(professional=professional, name="Viðtal")


def next_monday() -> datetime:
    zone = zoneinfo.ZoneInfo("America/New_York")
    today = timezone.localtime(timezone.now(), zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 9, 0, tzinfo=zone)


@pytest.fixture
def week(professional, kind, alice):
    """Next week, in New York: Alice on Monday at 9, an invited address on
    Wednesday at 14, a cancelled session on Friday at 16."""
    user = professional.user
    user.time_zone = "America/New_York"
    user.save()
    monday = next_monday()
    sessions = {
        "alice": booking_invite(
            professional=professional, session_type=kind, starts_at=monday, email=alice.email
        ),
        "invited": booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=monday + timedelta(days=2, hours=5),
            email="new.person@example.com",
        ),
    }
    cancelled = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=monday + timedelta(days=4, hours=7),
        email=alice.email,
    )
    sessions["cancelled"] = booking_cancel(booking=cancelled, by=alice)
    return monday, sessions


def test_the_week_shows_every_session_in_the_professionals_zone(
    client, professional, alice, week, django_capture_on_commit_callbacks
):
    monday, sessions = week
    url = reverse("dashboard:practice_week") + f"?week={monday.date().isoformat()}"
    # Alice has an account, but has not opened her invitation: she reads exactly
    # like the address with none (whether an address has an account is hers to say).
    client.force_login(professional.user)

    def at_nine(body):
        return body.split("09:00–09:50", 1)[1].split("</a>", 1)[0]

    body = client.get(url).content.decode()
    assert "Alice Andersen" not in at_nine(body) and alice.email in at_nine(body)
    assert "Planned · invited, not yet accepted" in at_nine(body)
    assert "14:00–14:50" in body and "new.person@example.com" in body
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("bookings:detail", args=[sessions["alice"].code]))
    client.force_login(professional.user)
    body = client.get(url).content.decode()
    assert "Alice Andersen" in at_nine(body) and "Planned" in at_nine(body)
    assert "16:00–16:50" in body and "Cancelled" in body
    assert "America/New_York" in body
    # Keyboard and phone: links to the weeks around, to today, and to each day.
    assert f"?week={(monday.date() - timedelta(days=7)).isoformat()}" in body
    assert f"?day={monday.date().isoformat()}" in body
    assert 'class="pro-day-view"' in body


def test_a_day_picks_its_week_and_the_day_view(client, professional, week):
    monday, _sessions = week
    wednesday = monday.date() + timedelta(days=2)
    client.force_login(professional.user)
    response = client.get(reverse("dashboard:practice_week") + f"?day={wednesday.isoformat()}")
    assert response.context["day"].date == wednesday
    # The day's rows (dashboard.selectors.SessionRow) name the invited address.
    assert [row.who for row in response.context["day"].bookings] == ["new.person@example.com"]
    assert response.context["week"][0].date == monday.date()


def test_each_row_of_the_week_says_what_the_session_model_says(client, professional, kind, alice):
    """The week's rows are made from a few columns, not from Booking instances:
    they name the client and state of every kind of session as the model does."""
    monday = next_monday()
    erased = UserFactory(name="Gone Person", erased_at=timezone.now())
    kinds = [
        ({}, "Planned"),
        ({"paid_with": Booking.PaidWith.CREDITS, "credits": 1}, "Planned · credits"),
        ({"status": Booking.Status.CANCELLED}, "Cancelled"),
        (
            {"status": Booking.Status.CANCELLED, "paid_with": Booking.PaidWith.CREDITS},
            "Cancelled · credits given back",
        ),
        ({"status": Booking.Status.CANCELLED, "late_cancellation": True}, "Cancelled late"),
        (
            {
                "status": Booking.Status.CANCELLED,
                "late_cancellation": True,
                "paid_with": Booking.PaidWith.CREDITS,
            },
            "Cancelled late · credits",
        ),
        ({"cancel_reason": Booking.CancelReason.NO_SHOW, "status": "cancelled"}, "No-show"),
        ({"completed_at": timezone.now()}, "Done"),
        ({"client": erased}, "Planned"),
    ]
    bookings = [
        BookingFactory(
            professional=professional,
            session_type=kind,
            starts_at=monday + timedelta(hours=i),
            **{"client": alice, **fields},
        )
        for i, (fields, _state) in enumerate(kinds)
    ]
    invited = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=monday + timedelta(hours=len(kinds)),
        email=alice.email,
    )
    client.force_login(professional.user)
    response = client.get(reverse("dashboard:practice_week") + f"?day={monday.date()}")
    rows = response.context["day"].bookings
    assert [row.code for row in rows] == [b.code for b in [*bookings, invited]]
    assert [row.status for row in rows] == [
        *(state for _fields, state in kinds),
        "Planned · invited, not yet accepted",
    ]
    assert [row.who for row in rows] == [
        Booking.objects.get(pk=b.pk).client_label for b in [*bookings, invited]
    ]
    assert rows[-2].who == "Deleted account" and rows[-1].who == alice.email
    body = response.content.decode()
    assert body.count("pro-session pro-session--cancelled") == 2 * 5  # the week and the day
    assert f'href="/sessions/{invited.code}/"' in body


def test_the_week_is_only_for_professionals(client, alice):
    client.force_login(alice)
    assert client.get(reverse("dashboard:practice_week")).status_code == 404
    assert client.get(reverse("dashboard:practice_clients")).status_code == 404


def test_the_week_is_kept_until_a_session_changes(
    client, professional, alice, week, django_capture_on_commit_callbacks
):
    monday, sessions = week
    url = reverse("dashboard:practice_week") + f"?day={monday.date().isoformat()}"
    client.force_login(professional.user)
    day = client.get(url).content.decode().split('id="day-heading"')[1]
    assert "Cancelled" not in day
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=sessions["alice"], by=alice)
    day = client.get(url).content.decode().split('id="day-heading"')[1]
    assert "Cancelled" in day


def test_the_week_costs_the_same_queries_however_busy(
    client, professional, kind, week, django_assert_max_num_queries
):
    monday, _sessions = week
    url = reverse("dashboard:practice_week") + f"?week={monday.date().isoformat()}"
    client.force_login(professional.user)
    with django_assert_max_num_queries(WEEK_QUERIES):
        client.get(url)
    for i in range(40):
        BookingFactory(
            professional=professional,
            session_type=kind,
            client=UserFactory(),
            starts_at=monday + timedelta(hours=i, minutes=55),
        )
    with django_assert_max_num_queries(WEEK_QUERIES):
        assert client.get(url).content.decode().count("pro-session__time") >= 43


def test_clients_are_the_professionals_own_with_their_counts(
    client, professional, other_professional, alice, bob, kind, week
):
    # Bob sees only the other professional: he is not on this list.
    BookingFactory(
        professional=other_professional,
        session_type=SessionTypeFactory(professional=other_professional),
        client=bob,
    )
    # Alice's sessions with the other professional are not counted here.
    BookingFactory(
        professional=other_professional,
        session_type=SessionTypeFactory(professional=other_professional),
        client=alice,
        starts_at=timezone.now() + timedelta(days=2),
    )
    past = BookingFactory(
        professional=professional,
        session_type=kind,
        client=alice,
        starts_at=timezone.now() - timedelta(days=3),
    )
    invoice_issue(booking=past)
    client.force_login(professional.user)
    response = client.get(reverse("dashboard:practice_clients"))
    [row] = response.context["clients"]
    assert row == alice
    assert (row.upcoming, row.last_at, row.open_bills) == (1, past.starts_at, 2)
    body = response.content.decode()
    assert "Bob" not in body
    assert "new.person@example.com" in body  # invited, no account yet


def test_the_client_list_shows_each_clients_last_session_held(
    client, professional, other_professional, alice, kind
):
    """Not how many they have had (a count that grows with the years), but
    when the last was: cancelled ones, those to come and those with another
    professional aside."""
    now = timezone.now()

    def session(days, **fields):
        return BookingFactory(
            professional=professional,
            session_type=kind,
            client=alice,
            starts_at=now + timedelta(days=days),
            **fields,
        )

    session(-30)
    held = session(-10)
    session(-3, status=Booking.Status.CANCELLED)
    to_come = session(4)
    BookingFactory(
        professional=other_professional,
        session_type=SessionTypeFactory(professional=other_professional),
        client=alice,
        starts_at=now - timedelta(days=1),
    )
    client.force_login(professional.user)
    response = client.get(reverse("dashboard:practice_clients"))
    [row] = response.context["clients"]
    assert (row.last_at, row.next_at, row.upcoming) == (held.starts_at, to_come.starts_at, 1)
    body = response.content.decode()
    assert '<th scope="col">Last session</th>' in body and ">Past<" not in body
    assert f'<time datetime="{timezone.localtime(held.starts_at).isoformat()}">' in body


def test_the_client_list_is_read_a_page_at_a_time_by_name(client, professional, kind):
    start = timezone.now() + timedelta(days=1)
    for i in range(52):
        BookingFactory(
            professional=professional,
            session_type=kind,
            client=UserFactory(name=f"Client {i:02}"),
            starts_at=start + timedelta(hours=i),
        )
    client.force_login(professional.user)
    first = client.get(reverse("dashboard:practice_clients")).context["clients"]
    second = client.get(reverse("dashboard:practice_clients") + "?page=2").context["clients"]
    assert [c.name for c in first] == [f"Client {i:02}" for i in range(50)]
    assert [c.name for c in second] == ["Client 50", "Client 51"]
    assert first.has_next() and not second.has_next()
    assert [c.upcoming for c in second] == [1, 1]


def test_a_client_page_shows_sessions_and_open_bills(client, professional, alice, week):
    client.force_login(professional.user)
    response = client.get(reverse("dashboard:practice_client", args=[alice.code]))
    assert response.status_code == 200
    assert [b.code for b in response.context["upcoming"]] == [week[1]["alice"].code]
    assert [b.code for b in response.context["past"]] == [week[1]["cancelled"].code]
    [bill] = response.context["bills"]
    assert bill.booking == week[1]["alice"]


def test_someone_elses_client_is_404(client, professional, other_professional, alice, bob, week):
    client.force_login(other_professional.user)
    assert client.get(reverse("dashboard:practice_client", args=[alice.code])).status_code == 404
    client.force_login(professional.user)
    assert client.get(reverse("dashboard:practice_client", args=[bob.code])).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("dashboard:practice_client", args=[alice.code])).status_code == 404


def test_the_client_pages_cost_the_same_queries_however_many(
    client, professional, kind, alice, django_assert_max_num_queries
):
    client.force_login(professional.user)

    def pages():
        with django_assert_max_num_queries(CLIENTS_QUERIES):
            client.get(reverse("dashboard:practice_clients"))
        with django_assert_max_num_queries(CLIENT_QUERIES):
            client.get(reverse("dashboard:practice_client", args=[alice.code]))

    BookingFactory(professional=professional, session_type=kind, client=alice)
    pages()
    start = timezone.now() + timedelta(days=1)
    people = [UserFactory() for _ in range(30)] + [alice]
    for i in range(1, 121):
        booking = Booking.objects.create(
            professional=professional,
            client=people[i % len(people)],
            session_type=kind,
            starts_at=start + timedelta(hours=i * (1 if i % 2 else -1)),
            ends_at=start + timedelta(hours=i * (1 if i % 2 else -1), minutes=50),
            price_amount=100,
            currency="ISK",
        )
        invoice_issue(booking=booking)
    pages()
