"""Recurring sessions (issue 28): a series booked at once after a preview of its
dates, one invitation for all, and "this and all following" moved or cancelled."""

import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from tengja.accounts.models import User
from tengja.billing.models import Invoice
from tengja.bookings.models import Booking, BookingSeries, Invitation
from tengja.bookings.services import (
    BookingError,
    SeriesClash,
    booking_cancel,
    series_invite,
    series_move_following,
    series_starts,
)
from tengja.notifications.models import Delivery
from tests.bookings.conftest import NOW, invitation_path
from tests.bookings.test_invitation_link import SIGN_UP
from tests.factories import BookingFactory, ProfessionalFactory, SessionTypeFactory

URL = reverse("bookings:invite")
FIRST = datetime(2031, 3, 6, 10, 0, tzinfo=UTC)  # a Thursday, 10:00 in Reykjavik
REYKJAVIK = "Atlantic/Reykjavik"


def form(session_type, **extra) -> dict:
    return {
        "session_type": session_type.pk,
        "starts_at": "2031-03-06T10:00",
        "email": "new@example.com",
        "repeat": "weekly",
        "ends": "count",
        "count": "6",
        **extra,
    }


def send(client, data: dict, capture):
    """Preview, then press the button under the dates."""
    preview = client.post(URL, data)
    assert preview.status_code == 200, preview.content
    confirm = re.search(r'name="confirm" value="([^"]+)"', preview.content.decode())
    assert confirm, "no button to send"
    with capture(execute=True):
        return client.post(URL, {**data, "confirm": confirm.group(1)})


def invite(professional, session_type, capture, *, email="new@example.com", count=6, **kw):
    starts = series_starts(first=FIRST, rule="weekly", time_zone=REYKJAVIK, count=count)
    with capture(execute=True):
        return series_invite(
            professional=professional,
            session_type=session_type,
            starts=starts,
            rule=kw.get("rule", "weekly"),
            time_zone=REYKJAVIK,
            email=email,
        )


def sessions(series) -> list[Booking]:
    return list(series.bookings.order_by("starts_at"))


def events(message) -> list:
    [(name, content, mimetype)] = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar; method=")
    calendar = Calendar.from_ical(content)
    return [calendar, calendar.walk("VEVENT")]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_six_weekly_sessions_one_invitation_one_calendar_file(
    client, professional, session_type, django_capture_on_commit_callbacks
):
    client.force_login(professional.user)
    preview = client.post(URL, form(session_type))
    body = preview.content.decode()
    # Shown first, nothing booked yet.
    assert not Booking.objects.exists()
    assert body.count('<time datetime="2031-') == 6
    assert "10 April 2031" in body  # the sixth Thursday
    response = send(client, form(session_type), django_capture_on_commit_callbacks)

    series = BookingSeries.objects.get()
    booked = sessions(series)
    assert response["Location"] == reverse("bookings:detail", args=[booked[0].code])
    assert [b.starts_at for b in booked] == [FIRST + timedelta(weeks=i) for i in range(6)]
    assert (series.rule, series.count, series.professional) == ("weekly", 6, professional)
    # Each its own bill and invitation (the reminders are each its own too).
    assert Invoice.objects.filter(booking__in=booked).count() == 6
    assert Invitation.objects.filter(booking__in=booked, email="new@example.com").count() == 6
    reminders = Delivery.objects.filter(kind="reminder_24h", role="client")
    assert sorted(reminders.values_list("booking_id", flat=True)) == [b.pk for b in booked]
    # One e-mail, to the client, with every date and one event each.
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "6 sessions with Helga Sigurðardóttir" in message.subject
    for b in booked:
        assert f"{b.starts_at:%-d %B %Y}" in message.body
    calendar, vevents = events(message)
    assert calendar["method"] == "REQUEST"
    assert len(vevents) == 6
    assert len({str(e["uid"]) for e in vevents}) == 6
    assert sorted(e.decoded("dtstart") for e in vevents) == [b.starts_at for b in booked]
    # The session page says where it stands in the series.
    page = client.get(response["Location"]).content.decode()
    assert "Session 1 of 6 · weekly" in page
    assert reverse("bookings:detail", args=[booked[1].code]) in page
    page = client.get(reverse("bookings:detail", args=[booked[2].code])).content.decode()
    assert "Session 3 of 6 · weekly" in page


