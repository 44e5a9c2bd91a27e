"""Failure: the database connection drops mid-booking or mid-payment, and Redis
is away. Nothing is half-written; people get a clear answer and can retry."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice, Payment
from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking
from tengja.notifications.models import Delivery
from tests.conftest import requires_postgres
from tests.factories import SessionTypeFactory


def terminate_own_connection() -> None:
    """Kill this connection's PostgreSQL backend from another connection: a real drop."""
    import psycopg

    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_connection_drop_mid_booking_writes_nothing_and_a_retry_works(professional):
    kind = SessionTypeFactory(professional=professional)
    client = Client(raise_request_exception=False)
    client.force_login(professional.user)
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = {
        "session_type": kind.pk,
        "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "email": "client@example.com",
    }
    from tengja.billing import services as billing

    real_issue = billing.invoice_issue

    def drop_then_issue(*, booking):
        terminate_own_connection()  # the booking row is written, the invoice not yet
        return real_issue(booking=booking)

    with mock.patch.object(billing, "invoice_issue", side_effect=drop_then_issue):
        response = client.post(reverse("bookings:invite"), data)
    assert response.status_code == 503
    assert "Nothing you sent was saved" in response.content.decode()
    connection.close()
    assert Booking.objects.count() == 0
    assert Invoice.objects.count() == 0 and Delivery.objects.count() == 0
    # Retry: it goes through.
    client.force_login(professional.user)
    response = client.post(reverse("bookings:invite"), data)
    assert response.status_code == 302
    assert Booking.objects.count() == 1 and Invoice.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_connection_drop_mid_payment_charges_nothing_twice(alice, professional):
    from tengja.billing import services as billing
    from tengja.bookings.services import booking_invite
    from tests.billing.conftest import add_card

    kind = SessionTypeFactory(professional=professional)
    booking = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=2),
        email=alice.email,
    )
    card = add_card(alice)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    key = billing.new_payment_key()
    real_succeed = billing._succeed

    def drop_then_succeed(invoice, payment):
        terminate_own_connection()
        return real_succeed(invoice, payment)

    url = reverse("billing:pay", args=[invoice_standing(booking=booking).code])
    with mock.patch.object(billing, "_succeed", side_effect=drop_then_succeed):
        response = client.post(url, {"card": card.code, "payment_key": key})
    assert response.status_code == 503
    connection.close()
    assert invoice_standing(booking=booking).status == "open"
    # The same form sent again: the provider returns the same charge, recorded once.
    client.force_login(alice)
    client.post(url, {"card": card.code, "payment_key": key})
    assert invoice_standing(booking=booking).status == "paid"
    assert Payment.objects.filter(status="succeeded").count() == 1
    from tengja.billing.models import LocalIntent

    assert LocalIntent.objects.count() == 1


def test_a_lost_database_gets_a_clear_503(client, alice):
    client.force_login(alice)
    client.raise_request_exception = False
    with mock.patch(
        "tengja.dashboard.views.bookings_upcoming_for_user",
        side_effect=OperationalError("server closed the connection"),
    ):
        response = client.get(reverse("dashboard:home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_without_redis_pages_and_booking_keep_working(client, settings, professional, alice):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [DEAD_REDIS]},
        }
    }
    client.force_login(professional.user)
    kind = SessionTypeFactory(professional=professional)
    start = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("bookings:invite"),
        {"session_type": kind.pk, "starts_at": start, "email": alice.email},
    )
    assert response.status_code == 302
    client.force_login(alice)
    for name in ("dashboard:home", "dashboard:calendar", "billing:payments"):
        assert client.get(reverse(name)).status_code == 200
