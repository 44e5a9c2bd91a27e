"""A professional's own booking page (issue 29): who sees it, its free times in
the visitor's zone and within the professional's limits, and booking, asking
and making an account on the way."""

import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tengja.accounts.models import User
from tengja.bookings import page
from tengja.bookings.models import Booking, BookingRequest, PageSignup
from tengja.professionals.models import SessionType, WeeklyAvailability
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

# Monday 3 March 2031, 08:00 in Reykjavik (UTC), where the professional lives.
NOW = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)
PASSWORD = "a long enough pass phrase"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2031, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pro(professional):
    professional.bio = "Cognitive behavioural therapy."
    professional.booking_slug = "helga"
    professional.booking_page_on = True
    professional.min_notice_hours = 0
    professional.policy_en = "Cancel a day ahead or pay in full."
    professional.policy_is = "Afbókið með dags fyrirvara eða greiðið fullt verð."
    professional.save()
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(12)
        )
    return professional


@pytest.fixture
def instant(pro):
    return SessionTypeFactory(
        professional=pro,
        name="Individual session",
        duration_minutes=50,
        price_amount=18000,
        booking_mode=SessionType.BookingMode.INSTANT,
    )


@pytest.fixture
def by_request(pro):
    return SessionTypeFactory(
        professional=pro,
        name="Follow-up call",
        duration_minutes=25,
        price_amount=9000,
        booking_mode=SessionType.BookingMode.REQUEST,
    )


