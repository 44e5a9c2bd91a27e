from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tests.factories import BookingFactory, ProfessionalFactory, SessionTypeFactory

UTC = ZoneInfo("UTC")


def test_join_link_is_enabled_only_in_the_join_window(client, alice, settings):
    booking = BookingFactory(client=alice, starts_at=timezone.now() + timedelta(hours=2))
    grace = timedelta(minutes=settings.VIDEO_GRACE_MINUTES)
    assert not booking.is_joinable()
    assert booking.is_joinable(booking.starts_at - timedelta(minutes=15))
    assert not booking.is_joinable(booking.starts_at - timedelta(minutes=16))
    # The button stays as long as the room does: until the grace after the end.
    assert booking.is_joinable(booking.ends_at + grace - timedelta(seconds=1))
    assert not booking.is_joinable(booking.ends_at + grace)
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'aria-disabled="true">Join video session' in body
    assert "Opens 15 minutes before the start." in body


def test_home_follows_the_clock(client, alice):
    """Home's Join button opens and closes, and a session ended moves to the past,
    with no change of data."""
    booking = BookingFactory(client=alice, starts_at=timezone.now() + timedelta(minutes=30))
    join = reverse("video:join", args=[booking.code])
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert join not in body and 'aria-disabled="true">Join video session' in body
    with time_machine.travel(booking.starts_at - timedelta(minutes=14)):
        body = client.get(reverse("dashboard:home")).content.decode()
        assert join in body
    with time_machine.travel(booking.ends_at + timedelta(minutes=1)):
        body = client.get(reverse("dashboard:home")).content.decode()
        past = body.split('id="history-heading"')[1]
        assert reverse("bookings:detail", args=[booking.code]) in past


def test_home_lists_past_sessions_below_and_paginates(client, alice):
    kind = SessionTypeFactory()
    now = timezone.now()
    for days in range(1, 13):
        BookingFactory(client=alice, session_type=kind, starts_at=now - timedelta(days=days))
    client.force_login(alice)
    first = client.get(reverse("dashboard:home"))
    assert len(first.context["history"]) == 10
    # A window, never counted: "Older" leads on, "Newer" back.
    body = first.content.decode()
    assert "Page 1" in body and 'href="?page=2#history" rel="next">Older' in body
    assert " of " not in body.split('class="pagination"')[1].split("</nav>")[0]
    second = client.get(reverse("dashboard:home") + "?page=2")
    assert len(second.context["history"]) == 2
    body = second.content.decode()
    assert 'href="?page=1#history" rel="prev">Newer' in body and 'rel="next"' not in body
    assert client.get(reverse("dashboard:home") + "?page=abc").status_code == 200


def test_calendar_month_shows_sessions_in_the_viewers_zone(client, alice):
    alice.time_zone = "Pacific/Auckland"
    alice.save()
    kind = SessionTypeFactory(name="Coaching", price_amount=2500, currency="EUR")
    # 20:00 UTC on 10 March is 09:00 on 11 March in Auckland.
    BookingFactory(client=alice, session_type=kind, starts_at=datetime(2031, 3, 10, 20, tzinfo=UTC))
    BookingFactory(session_type=kind, starts_at=datetime(2031, 3, 12, 20, tzinfo=UTC))  # not hers
    client.force_login(alice)
    response = client.get(reverse("dashboard:calendar") + "?month=2031-03")
    body = response.content.decode()
    days = {d.date.day: d for week in response.context["weeks"] for d in week if d.in_month}
    assert [b.session_type.name for b in days[11].bookings] == ["Coaching"]
    assert days[10].bookings == [] and days[12].bookings == []
    assert "09:00 Coaching" in body
    assert "€25.00" in body
    assert "March 2031" in body


def test_calendar_week_view_and_bad_parameters(client, alice):
    client.force_login(alice)
    response = client.get(reverse("dashboard:calendar") + "?week=2031-03-12")
    week = response.context["week"]
    assert week[0].date.isoformat() == "2031-03-10"  # Monday
    assert len(week) == 7
    for bad in ("?month=2031-13", "?week=notadate", "?month=99999-01", "?week=0001-01-01"):
        assert client.get(reverse("dashboard:calendar") + bad).status_code == 200