def test_every_other_week_until_a_date():
    starts = series_starts(
        first=FIRST, rule="biweekly", time_zone=REYKJAVIK, until=date(2031, 4, 17)
    )
    assert starts == [FIRST + timedelta(weeks=2 * i) for i in range(4)]


def test_monthly_across_month_ends_keeps_the_day_or_the_months_last():
    first = datetime(2031, 1, 31, 9, 0, tzinfo=UTC)
    starts = series_starts(first=first, rule="monthly", time_zone=REYKJAVIK, count=4)
    assert [s.date() for s in starts] == [
        date(2031, 1, 31),
        date(2031, 2, 28),
        date(2031, 3, 31),
        date(2031, 4, 30),
    ]
    assert {s.astimezone(UTC).hour for s in starts} == {9}


def test_the_local_time_stays_across_a_clock_change(
    client, professional, session_type, django_capture_on_commit_callbacks
):
    user = professional.user
    user.time_zone = "Europe/London"  # the clocks go forward on 30 March 2031
    user.save()
    client.force_login(user)
    send(
        client,
        form(session_type, starts_at="2031-03-20T10:00", count="3"),
        django_capture_on_commit_callbacks,
    )
    london = zoneinfo.ZoneInfo("Europe/London")
    booked = sessions(BookingSeries.objects.get())
    assert [b.starts_at.astimezone(london).strftime("%d %H:%M") for b in booked] == [
        "20 10:00",
        "27 10:00",
        "03 10:00",
    ]
    assert [b.starts_at.astimezone(UTC).hour for b in booked] == [10, 10, 9]
    assert BookingSeries.objects.get().time_zone == "Europe/London"


def test_a_clash_is_shown_and_nothing_is_booked(
    client, professional, session_type, django_capture_on_commit_callbacks
):
    BookingFactory(session_type=session_type, starts_at=FIRST + timedelta(weeks=2, minutes=30))
    client.force_login(professional.user)
    response = client.post(URL, form(session_type))
    body = response.content.decode()
    assert response.status_code == 400
    assert "These dates overlap other sessions of yours, so nothing was sent" in body
    assert "20 March 2031, 10:00" in body
    assert body.count("overlaps another session") == 1
    assert 'name="confirm"' not in body
    # Even pressing a button the page did not show books nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {**form(session_type), "confirm": "x"})
    assert Booking.objects.count() == 1
    assert not BookingSeries.objects.exists()
    assert not mail.outbox