def page_url(**query) -> str:
    url = reverse("bookings:page", kwargs={"slug": "helga"})
    return url + ("?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items()) if query else "")


def time_url(kind: SessionType, starts_at: datetime, **query) -> str:
    url = reverse("bookings:page_time", kwargs={"slug": "helga", "code": kind.code})
    extra = "".join(f"&{k}={quote(str(v))}" for k, v in query.items())
    return f"{url}?at={quote(starts_at.isoformat())}{extra}"


def offered(kind: SessionType) -> list[datetime]:
    free = page.page_free_times(
        professional=page.booking_page(slug="helga"),
        session_types=[kind],
        first_day=NOW.date(),
        zone=UTC,  # type: ignore[arg-type]
    )[kind.pk]
    return [slot.starts_at for _day, slots in free for slot in slots]


# ------------------------------------------------------------------ who sees it


def test_the_page_shows_profile_types_prices_policy_and_times(client, instant, by_request):
    response = client.get(page_url(tz="Atlantic/Reykjavik"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Helga Sigurðardóttir",
        "Cognitive behavioural therapy.",
        "Individual session",
        "Follow-up call",
        "Bookable at once",
        "By request",
        "50 minutes",
        "ISK\xa018,000",
        "Cancel a day ahead or pay in full.",
    ):
        assert text in html, text
    assert time_url(instant, at(3, 9)).replace("&", "&amp;") in html


def test_the_page_is_in_icelandic_with_the_icelandic_policy(client, instant):
    response = client.get(page_url(tz="Atlantic/Reykjavik"), HTTP_ACCEPT_LANGUAGE="is")
    html = response.content.decode()
    assert "Afbókið með dags fyrirvara" in html
    assert "Bókanlegt strax" in html
    assert "Cancel a day ahead" not in html


@pytest.mark.parametrize("change", ["off", "inactive", "no_hours", "no_types", "no_bio"])
def test_the_page_is_404_unless_on_active_and_set_up(client, pro, instant, change):
    if change == "off":
        pro.booking_page_on = False
    elif change == "inactive":
        pro.is_active = False
    elif change == "no_hours":
        pro.weekly_availability.all().delete()
    elif change == "no_types":
        SessionType.objects.update(is_active=False)
    else:
        pro.bio = ""
    pro.save()
    assert client.get(page_url()).status_code == 404
    assert client.get(time_url(instant, at(3, 9))).status_code == 404


def test_an_unknown_address_is_404(client, pro, instant):
    assert client.get(reverse("bookings:page", kwargs={"slug": "nobody"})).status_code == 404


def test_a_visitor_in_new_york_sees_the_slot_at_their_local_time(client, instant):
    # 10:00 in Reykjavik (UTC) on Thursday is 05:00 in New York (EST, before 9 March).
    response = client.get(page_url(tz="America/New_York", week=0))
    html = response.content.decode()
    link = time_url(instant, at(6, 10), tz="America/New_York").replace("&", "&amp;")
    match = re.search(re.escape(link) + r'">(\d\d:\d\d)', html)
    assert match is not None and match.group(1) == "05:00"
    assert "America/New_York" in html


def test_the_zone_comes_from_the_browser_cookie_or_the_profile(client, alice, instant):
    client.cookies["tengja_tz"] = "America/New_York"
    html = client.get(page_url()).content.decode()
    assert "data-detect-zone" not in html
    assert '">05:00<' in html
    client.cookies.clear()
    assert "data-detect-zone" in client.get(page_url()).content.decode()
    alice.time_zone = "Asia/Tokyo"  # UTC+9: 09:00 in Reykjavik is 18:00
    alice.save()
    client.force_login(alice)
    html = client.get(page_url()).content.decode()
    assert '">18:00<' in html


def test_the_pager_shows_a_week_at_a_time(client, instant):
    first = client.get(page_url(tz="UTC")).content.decode()
    later = client.get(page_url(tz="UTC", week=1)).content.decode()
    assert quote(at(9, 9).isoformat()) in first
    assert quote(at(10, 9).isoformat()) not in first
    assert quote(at(10, 9).isoformat()) in later
    assert client.get(page_url(tz="UTC", week="x")).status_code == 200  # read as this week


# ------------------------------------------------------------------ limits


def test_limits_close_days_weeks_and_today(pro, instant):
    assert at(3, 9) in offered(instant)
    pro.same_day_booking = False
    pro.save()
    cache.clear()
    times = offered(instant)
    assert at(3, 9) not in times and at(4, 9) in times

    pro.same_day_booking = True
    pro.max_sessions_per_day = 1
    pro.save()
    BookingFactory(session_type=instant, starts_at=at(4, 11), ends_at=at(4, 11, 50))
    cache.clear()
    times = offered(instant)
    assert not [t for t in times if t.day == 4]
    assert at(5, 9) in times

    pro.max_sessions_per_day = None
    pro.max_sessions_per_week = 2
    pro.save()
    BookingFactory(session_type=instant, starts_at=at(7, 11), ends_at=at(7, 11, 50))
    cache.clear()
    assert offered(instant) == []  # this week (to Sunday the 9th) is full
    later = page.page_free_times(
        professional=page.booking_page(slug="helga"),
        session_types=[instant],
        first_day=at(10, 0).date(),
        zone=UTC,  # type: ignore[arg-type]
    )[instant.pk]
    assert later  # the next week is open
    # A cancelled session counts for nothing.
    Booking.objects.update(status=Booking.Status.CANCELLED)
    cache.clear()
    assert at(3, 9) in offered(instant)


def test_a_limit_is_checked_again_when_booking(alice, pro, instant):
    pro.max_sessions_per_day = 1
    pro.save()
    BookingFactory(session_type=instant, starts_at=at(4, 11), ends_at=at(4, 11, 50))
    with pytest.raises(page.SlotTaken):
        page.page_book(client=alice, session_type=instant, starts_at=at(4, 9))
    assert Booking.objects.count() == 1


# ------------------------------------------------------------------ booking, signed in


def test_a_client_books_an_instant_time_and_lands_on_the_session(
    client, alice, instant, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = time_url(instant, at(4, 10))
    assert "Book" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"at": at(4, 10).isoformat()})
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:detail", kwargs={"code": booking.code})
    assert booking.client == alice and booking.starts_at == at(4, 10)
    assert booking.paid_with == Booking.PaidWith.INVOICE
    assert booking.invoices.exists()  # the bill follows from the BOOKED event
    assert any(m.to == ["alice@example.com"] for m in mail.outbox)


def test_a_client_asks_for_a_time_by_request(client, alice, by_request):
    client.force_login(alice)
    response = client.post(
        time_url(by_request, at(4, 10)), {"at": at(4, 10).isoformat(), "message": "Hello"}
    )
    asked = BookingRequest.objects.get()
    assert response["Location"] == reverse("bookings:page_sent", kwargs={"code": asked.code})
    assert asked.message == "Hello" and asked.client == alice
    assert not Booking.objects.exists()
    sent = client.get(response["Location"])
    assert "Your request has been sent to Helga" in sent.content.decode()
    client.force_login(UserFactory())
    assert client.get(response["Location"]).status_code == 404


def test_a_time_not_offered_is_refused_with_the_next_free_times(client, alice, instant):
    client.force_login(alice)
    for starts in (at(4, 10, 10), at(4, 14), at(2, 10)):  # off the steps, out of hours, past
        response = client.get(time_url(instant, starts))
        html = response.content.decode()
        assert "not one of the free times" in html
        assert "Next free times" in html
        response = client.post(time_url(instant, starts), {"at": starts.isoformat()})
        assert response.status_code == 409
        assert "Next free times" in response.content.decode()
    for bad in ("yesterday", "9999-01-01T00:00:00+00:00", "2031-03-04T10:00:00"):
        response = client.post(time_url(instant, at(4, 10)).split("?")[0], {"at": bad})
        assert response.status_code == 409
    assert not Booking.objects.exists()


def test_a_taken_time_says_so_and_offers_the_next(client, alice, bob, instant):
    BookingFactory(session_type=instant, client=bob, starts_at=at(4, 10), ends_at=at(4, 10, 50))
    client.force_login(alice)
    response = client.post(time_url(instant, at(4, 10)), {"at": at(4, 10).isoformat()})
    assert response.status_code == 409
    assert Booking.objects.count() == 1
    html = response.content.decode()
    assert quote(at(4, 11).isoformat()) in html  # the next free time, offered
    with pytest.raises(page.SlotTaken, match="just taken"):
        page.page_book(client=alice, session_type=instant, starts_at=at(4, 10))


def test_existing_clients_only(client, alice, bob, instant):
    instant.existing_clients_only = True
    instant.save()
    html = client.get(page_url(tz="UTC")).content.decode()
    assert "for existing clients only" in html
    assert quote(at(4, 10).isoformat()) not in html
    client.force_login(alice)
    response = client.post(time_url(instant, at(4, 10)), {"at": at(4, 10).isoformat()})
    assert response.status_code == 403
    assert not Booking.objects.exists()
    # A session with her (cancelled ones do not count) makes Bob an existing client.
    BookingFactory(session_type=instant, client=bob, starts_at=at(5, 9), ends_at=at(5, 9, 50))
    Booking.objects.update(status=Booking.Status.CANCELLED)
    client.force_login(bob)
    assert client.post(time_url(instant, at(4, 10)), {"at": "x"}).status_code == 403
    BookingFactory(session_type=instant, client=bob, starts_at=at(6, 9), ends_at=at(6, 9, 50))
    assert quote(at(4, 10).isoformat()) in client.get(page_url(tz="UTC")).content.decode()
    response = client.post(time_url(instant, at(4, 10)), {"at": at(4, 10).isoformat()})
    assert response.status_code == 302
    assert Booking.objects.filter(client=bob, starts_at=at(4, 10)).exists()


def test_a_professional_cannot_book_themselves(client, pro, instant):
    client.force_login(pro.user)
    assert "cannot book a session with yourself" in client.get(page_url()).content.decode()
    response = client.post(time_url(instant, at(4, 10)), {"at": at(4, 10).isoformat()})
    assert response.status_code == 403
    assert not Booking.objects.exists()


# ------------------------------------------------------------------ a visitor's account


def signup_data(**extra) -> dict:
    return {
        "at": at(4, 10).isoformat(),
        "name": "Nina New",
        "email": "Nina@Example.com",
        "password": PASSWORD,
        "accept_terms": "on",
        **extra,
    }


def confirm_path() -> str:
    return re.search(r"https?://[^/\s]+(/book/confirm/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_a_visitor_makes_an_account_confirms_and_is_booked(
    client, instant, django_capture_on_commit_callbacks
):
    url = time_url(instant, at(4, 10), tz="America/New_York")
    assert "Create account and book" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, signup_data())
    assert response["Location"] == reverse("bookings:page_check_email", kwargs={"slug": "helga"})
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    assert not User.objects.filter(email="nina@example.com").exists()
    assert not Booking.objects.exists()
    signup = PageSignup.objects.get()
    assert signup.time_zone == "America/New_York" and signup.password_hash != PASSWORD
    message = mail.outbox[-1]
    assert message.to == ["nina@example.com"]
    assert "Individual session" in message.body and "05:00" in message.body
    assert "05:00" in message.alternatives[0][0]
    path = confirm_path()
    assert path.split("/")[-2] not in signup.token_hash  # only the hash is kept
    assert "Confirm and book" in client.get(path).content.decode()
    assert not User.objects.filter(email="nina@example.com").exists()  # GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"password": PASSWORD})
    user = User.objects.get(email="nina@example.com")
    booking = Booking.objects.get()
    assert response["Location"] == reverse("bookings:detail", kwargs={"code": booking.code})
    assert booking.client == user and booking.starts_at == at(4, 10)
    assert user.check_password(PASSWORD) and user.terms_version and user.terms_accepted_at
    assert user.time_zone == "America/New_York"
    assert PageSignup.objects.get().confirmed_at == NOW
    assert PageSignup.objects.get().password_hash == ""  # the account holds it now
    assert client.get(response["Location"]).status_code == 200  # signed in
    # The link works once.
    response = client.post(path, {"password": PASSWORD})
    assert response.status_code == 400 and "already been used" in response.content.decode()
    assert User.objects.filter(email="nina@example.com").count() == 1


