from django.urls import reverse
from icalendar import Calendar

from tengja.notifications.feed import feed_token_for
from tengja.notifications.models import Notification


def test_header_shows_unread_count_and_list_links_to_the_session(client, alice, book):
    booking = book(alice.email)
    client.force_login(alice)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert '<span class="bell__count" aria-hidden="true">2</span>' in home
    assert "2 unread" in home
    page = client.get(reverse("notifications:list")).content.decode()
    assert "New booking: Individual session with Helga Sigurðardóttir" in page
    assert "Payment due: ISK\xa015,000 for Individual session with Helga Sigurðardóttir" in page
    booked = Notification.objects.get(user=alice, kind="booked")
    response = client.post(reverse("notifications:open", args=[booked.code]))
    assert response["Location"] == reverse("bookings:detail", args=[booking.code])
    booked.refresh_from_db()
    assert booked.read_at is not None
    # A notice about a bill leads to the bill.
    due = Notification.objects.get(user=alice, kind="payment_due")
    response = client.post(reverse("notifications:open", args=[due.code]))
    assert response["Location"] == reverse("billing:invoice", args=[due.invoice.code])
    assert "bell__count" not in client.get(reverse("dashboard:home")).content.decode()


def test_mark_all_read(client, alice, book):
    book(alice.email)
    book(alice.email, __import__("datetime").timedelta(days=5))
    client.force_login(alice)
    client.post(reverse("notifications:read_all"), {"next": "https://evil.example/"})
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()


def test_another_users_notification_is_404(client, alice, bob, book):
    book(alice.email)
    notification = Notification.objects.get(user=alice, kind="booked")
    client.force_login(bob)
    assert client.post(reverse("notifications:open", args=[notification.code])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert "Individual session" not in client.get(reverse("notifications:list")).content.decode()


def test_notifications_page_query_count_is_flat(client, alice, book, django_assert_max_num_queries):
    from datetime import timedelta

    client.force_login(alice)
    for days in range(3, 30):
        book(alice.email, timedelta(days=days))
    # Session, user, header (1), count, the page, its sessions: whatever the history.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("notifications:list"))
    assert len(response.context["page"]) == 20


def test_turning_reminders_off(client, alice):
    client.force_login(alice)
    client.post(reverse("notifications:settings"), {})
    assert alice.notification_preferences.email_reminders is False
    client.post(reverse("notifications:settings"), {"email_reminders": "on"})
    alice.notification_preferences.refresh_from_db()
    assert alice.notification_preferences.email_reminders is True


def test_calendar_feed_lists_sessions_and_can_be_revoked(client, alice, book):
    booking = book(alice.email)
    url = reverse("notifications:feed", args=[alice.pk, feed_token_for(user=alice)])
    client.force_login(alice)
    assert url in client.get(reverse("notifications:settings")).content.decode()
    client.logout()  # calendar apps do not sign in
    response = client.get(url)
    assert response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.code}@tengja"
    client.force_login(alice)
    client.post(reverse("notifications:feed_renew"))
    client.logout()
    assert client.get(url).status_code == 404
    new_url = reverse("notifications:feed", args=[alice.pk, feed_token_for(user=alice)])
    assert client.get(new_url).status_code == 200


def test_a_wrong_or_borrowed_feed_token_is_404(client, alice, bob):
    alice_token = feed_token_for(user=alice)
    feed_token_for(user=bob)
    assert client.get(reverse("notifications:feed", args=[bob.pk, alice_token])).status_code == 404
    assert client.get(reverse("notifications:feed", args=[alice.pk, "x" * 40])).status_code == 404


def test_notices_of_questionnaires_keep_the_page_flat(
    client, alice, professional, book, django_assert_max_num_queries
):
    """Sessions and questionnaires in one list: one more query for the
    questionnaires, however many (tengja.notifications.selectors)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tengja.measures.services import measure_send
    from tests.factories import BookingFactory

    BookingFactory(
        client=alice,
        session_type__professional=professional,
        starts_at=timezone.now() - __import__("datetime").timedelta(days=30),
    )

    def add(count: int, first_day: int) -> None:
        for n in range(count):
            book(alice.email, __import__("datetime").timedelta(days=first_day + n))
            measure_send(
                professional=professional,
                client=alice,
                instrument="phq9" if n % 2 else "gad7",
                mode="once",
                notify=False,
            )

    client.force_login(alice)
    add(2, 3)
    with CaptureQueriesContext(connection) as few:
        assert (
            "New questionnaire from" in client.get(reverse("notifications:list")).content.decode()
        )
    add(15, 10)
    # Session, user, header, count, the page, its sessions, its questionnaires.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("notifications:list"))
    assert len(response.context["page"]) == 20
    assert len(few) == 7
