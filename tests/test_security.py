"""The access matrix, security headers on every page, and CSRF on every form."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_pay, new_payment_key
from tengja.bookings.services import booking_invite
from tengja.hubs.models import Membership
from tengja.notifications.models import Notification
from tengja.professionals.services import professional_invite
from tests.billing.conftest import add_card
from tests.factories import CompanyFactory, HubFactory, SessionTypeFactory, UserFactory
from tests.test_page_matrix import directives


@pytest.fixture
def world(alice, bob, professional, other_professional):
    """Alice's session with her professional, its bill, her card, a notification,
    a payment waiting for authentication, and a hub run by an HR admin."""
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    booking = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(minutes=5),
        email=alice.email,
    )
    # One a few days ahead, which Alice may still move herself.
    later = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=3),
        email=alice.email,
    )
    card = add_card(alice, "4000 0027 6000 3184")  # asks for authentication on each charge
    payment = invoice_pay(
        invoice=invoice_standing(booking=booking), method=card, payment_key=new_payment_key()
    )
    operator = UserFactory(email="ops@tengja.test", is_staff=True)
    invitation = professional_invite(
        email="new.pro@example.com", language="en", invited_by=operator
    )
    hr = UserFactory(email="hr@acme.test")
    hub = HubFactory(company=CompanyFactory())
    hub.company.admins.add(hr)
    Membership.objects.create(hub=hub, user=alice, email="alice@acme.test", status="active")
    return {
        "booking": booking,
        "later": later,
        "card": card,
        "payment": payment,
        "hub": hub,
        "hr": hr,
        "notification": Notification.objects.filter(user=alice).first(),
        "professional_invitation": invitation,
        "people": {
            "owner": alice,
            "professional": professional.user,
            "other client": bob,
            "other professional": other_professional.user,
            "hr admin": hr,
            "operator": operator,
        },
    }


def matrix(world):
    b, hub = world["booking"], world["hub"]
    invoice = invoice_standing(booking=b)
    return [
        # url, method, who may
        (reverse("bookings:detail", args=[b.code]), "get", {"owner", "professional"}),
        (reverse("bookings:cancel", args=[b.code]), "get", {"owner", "professional"}),
        (reverse("bookings:move", args=[world["later"].code]), "get", {"owner", "professional"}),
        # The client's review of a new time (without one: back to the free times).
        (reverse("bookings:move_confirm", args=[world["later"].code]), "get", {"owner"}),
        (reverse("video:join", args=[b.code]), "get", {"owner", "professional"}),
        (reverse("notifications:booking_ics", args=[b.code]), "get", {"owner", "professional"}),
        (reverse("billing:invoice", args=[invoice.code]), "get", {"owner", "professional"}),
        (reverse("billing:invoice_pdf", args=[invoice.code]), "get", {"owner", "professional"}),
        (reverse("billing:pay", args=[invoice.code]), "get", {"owner"}),
        (reverse("billing:card_update", args=[world["card"].code]), "get", {"owner"}),
        (
            reverse("billing:local_authenticate", args=[world["payment"].provider_ref]),
            "get",
            {"owner"},
        ),
        (reverse("notifications:open", args=[world["notification"].code]), "post", {"owner"}),
        (reverse("hubs:browse", args=[hub.code]), "get", {"owner"}),
        (reverse("hubs:admin", args=[hub.code]), "get", {"hr admin"}),
    ]


def test_only_the_owner_and_their_professional_reach_each_object(world):
    for url, method, allowed in matrix(world):
        for who, person in world["people"].items():
            client = Client()
            client.force_login(person)
            status = getattr(client, method)(url).status_code
            if who in allowed:
                assert status in (200, 302), (url, who, status)
            else:
                assert status == 404, (url, who, status)
        visitor = getattr(Client(), method)(url)
        assert visitor.status_code == 302 and "/accounts/login/" in visitor["Location"], url


def test_security_headers_on_every_page(world, client):
    client.force_login(world["people"]["owner"])
    pages = [
        url for url, method, allowed in matrix(world) if method == "get" and "owner" in allowed
    ]
    pages += [
        reverse(name)
        for name in (
            "dashboard:home",
            "dashboard:calendar",
            "billing:payments",
            "notifications:list",
            "notifications:settings",
            "accounts:profile",
            "dashboard:connections",
        )
    ]
    for url in pages:
        # The review of a new time without one sends back to the free times.
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        if response["Content-Type"].startswith("text/html"):
            assert "default-src 'self'" in response["Content-Security-Policy"], url
            assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "camera=" in response["Permissions-Policy"], url
        assert directives(response["Cache-Control"]) >= {"private", "no-store"}, url


def test_csrf_is_enforced_on_every_form(world):
    b, invoice = world["booking"], invoice_standing(booking=world["booking"])
    posts = {
        "owner": [
            reverse("bookings:cancel", args=[b.code]),
            reverse("bookings:move_confirm", args=[world["later"].code]),
            reverse("billing:pay", args=[invoice.code]),
            reverse("billing:card_add"),
            reverse("billing:card_remove", args=[world["card"].code]),
            reverse("billing:card_default", args=[world["card"].code]),
            reverse("accounts:profile"),
            reverse("accounts:picture"),
            reverse("accounts:email_change"),
            reverse("accounts:two_factor"),
            reverse("accounts:two_factor_disable"),
            reverse("privacy:export_request"),
            reverse("privacy:delete"),
            reverse("privacy:export_download", args=["any-token"]),
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("accounts:set_language"),
            reverse("notifications:read_all"),
            reverse("notifications:settings"),
            reverse("hubs:join", args=[world["hub"].code]),
            reverse("messaging:start"),
        ],
        "professional": [
            reverse("bookings:invite"),
            reverse("bookings:move", args=[b.code]),
            reverse("bookings:resend", args=[b.code]),
            reverse("professionals:session_type_new"),
            reverse("professionals:availability"),
            reverse("professionals:profile"),
            reverse("professionals:business_details"),
            reverse("hubs:credit_request", args=[b.code]),
            reverse("hubs:offer_accept", args=[world["hub"].code]),
            reverse("hubs:offer_decline", args=[world["hub"].code]),
        ],
        "operator": [
            reverse("professionals:staff_invite"),
            reverse(
                "professionals:staff_invitation_resend",
                args=[world["professional_invitation"].code],
            ),
            reverse(
                "professionals:staff_invitation_revoke",
                args=[world["professional_invitation"].code],
            ),
            reverse("professionals:staff_deactivate", args=[b.professional.code]),
            reverse("professionals:staff_reactivate", args=[b.professional.code]),
        ],
        "hr admin": [
            reverse(name, args=[world["hub"].code])
            for name in (
                "hubs:admin_settings",
                "hubs:admin_domain_add",
                "hubs:admin_address_invite",
                "hubs:admin_member_remove",
                "hubs:admin_offer_set",
            )
        ],
    }
    for who, urls in posts.items():
        client = Client(enforce_csrf_checks=True)
        client.force_login(world["people"][who])
        for url in urls:
            response = client.post(url, {})
            assert response.status_code == 403, (url, response.status_code)
            assert "Please try again" in response.content.decode()
    for url in (
        reverse("accounts:login"),
        reverse("accounts:signup"),
        reverse("accounts:password_reset"),
        reverse("accounts:login_code"),
        reverse("professionals:join", args=["any-token"]),
    ):
        assert Client(enforce_csrf_checks=True).post(url, {}).status_code == 403


def test_the_stripe_webhook_is_the_one_form_without_csrf_and_needs_a_signature(client, db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("billing:stripe_webhook"), b"{}", content_type="application/json"
    )
    assert response.status_code == 400


def test_health_answers_without_a_session(client, db):
    response = client.get(reverse("health"))
    assert response.content == b"ok"


# ------------------------------------------------------------- what browsers may keep and use


def test_downloads_of_a_persons_data_say_private_no_store(world, client):
    client.force_login(world["people"]["owner"])
    invoice = invoice_standing(booking=world["booking"])
    for url in (
        reverse("billing:invoice_pdf", args=[invoice.code]),
        reverse("notifications:booking_ics", args=[world["booking"].code]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response["Cache-Control"]) >= {"private", "no-store"}, url