def test_a_visitor_asks_by_request_with_a_message(
    client, by_request, django_capture_on_commit_callbacks
):
    url = time_url(by_request, at(4, 10))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, signup_data(message="I would like to talk about sleep."))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_path(), {"password": PASSWORD})
    asked = BookingRequest.objects.get()
    assert asked.message == "I would like to talk about sleep."
    assert response["Location"] == reverse("bookings:page_sent", kwargs={"code": asked.code})


def test_a_time_taken_before_the_link_is_opened_says_so(
    client, bob, instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(time_url(instant, at(4, 10)), signup_data())
    path = confirm_path()
    BookingFactory(session_type=instant, client=bob, starts_at=at(4, 10), ends_at=at(4, 10, 50))
    response = client.post(path, {"password": PASSWORD})
    assert response.status_code == 409
    html = response.content.decode()
    assert "just taken" in html and quote(at(4, 11).isoformat()) in html
    assert User.objects.filter(email="nina@example.com").exists()  # the account stays
    assert Booking.objects.count() == 1


def test_an_expired_or_unknown_link_does_nothing(
    client, instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(time_url(instant, at(4, 10)), signup_data())
    path = confirm_path()
    assert client.get("/book/confirm/not-a-token/").status_code == 400
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        response = client.post(path, {"password": PASSWORD})
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not User.objects.filter(email="nina@example.com").exists()
    assert page.page_signups_sweep() == 0  # not yet expired
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        assert page.page_signups_sweep() == 1
    assert not PageSignup.objects.exists()


def test_an_address_with_an_account_gets_a_sign_in_note(
    client, alice, instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(time_url(instant, at(4, 10)), signup_data(email="ALICE@example.com"))
    assert response["Location"] == reverse("bookings:page_check_email", kwargs={"slug": "helga"})
    assert not PageSignup.objects.exists()
    assert User.objects.count() == 2  # alice and the professional
    message = mail.outbox[-1]
    assert message.to == ["alice@example.com"]
    assert "already have an account" in message.body
    assert "/book/helga/" in message.alternatives[0][0]


def test_the_honeypot_does_nothing_but_looks_the_same(
    client, instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            time_url(instant, at(4, 10)), signup_data(website="http://spam.example")
        )
    assert response["Location"] == reverse("bookings:page_check_email", kwargs={"slug": "helga"})
    assert not PageSignup.objects.exists() and not mail.outbox


def test_bad_input_changes_nothing(client, instant):
    url = time_url(instant, at(4, 10))
    for data in (
        signup_data(password="123"),
        signup_data(email="not an address"),
        signup_data(accept_terms=""),
        signup_data(name="   "),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
    assert not PageSignup.objects.exists() and not mail.outbox


def test_accounts_and_emails_are_rate_limited(
    client, instant, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_LIMIT_PER_ADDRESS = "2/h"
    settings.SIGNUP_LIMIT_PER_IP = "3/h"
    url = time_url(instant, at(4, 10))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            response = client.post(url, signup_data())
            assert response.status_code == 302  # the same answer, over the limit too
    assert len(mail.outbox) == 2
    response = client.post(url, signup_data(email="other@example.com"))
    assert response.status_code == 400
    assert "Too many accounts" in response.content.decode()
    assert PageSignup.objects.filter(email="other@example.com").count() == 0


def test_the_confirmation_email_is_in_icelandic(
    client, instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(time_url(instant, at(4, 10)), signup_data(), HTTP_ACCEPT_LANGUAGE="is")
    message = mail.outbox[-1]
    assert "Staðfestu" in message.subject
    assert "Individual session" in message.body


# ------------------------------------------------------------------ speed


def test_the_page_query_count_stays_flat_with_many_sessions(
    client, alice, pro, instant, by_request, django_assert_max_num_queries
):
    pro.max_sessions_per_day = 50
    pro.max_sessions_per_week = 200
    pro.save()
    client.force_login(alice)

    def count() -> int:
        cache.clear()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(tz="UTC")).status_code == 200
        return len(queries)

    few = count()
    sessions = []
    start = at(3, 9) - timedelta(days=2500)
    for index in range(5000):
        starts = start + timedelta(hours=12 * index)
        sessions.append(
            Booking(
                professional=pro,
                session_type=instant,
                client=alice,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                price_amount=1,
                currency="ISK",
            )
        )
    Booking.objects.bulk_create(sessions)
    assert count() == few
    with django_assert_max_num_queries(few):
        client.get(page_url(tz="UTC"))


def test_deleting_the_account_erases_its_sign_up(
    client, instant, django_capture_on_commit_callbacks
):
    from tengja.privacy.services import account_delete

    with django_capture_on_commit_callbacks(execute=True):
        client.post(time_url(instant, at(4, 10)), signup_data())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_path(), {"password": PASSWORD})
    user = User.objects.get(email="nina@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=user)
    assert not PageSignup.objects.exists()


def test_whoever_opens_the_link_must_know_the_password_chosen_with_it(
    client, instant, django_capture_on_commit_callbacks
):
    """A stranger signs up with someone else's address and a password of their own:
    the owner's click on the genuine e-mail makes no account the stranger could
    sign in to. Only the password chosen with the time confirms it; a wrong one
    changes nothing, counts as a failed sign-in, and the link stays usable."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(time_url(instant, at(4, 10)), signup_data())
    path = confirm_path()
    for typed in ("", "the owner's own guess"):
        response = client.post(path, {"password": typed})
        assert response.status_code == 400
        assert not User.objects.filter(email="nina@example.com").exists()
        assert PageSignup.objects.get().confirmed_at is None
    assert "not the password you chose" in response.content.decode()
    response = client.post(path, {"password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(email="nina@example.com").check_password(PASSWORD)


def test_confirming_is_paused_after_many_wrong_passwords(
    client, instant, settings, django_capture_on_commit_callbacks
):
    settings.SIGN_IN_LIMIT_PER_IP = "2/h"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(time_url(instant, at(4, 10)), signup_data())
    path = confirm_path()
    for _ in range(2):
        client.post(path, {"password": "wrong"})
    response = client.post(path, {"password": PASSWORD})
    assert response.status_code == 400 and "Too many wrong passwords" in response.content.decode()
    assert not User.objects.filter(email="nina@example.com").exists()
