"""The pages of session requests: the professional's Requests (accept, decline),
the client's request page (withdraw) and Home's list; who may see and do what,
bad input, and query counts that do not grow with the number of requests."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import REQUEST_MESSAGE_MAX, Booking, BookingRequest
from tengja.bookings.requests import request_expires_at
from tengja.notifications.models import Notification
from tengja.professionals.models import SessionType
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory


@pytest.fixture
def asked(professional):
    return SessionTypeFactory(
        professional=professional, name="First talk", booking_mode=SessionType.BookingMode.REQUEST
    )


def _request(kind, client, *, days=3, hour=10, message="Hello there", status="open"):
    starts = (timezone.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return BookingRequest.objects.create(
        professional=kind.professional,
        session_type=kind,
        client=client,
        starts_at=starts,
        message=message,
        status=status,
        expires_at=request_expires_at(professional=kind.professional, starts_at=starts),
    )


@pytest.fixture
def open_request(asked, alice):
    return _request(asked, alice)


def test_the_professional_sees_open_requests_with_their_message(
    client, professional, open_request, asked, bob
):
    BookingFactory(session_type=asked, starts_at=open_request.starts_at)  # its time is taken
    free = _request(asked, bob, days=4, message="Another one")
    client.force_login(professional.user)
    response = client.get(reverse("bookings:requests"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alice Andersen" in body and "Hello there" in body and "Another one" in body
    assert body.index(open_request.code) < body.index(free.code)  # soonest first
    [taken, still_free] = response.context["open_requests"]
    assert (taken.is_free, still_free.is_free) == (False, True)
    assert "The time is no longer free" in body and "The time is still free." in body


def test_accept_from_the_page_books_and_a_second_click_does_nothing_more(
    client, professional, open_request, django_capture_on_commit_callbacks
):
    client.force_login(professional.user)
    url = reverse("bookings:request_accept", args=[open_request.code])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "is booked and they have been told" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert Booking.objects.filter(client=open_request.client).count() == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    open_request.refresh_from_db()
    assert open_request.status == "accepted"


def test_accept_of_a_taken_time_says_so_and_changes_nothing(
    client, professional, open_request, asked
):
    BookingFactory(session_type=asked, starts_at=open_request.starts_at)
    client.force_login(professional.user)
    response = client.post(
        reverse("bookings:request_accept", args=[open_request.code]), follow=True
    )
    assert "overlaps another session" in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == "open"


def test_decline_with_a_reason_too_long_changes_nothing(client, professional, open_request):
    client.force_login(professional.user)
    response = client.post(
        reverse("bookings:request_decline", args=[open_request.code]),
        {"reason": "x" * (REQUEST_MESSAGE_MAX + 1)},
        follow=True,
    )
    assert "Ensure this value has at most" in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == "open" and open_request.decline_reason == ""


def test_decline_with_a_reason(client, professional, open_request):
    client.force_login(professional.user)
    client.post(
        reverse("bookings:request_decline", args=[open_request.code]), {"reason": "Away then"}
    )
    open_request.refresh_from_db()
    assert (open_request.status, open_request.decline_reason) == ("declined", "Away then")


@pytest.mark.parametrize("action", ["request_accept", "request_decline"])
def test_only_its_professional_may_answer(client, other_professional, alice, open_request, action):
    for user in (other_professional.user, alice):
        client.force_login(user)
        assert (
            client.post(reverse(f"bookings:{action}", args=[open_request.code])).status_code == 404
        )
        assert (
            client.get(reverse(f"bookings:{action}", args=[open_request.code])).status_code == 405
        )
    open_request.refresh_from_db()
    assert open_request.status == "open"


def test_the_client_sees_and_withdraws_their_request(client, alice, open_request):
    client.force_login(alice)
    response = client.get(reverse("bookings:request", args=[open_request.code]))
    body = response.content.decode()
    assert "First talk" in body and "Hello there" in body and "Withdraw the request" in body
    response = client.post(
        reverse("bookings:request_withdraw", args=[open_request.code]), follow=True
    )
    assert "Your request has been withdrawn." in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == "withdrawn"


def test_others_get_404_for_a_clients_request(client, bob, professional, open_request):
    for user in (bob, professional.user):
        client.force_login(user)
        assert client.get(reverse("bookings:request", args=[open_request.code])).status_code == 404
        url = reverse("bookings:request_withdraw", args=[open_request.code])
        assert client.post(url).status_code == 404
    open_request.refresh_from_db()
    assert open_request.status == "open"


def test_the_declined_request_shows_the_reason_and_the_accepted_its_session(
    client, alice, asked, django_capture_on_commit_callbacks
):
    from tengja.bookings.requests import request_accept, request_decline

    declined = request_decline(booking_request=_request(asked, alice), reason="Away then")
    accepted = _request(asked, alice, days=5)
    booking = request_accept(booking_request=accepted)
    client.force_login(alice)
    body = client.get(reverse("bookings:request", args=[declined.code])).content.decode()
    assert "Away then" in body and "Withdraw" not in body
    body = client.get(reverse("bookings:request", args=[accepted.code])).content.decode()
    assert reverse("bookings:detail", args=[booking.code]) in body


def test_home_asks_for_requests_only_of_a_client_with_one_open(
    client, alice, bob, open_request, django_assert_max_num_queries
):
    from tests.test_pages import CLIENT_HOME_QUERIES

    client.force_login(bob)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        assert client.get(reverse("dashboard:home")).context["open_requests"] == []
    client.force_login(alice)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES + 1):
        assert client.get(reverse("dashboard:home")).context["open_requests"] == [open_request]


def test_home_lists_the_clients_open_requests(client, alice, open_request, asked):
    declined = _request(asked, alice, days=6, status="declined")
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("bookings:request", args=[open_request.code]) in body
    assert declined.code not in body
    assert reverse("bookings:my_requests") in body
    body = client.get(reverse("bookings:my_requests")).content.decode()
    assert open_request.code in body and declined.code in body


def test_the_practice_page_counts_the_open_requests(client, professional, open_request):
    client.force_login(professional.user)
    body = client.get(reverse("bookings:practice")).content.decode()
    assert "1 session request is waiting for your answer." in body


def test_a_notification_of_a_request_leads_to_it(
    client, professional, alice, asked, django_capture_on_commit_callbacks
):
    from tengja.bookings.requests import request_create, request_decline

    starts = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0)
    made = request_create(client=alice, session_type=asked, starts_at=starts)
    request_decline(booking_request=made)
    client.force_login(professional.user)
    notice = Notification.objects.get(user=professional.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "New request: First talk from Alice Andersen" in page
    response = client.post(reverse("notifications:open", args=[notice.code]))
    assert response.url == reverse("bookings:requests")
    client.force_login(alice)
    notice = Notification.objects.get(user=alice)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Request declined: First talk with Helga" in page
    response = client.post(reverse("notifications:open", args=[notice.code]))
    assert response.url == reverse("bookings:request", args=[made.code])


def _many(kind, count, days=2):
    clients = UserFactory.create_batch(3)
    start = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    BookingRequest.objects.bulk_create(
        BookingRequest(
            professional=kind.professional,
            session_type=kind,
            client=clients[i % 3],
            starts_at=start + timedelta(hours=i),
            message=f"Message {i}",
            status="open" if i % 2 else "declined",
            answered_at=None if i % 2 else timezone.now(),
            expires_at=start + timedelta(hours=i - 1),
        )
        for i in range(count)
    )
    for i in range(0, min(count, 40), 4):
        BookingFactory(session_type=kind, starts_at=start + timedelta(hours=i))
    return clients


def test_query_counts_stay_flat_with_500_requests(
    client, professional, asked, alice, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts():
        found = {}
        for user, url in (
            (professional.user, reverse("bookings:requests")),
            (professional.user, reverse("bookings:practice")),
            (alice, reverse("dashboard:home")),
            (alice, reverse("bookings:my_requests")),
        ):
            client.force_login(user)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found[url] = len(queries)
        return found

    _many(asked, 4)
    _request(asked, alice)
    few = counts()
    _many(asked, 500, days=60)
    for i in range(30):
        _request(asked, alice, days=10 + i)
    many = counts()
    assert many == few, (few, many)
    assert few[reverse("bookings:requests")] <= 8