def test_calendar_shows_a_window_whatever_the_history(client, alice, django_assert_max_num_queries):
    """300 sessions two hours apart (12 a day): each day of the month and of the
    week shows three and links the rest, listed on the day's own page; the page
    stays small and its queries as few as with one session."""
    kind = SessionTypeFactory()
    client.force_login(alice)
    start = datetime(2031, 3, 1, 0, 30, tzinfo=UTC)
    Booking.objects.bulk_create(
        Booking(
            professional=kind.professional,
            client=alice,
            session_type=kind,
            starts_at=start + timedelta(hours=2 * i),
            ends_at=start + timedelta(hours=2 * i, minutes=50),
            price_amount=1,
            currency="ISK",
        )
        for i in range(300)
    )
    with django_assert_max_num_queries(6):
        response = client.get(reverse("dashboard:calendar") + "?month=2031-03&week=2031-03-10")
    assert len(response.content) < 40_000
    days = [d for w in response.context["weeks"] for d in w if d.in_month]
    assert all(len(d.bookings) <= 3 for d in days)
    assert sum(len(d.bookings) + d.more for d in days) == 300
    tenth = next(d for d in days if d.date.day == 10)
    assert (len(tenth.bookings), tenth.more) == (3, 9)
    assert [(len(d.bookings), d.more) for d in response.context["week"]] == [(3, 9)] * 7
    body = response.content.decode()
    assert 'href="?day=2031-03-10#day-heading">9 more sessions' in body
    # The day's own list: all twelve, in order.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("dashboard:calendar") + "?day=2031-03-10")
    day = response.context["day"]
    assert [b.starts_at.hour for b in day.bookings] == list(range(0, 24, 2))
    assert 'id="day-heading">Monday 10 March 2031' in response.content.decode()


def test_a_calendar_of_a_few_sessions_is_read_whole_and_cut_the_same(
    client, alice, django_assert_num_queries
):
    """Fewer sessions than CALENDAR_READ_WHOLE are read in one plain query and
    cut to three a day where they are placed: the page says the same as a
    crowded one cut by the database."""
    kind = SessionTypeFactory()
    client.force_login(alice)
    start = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
    Booking.objects.bulk_create(
        Booking(
            professional=kind.professional,
            client=alice,
            session_type=kind,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=50),
            price_amount=1,
            currency="ISK",
        )
        for i in range(8)
    )
    # session, user, header, the count, the sessions
    with django_assert_num_queries(5):
        response = client.get(reverse("dashboard:calendar") + "?month=2031-03&week=2031-03-10")
    tenth = next(d for w in response.context["weeks"] for d in w if d.date.day == 10)
    assert [b.starts_at.hour for b in tenth.bookings] == [8, 9, 10]
    assert tenth.more == 5
    monday = response.context["week"][0]
    assert (len(monday.bookings), monday.more) == (3, 5)
    assert 'href="?day=2031-03-10#day-heading">5 more sessions' in response.content.decode()


def test_the_calendar_follows_the_persons_sessions(
    client, alice, django_capture_on_commit_callbacks
):
    """A session booked, moved, accepted or cancelled shows at once, in the
    person's language and zone."""
    from tengja.bookings.services import (
        booking_cancel,
        booking_invite,
        booking_move,
        invitation_accept_existing,
    )
    from tengja.lib.tokens import token_hash
    from tests.factories import UserFactory

    kind = SessionTypeFactory(name="Coaching")
    pro = kind.professional
    url = reverse("dashboard:calendar") + "?month=2031-03"
    client.force_login(alice)

    def shown():
        return client.get(url).content.decode().count("Coaching")

    assert shown() == 0
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_invite(
            professional=pro,
            session_type=kind,
            starts_at=datetime(2031, 3, 10, 12, tzinfo=UTC),
            email=alice.email,
        )
    assert shown() == 1  # an existing client's at once
    with django_capture_on_commit_callbacks(execute=True):
        booking_move(booking=booking, by=pro.user, starts_at=datetime(2031, 3, 10, 15, tzinfo=UTC))
    assert "15:00 Coaching" in client.get(url).content.decode()
    alice.time_zone = "Asia/Tokyo"
    alice.language = "is"
    alice.save()
    body = client.get(url).content.decode()
    assert "00:00 Coaching" in body and "mars 2031" in body.lower()
    # The professional's own calendar changed with it.
    client.force_login(pro.user)
    assert "Coaching" in client.get(url).content.decode()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=alice)
    assert shown() == 0
    # Invited before having an account, signed up on their own, then opened the link.
    with django_capture_on_commit_callbacks(execute=True):
        other = booking_invite(
            professional=pro,
            session_type=kind,
            starts_at=datetime(2031, 3, 20, 12, tzinfo=UTC),
            email="newcomer@example.com",
        )
    newcomer = UserFactory(email="newcomer@example.com")
    client.force_login(newcomer)
    assert shown() == 0
    other.invitation.token_hash = token_hash("the-link")
    other.invitation.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_accept_existing(token="the-link", user=newcomer)
    assert shown() == 1