def test_a_clash_found_under_the_lock_refuses_the_whole_series(
    professional, session_type, django_capture_on_commit_callbacks
):
    BookingFactory(session_type=session_type, starts_at=FIRST + timedelta(weeks=5))
    with pytest.raises(SeriesClash) as refused:
        invite(professional, session_type, django_capture_on_commit_callbacks)
    assert refused.value.clashes == [FIRST + timedelta(weeks=5)]
    assert Booking.objects.count() == 1
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"count": "1"}, "greater than or equal to 2"),
        ({"count": "53"}, "less than or equal to 52"),
        ({"count": ""}, "Give the number of sessions."),
        ({"ends": "until", "until": "2031-03-01"}, "Choose a date after the first session."),
        ({"ends": "until", "until": ""}, "Give the date of the last session."),
        ({"ends": "until", "until": "2033-12-31"}, "at most 52 sessions"),
        ({"repeat": "daily"}, "Select a valid choice"),
        ({"starts_at": "2031-03-01T10:00"}, "Choose a time in the future."),
    ],
)
def test_bad_input_is_refused_and_nothing_booked(client, professional, session_type, extra, error):
    client.force_login(professional.user)
    response = client.post(URL, {**form(session_type, **extra), "confirm": "1"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Booking.objects.exists()


def test_accepting_the_invitation_accepts_the_whole_series(
    client, professional, session_type, django_capture_on_commit_callbacks
):
    series = invite(professional, session_type, django_capture_on_commit_callbacks)
    assert not any(b.client_is_known for b in sessions(series))
    response = client.post(invitation_path(), SIGN_UP)
    user = User.objects.get(email="new@example.com")
    booked = sessions(series)
    assert response["Location"] == reverse("bookings:detail", args=[booked[0].code])
    assert all(b.client == user and b.client_is_known for b in booked)
    assert not Invitation.objects.filter(accepted_at__isnull=True).exists()


def test_an_existing_client_opening_one_session_accepts_them_all(
    client, professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    booked = sessions(series)
    assert all(b.client == alice for b in booked)
    client.force_login(alice)
    client.get(reverse("bookings:detail", args=[booked[3].code]))
    assert all(b.client_is_known for b in sessions(series))


def test_the_professional_cancels_this_and_all_following(
    client, professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    booked = sessions(series)
    mail.outbox.clear()
    client.force_login(professional.user)
    url = reverse("bookings:series_cancel", args=[booked[2].code])
    page = client.get(url).content.decode()
    assert page.count('<time datetime="2031-') == 4
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response["Location"] == reverse("bookings:detail", args=[booked[2].code])
    after = sessions(series)
    assert [b.is_cancelled for b in after] == [False, False, True, True, True, True]
    assert {i.status for i in Invoice.objects.filter(booking__in=after[2:])} == {"void"}
    # One e-mail each, with a CANCEL for every session.
    assert sorted(m.to[0] for m in mail.outbox) == [alice.email, professional.user.email]
    for message in mail.outbox:
        calendar, vevents = events(message)
        assert calendar["method"] == "CANCEL"
        assert len(vevents) == 4
    to_alice = next(m for m in mail.outbox if m.to == [alice.email])
    assert "Helga Sigurðardóttir has cancelled these sessions" in to_alice.body
    assert "4 sessions cancelled" in to_alice.subject


def test_the_client_cancels_only_those_outside_the_notice_period(
    client, professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    booked = sessions(series)
    # 20 hours before the third: it is within the 24-hour notice period.
    with time_machine.travel(booked[2].starts_at - timedelta(hours=20), tick=False):
        client.force_login(alice)
        url = reverse("bookings:series_cancel", args=[booked[2].code])
        page = client.get(url).content.decode()
        assert "Not changed" in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url)
    after = sessions(series)
    assert [b.is_cancelled for b in after] == [False, False, False, True, True, True]
    assert not any(b.late_cancellation for b in after)
    assert all(b.cancelled_by == "client" for b in after[3:])


def test_the_professional_moves_this_and_all_following_by_as_much(
    client, professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    booked = sessions(series)
    mail.outbox.clear()
    client.force_login(professional.user)
    url = reverse("bookings:series_move", args=[booked[1].code])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"starts_at": "2031-03-14T09:00"})  # a day on, 1h earlier
    assert response.status_code == 302
    after = sessions(series)
    shift = timedelta(days=1, hours=-1)
    assert [b.starts_at for b in after] == [booked[0].starts_at] + [
        b.starts_at + shift for b in booked[1:]
    ]
    [message] = mail.outbox  # the client, once
    assert message.to == [alice.email]
    assert len(events(message)[1]) == 5


def test_moving_onto_its_own_next_session_works_and_a_clash_moves_nothing(
    professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    booked = sessions(series)
    # A week later: each onto the next one's old time (later ones move first).
    series_move_following(
        booking=booked[0], by=professional.user, starts_at=booked[0].starts_at + timedelta(weeks=1)
    )
    assert [b.starts_at for b in sessions(series)] == [
        b.starts_at + timedelta(weeks=1) for b in booked
    ]
    # Another session on the new time of the last: nothing moves.
    last = sessions(series)[-1]
    BookingFactory(session_type=session_type, starts_at=last.starts_at + timedelta(days=1))
    before = [b.starts_at for b in sessions(series)]
    with pytest.raises(BookingError, match="Nothing was moved"):
        series_move_following(
            booking=sessions(series)[0],
            by=professional.user,
            starts_at=before[0] + timedelta(days=1),
        )
    assert [b.starts_at for b in sessions(series)] == before


def test_the_client_moves_this_and_following_to_free_times(
    client, hours, professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    booked = sessions(series)
    with time_machine.travel(booked[1].starts_at - timedelta(hours=2), tick=False):
        client.force_login(alice)
        # The second is within the notice period: moving from it is refused.
        assert client.get(reverse("bookings:series_move", args=[booked[1].code])).status_code == 403
        url = reverse("bookings:series_move", args=[booked[2].code])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"starts_at": "2031-03-20T11:00"})
    assert response.status_code == 302
    after = sessions(series)
    assert [b.starts_at for b in after[2:]] == [
        b.starts_at + timedelta(hours=1) for b in booked[2:]
    ]
    assert after[1].starts_at == booked[1].starts_at
    # Outside the professional's hours: refused, nothing moved.
    with pytest.raises(BookingError, match="not free"):
        series_move_following(
            booking=after[2], by=alice, starts_at=after[2].starts_at + timedelta(hours=8)
        )
    assert [b.starts_at for b in sessions(series)] == [b.starts_at for b in after]


def test_others_get_404_and_a_single_session_has_no_series_pages(
    client, professional, session_type, alice, bob, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    code = sessions(series)[0].code
    other = ProfessionalFactory()
    for user in (bob, other.user):
        client.force_login(user)
        for name in ("bookings:series_cancel", "bookings:series_move"):
            assert client.get(reverse(name, args=[code])).status_code == 404
            assert client.post(reverse(name, args=[code])).status_code == 404
    assert not Booking.objects.filter(status="cancelled").exists()
    single = BookingFactory(session_type=session_type, client=alice)
    client.force_login(alice)
    assert client.get(reverse("bookings:series_cancel", args=[single.code])).status_code == 404


def test_get_changes_nothing(
    client, professional, session_type, alice, django_capture_on_commit_callbacks
):
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    client.force_login(professional.user)
    code = sessions(series)[0].code
    client.get(reverse("bookings:series_cancel", args=[code]))
    client.get(reverse("bookings:series_move", args=[code]) + "?starts_at=2031-03-07T10:00")
    assert [b.starts_at for b in sessions(series)] == [FIRST + timedelta(weeks=i) for i in range(6)]
    assert not Booking.objects.filter(status="cancelled").exists()


def test_in_icelandic(
    client, professional, session_type, alice, django_capture_on_commit_callbacks
):
    alice.language, alice.time_zone = "is", "Asia/Tokyo"
    alice.save()
    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    [message] = mail.outbox
    assert "6 tímar hjá Helga Sigurðardóttir" in message.subject
    assert "Asia/Tokyo" in message.body
    assert "19:00" in message.body  # 10:00 in Reykjavik
    client.force_login(alice)
    page = client.get(reverse("bookings:detail", args=[sessions(series)[1].code])).content.decode()
    assert "Tími 2 af 6 · vikulega" in page


def test_session_page_queries_do_not_grow_with_the_series_or_the_sessions(
    client,
    professional,
    session_type,
    alice,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    short = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email, count=2
    )
    client.force_login(professional.user)
    with django_assert_max_num_queries(20) as counted:
        client.get(reverse("bookings:detail", args=[sessions(short)[0].code]))
    few = len(counted.captured_queries)
    long_type = SessionTypeFactory(professional=professional)
    starts = series_starts(
        first=datetime(2031, 6, 2, 12, tzinfo=UTC), rule="weekly", time_zone=REYKJAVIK, count=52
    )
    long = series_invite(
        professional=professional,
        session_type=long_type,
        starts=starts,
        rule="weekly",
        time_zone=REYKJAVIK,
        email=alice.email,
    )
    other = SessionTypeFactory()
    Booking.objects.bulk_create(
        Booking(
            professional=other.professional,
            session_type=other,
            client=alice,
            starts_at=NOW + timedelta(hours=i),
            ends_at=NOW + timedelta(hours=i, minutes=50),
            price_amount=1,
            currency="ISK",
        )
        for i in range(5000)
    )
    with django_assert_max_num_queries(few):
        page = client.get(reverse("bookings:detail", args=[sessions(long)[30].code]))
    assert "Session 31 of 52 · weekly" in page.content.decode()


def test_the_series_link_holds_while_a_session_is_to_come(
    client, professional, session_type, django_capture_on_commit_callbacks
):
    series = invite(professional, session_type, django_capture_on_commit_callbacks)
    path = invitation_path()
    booked = sessions(series)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booked[0], by=professional.user)
    # After the first (cancelled) and the second (over), the link still creates the account.
    with time_machine.travel(booked[1].ends_at + timedelta(hours=1), tick=False):
        assert client.get(path).status_code == 200
        client.post(path, SIGN_UP)
    user = User.objects.get(email="new@example.com")
    assert all(b.client == user and b.client_is_known for b in sessions(series)[2:])
    # Once every session is over, it is not.
    client.logout()
    with time_machine.travel(booked[-1].ends_at + timedelta(hours=1), tick=False):
        assert client.get(path).status_code == 400


def test_the_clients_export_names_each_sessions_series(
    professional, session_type, alice, django_capture_on_commit_callbacks
):
    from tests.privacy.test_export_everything import archive_of

    series = invite(
        professional, session_type, django_capture_on_commit_callbacks, email=alice.email
    )
    rows = archive_of(alice)["sessions.json"]
    assert [row["series"] for row in rows] == [
        {"code": series.code, "repeats": "weekly", "sessions": 6}
    ] * 6
