from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tengja.professionals.models import Language, SessionType
from tests.factories import SessionTypeFactory


def test_add_session_type_with_price_in_main_units(client, professional):
    client.force_login(professional.user)
    response = client.post(
        reverse("professionals:session_type_new"),
        {
            "name": "Couples",
            "duration_minutes": 80,
            "price": "125.50",
            "currency": "EUR",
            "mode": "video",
            "cancellation_notice_hours": 48,
        },
    )
    assert response.status_code == 302
    kind = SessionType.objects.get(professional=professional)
    assert (kind.price_amount, kind.currency, kind.cancellation_notice_hours) == (12550, "EUR", 48)
    body = client.get(reverse("bookings:practice")).content.decode()
    assert "€125.50" in body and "48 hours" in body


def test_isk_has_no_decimals_and_other_bad_input(client, professional):
    client.force_login(professional.user)
    url = reverse("professionals:session_type_new")
    base = {
        "name": "X",
        "duration_minutes": 50,
        "price": "100",
        "currency": "ISK",
        "mode": "video",
        "cancellation_notice_hours": 24,
    }
    for change, message in (
        ({"price": "100.50"}, "ISK has no smaller unit than this."),
        ({"price": "-5"}, "greater than or equal to 0"),
        ({"duration_minutes": 0}, "between 5 and 480"),
        ({"cancellation_notice_hours": 12}, "Select a valid choice"),
        ({"mode": "carrier-pigeon"}, "Select a valid choice"),
        ({"currency": "XXX"}, "Select a valid choice"),
    ):
        response = client.post(url, {**base, **change})
        assert response.status_code == 400, change
        assert message in response.content.decode(), change
    assert not SessionType.objects.exists()


def test_edit_and_stop_offering_a_session_type(client, professional):
    kind = SessionTypeFactory(professional=professional, price_amount=15000, currency="ISK")
    client.force_login(professional.user)
    url = reverse("professionals:session_type", args=[kind.code])
    assert 'value="15000"' in client.get(url).content.decode()
    # A refused change shows the old name in the heading and changes nothing.
    refused = client.post(
        url,
        {
            "name": "New",
            "duration_minutes": 1,
            "price": "1",
            "currency": "ISK",
            "mode": "video",
            "cancellation_notice_hours": 24,
        },
    )
    assert refused.status_code == 400
    assert f"<title>{kind.name} · Tengja</title>" in refused.content.decode()
    client.post(
        url,
        {
            "name": "Longer talk",
            "duration_minutes": 80,
            "price": "20000",
            "currency": "ISK",
            "mode": "video",
            "cancellation_notice_hours": 48,
        },
    )
    kind.refresh_from_db()
    assert (kind.name, kind.duration_minutes, kind.price_amount) == ("Longer talk", 80, 20000)
    client.post(reverse("professionals:session_type_stop", args=[kind.code]))
    kind.refresh_from_db()
    assert not kind.is_active
    body = client.get(reverse("bookings:invite")).content.decode()
    assert "Add a session type first" in body
    client.post(reverse("professionals:session_type_resume", args=[kind.code]))
    kind.refresh_from_db()
    assert kind.is_active


def test_another_professionals_session_type_is_404(client, professional, other_professional):
    kind = SessionTypeFactory(professional=other_professional)
    client.force_login(professional.user)
    url = reverse("professionals:session_type", args=[kind.code])
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("professionals:session_type_stop", args=[kind.code])).status_code == 404
    )
    kind.refresh_from_db()
    assert kind.is_active


def test_edit_public_profile(client, professional):
    client.force_login(professional.user)
    icelandic = Language.objects.get(code="is")
    response = client.post(
        reverse("professionals:profile"),
        {"title": "Clinical psychologist", "bio": "Sleep and stress.", "languages": [icelandic.pk]},
    )
    assert response["Location"] == reverse("professionals:public", args=[professional.code])
    body = client.get(response["Location"]).content.decode()
    assert "Clinical psychologist" in body and "Íslenska" in body


def test_practice_lists_upcoming_sessions_with_a_flat_query_count(
    client, professional, django_assert_max_num_queries
):
    from tests.factories import BookingFactory

    kind = SessionTypeFactory(professional=professional)
    client.force_login(professional.user)
    BookingFactory(session_type=kind)
    # Six, the twelve months' chart (its sessions and its income), and the count
    # of session requests waiting for an answer.
    with django_assert_max_num_queries(9):
        client.get(reverse("bookings:practice"))
    for _ in range(30):
        from datetime import timedelta

        last = professional.bookings.order_by("-starts_at").first()
        BookingFactory(session_type=kind, starts_at=last.ends_at + timedelta(minutes=10))
    with django_assert_max_num_queries(9):
        response = client.get(reverse("bookings:practice"))
    # The next ten; the week has them all.
    assert response.content.decode().count('<li class="session') == 10
    assert reverse("dashboard:practice_week") in response.content.decode()


def test_weekly_hours_time_off_and_extra_hours(client, professional, other_professional):
    from tengja.professionals.models import AvailabilityException, WeeklyAvailability

    client.force_login(professional.user)
    url = reverse("professionals:availability")
    add_window, add_day, add_off = (
        reverse("professionals:window_add"),
        reverse("professionals:exception_add"),
        reverse("professionals:time_off_add"),
    )
    client.post(add_window, {"window-weekday": 0, "window-starts": "09:00", "window-ends": "12:00"})
    window = WeeklyAvailability.objects.get(professional=professional)
    assert (window.weekday, window.starts.hour, window.ends.hour) == (0, 9, 12)
    response = client.post(
        add_window, {"window-weekday": 1, "window-starts": "12:00", "window-ends": "09:00"}
    )
    assert response.status_code == 400
    assert "The end must come after the start." in response.content.decode()
    day_off = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(add_off, {"off-date": day_off})
    response = client.post(add_day, {"exception-date": day_off})
    assert response.status_code == 400
    assert "Extra hours need a start and a later end." in response.content.decode()
    assert AvailabilityException.objects.get().kind == "off"
    # Each form's labels point at its own inputs; the lists offer real choices only.
    body = client.get(url).content.decode()
    for field in ("window-starts", "window-ends", "exception-starts", "off-starts", "off-ends"):
        assert body.count(f'id="id_{field}"') == 1 and f'for="id_{field}"' in body
    assert 'id="id_starts"' not in body and "---------" not in body
    assert '<option value="0">Monday</option>' in body
    assert '<option value="30" selected>Every 30 minutes</option>' in body
    # Another professional's rows cannot be removed from here.
    theirs = WeeklyAvailability.objects.create(
        professional=other_professional, weekday=2, starts="09:00", ends="10:00"
    )
    client.post(reverse("professionals:window_remove", args=[theirs.code]))
    assert WeeklyAvailability.objects.filter(pk=theirs.pk).exists()
    client.post(reverse("professionals:window_remove", args=[window.code]))
    day = AvailabilityException.objects.get()
    client.post(reverse("professionals:exception_remove", args=[day.code]))
    assert not AvailabilityException.objects.exists()
    assert not WeeklyAvailability.objects.filter(pk=window.pk).exists()