def test_calendar_links_to_the_session(client, alice):
    booking = BookingFactory(client=alice)
    client.force_login(alice)
    month = timezone.localtime(booking.starts_at).strftime("%Y-%m")
    body = client.get(reverse("dashboard:calendar") + f"?month={month}").content.decode()
    assert reverse("bookings:detail", args=[booking.code]) in body


def test_connections_are_the_professionals_worked_with(
    client, alice, professional, other_professional
):
    kind = SessionTypeFactory(professional=professional)
    BookingFactory(client=alice, session_type=kind, starts_at=timezone.now() - timedelta(days=3))
    cancelled = BookingFactory(
        client=alice, session_type=SessionTypeFactory(professional=other_professional)
    )
    cancelled.status = Booking.Status.CANCELLED
    cancelled.save()
    client.force_login(alice)
    response = client.get(reverse("dashboard:connections"))
    assert list(response.context["connections"]) == [professional]
    page = client.get(reverse("dashboard:connection", args=[professional.code]))
    assert page.status_code == 200
    assert len(page.context["sessions"]) == 1
    assert "Helga Sigurðardóttir" in page.content.decode()


def test_connection_page_shows_only_your_own_sessions(client, alice, bob, professional):
    kind = SessionTypeFactory(professional=professional)
    BookingFactory(client=alice, session_type=kind)
    client.force_login(bob)
    page = client.get(reverse("dashboard:connection", args=[professional.code]))
    assert len(page.context["sessions"]) == 0
    assert "You have no sessions with this professional." in page.content.decode()


def test_empty_states_tell_a_new_client_what_to_do(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "When a professional invites you" in body
    assert "The professionals you have sessions with will be listed here." in body
    assert "Sessions you have had will be listed here." in body


def test_home_is_linked_to_profile_and_calendar(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("accounts:profile") in body
    assert reverse("dashboard:calendar") in body


@time_machine.travel(datetime(2031, 3, 30, 12, tzinfo=UTC))
def test_calendar_places_sessions_across_a_dst_change(client, alice):
    alice.time_zone = "Europe/London"
    alice.save()
    kind = SessionTypeFactory(name="Evening")
    # 29 March 2031 is before the change (UTC+0), 31 March after it (UTC+1).
    BookingFactory(
        client=alice, session_type=kind, starts_at=datetime(2031, 3, 28, 23, 30, tzinfo=UTC)
    )
    BookingFactory(
        client=alice, session_type=kind, starts_at=datetime(2031, 3, 30, 23, 30, tzinfo=UTC)
    )
    client.force_login(alice)
    response = client.get(reverse("dashboard:calendar") + "?month=2031-03")
    days = {d.date.day: d for week in response.context["weeks"] for d in week if d.in_month}
    assert len(days[28].bookings) == 1  # 23:30 London, still the 28th
    assert len(days[31].bookings) == 1  # 00:30 London on the 31st


def test_professional_public_profile(client, db):
    pro = ProfessionalFactory(bio="Helps with <b>sleep</b>.")
    body = client.get(reverse("professionals:public", args=[pro.code])).content.decode()
    assert pro.user.name in body
    assert "Helps with &lt;b&gt;sleep&lt;/b&gt;." in body
    assert client.get(reverse("professionals:public", args=["nope"])).status_code == 404


def test_the_join_button_shows_while_the_room_is_open_after_the_end(client, alice, settings):
    booking = BookingFactory(client=alice, starts_at=timezone.now() - timedelta(minutes=55))
    assert booking.is_past()  # 50 minutes long: ended 5 minutes ago
    client.force_login(alice)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert f'<a class="button" href="{reverse("video:join", args=[booking.code])}">' in body
    assert client.get(reverse("video:join", args=[booking.code])).status_code == 200


def test_calendar_days_are_written_as_each_language_writes_them(client, alice):
    """Icelandic puts a period after the day's number ("10. mars"); English does not."""
    client.force_login(alice)
    for language, heading, week_day in (
        ("en", "Monday 10 March 2031", "Monday 10 March"),
        ("is", "Mánudagur 10. mars 2031", "Mánudagur 10. mars"),
    ):
        alice.language = language
        alice.save()
        body = client.get(reverse("dashboard:calendar") + "?day=2031-03-10").content.decode()
        assert f'id="day-heading">{heading}</h2>' in body
        assert f"<h3>{week_day}</h3>" in body
