from django.urls import reverse
from django.utils import timezone

from tengja.bookings.slots import free_slots
from tengja.hubs.models import CreditRequest, HubInvitedAddress, HubProfessional
from tengja.hubs.services import balance, credit_request_create, hub_book, hub_eligible
from tests.factories import HubFactory, SessionTypeFactory


def book(member, offer):
    slot = free_slots(
        professionals=[offer.professional],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[offer.professional_id][0]
    return hub_book(membership=member, offer=offer, starts_at=slot.starts_at)


def test_hr_sees_totals_but_never_who_or_when(client, hr, member, offer):
    booking = book(member, offer)
    client.force_login(hr)
    body = client.get(reverse("hubs:admin", args=[member.hub.code])).content.decode()
    assert "1 member has joined." in body
    for secret in (
        member.user.name,
        member.user.email,
        member.email,
        booking.code,
        booking.starts_at.strftime("%H:%M"),
    ):
        assert secret not in body, secret
    usage = client.get(reverse("hubs:admin", args=[member.hub.code])).context["usage"]
    assert usage["months"][0]["granted"] == 2 and usage["months"][0]["used"] == 1


def test_hr_finds_the_hub_page_from_home(client, hr, hub):
    client.force_login(hr)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("hubs:admin", args=[hub.code]) in body


def test_only_the_companys_hr_admins_reach_the_hr_page(client, alice, member, professional):
    for person in (alice, member.user, professional.user):
        client.force_login(person)
        assert client.get(reverse("hubs:admin", args=[member.hub.code])).status_code == 404


def test_a_professional_asks_for_credits_and_hr_approves_without_knowing_whom(
    client, hr, member, offer
):
    booking = book(member, offer)
    client.force_login(offer.professional.user)
    client.post(reverse("hubs:credit_request", args=[booking.code]), {"credits": 3})
    request = CreditRequest.objects.get()
    client.force_login(hr)
    body = client.get(reverse("hubs:admin", args=[member.hub.code])).content.decode()
    assert "Dr. Sól asks for 3 more credits for one of your members." in body
    assert member.user.name not in body and member.email not in body
    approve = reverse("hubs:admin_request_approve", args=[member.hub.code, request.code])
    assert approve in body
    client.post(approve)
    assert balance(membership=member) == 1 + 3
    response = client.post(approve, follow=True)
    assert "This request has already been decided." in response.content.decode()
    assert balance(membership=member) == 4  # decided once


def test_hr_declines_a_request_and_no_credit_moves(client, hr, member, offer):
    booking = book(member, offer)
    request = credit_request_create(booking=booking, credits=5)
    client.force_login(hr)
    client.post(reverse("hubs:admin_request_decline", args=[member.hub.code, request.code]))
    request.refresh_from_db()
    assert request.status == CreditRequest.Status.DECLINED and request.decided_at
    assert balance(membership=member) == 1
    body = client.get(reverse("hubs:admin", args=[member.hub.code])).content.decode()
    assert "Declined" in body and "admin_request" not in body


def test_a_request_of_another_hub_is_404(client, hr, member, offer):
    request = credit_request_create(booking=book(member, offer), credits=2)
    other = HubFactory()
    other.company.admins.add(hr)
    client.force_login(hr)
    response = client.post(reverse("hubs:admin_request_approve", args=[other.code, request.code]))
    assert response.status_code == 404
    assert CreditRequest.objects.get().status == CreditRequest.Status.PENDING


def test_only_the_sessions_professional_may_ask(client, alice, member, offer):
    booking = book(member, offer)
    client.force_login(member.user)
    assert (
        client.post(reverse("hubs:credit_request", args=[booking.code]), {"credits": 3}).status_code
        == 404
    )
    assert not CreditRequest.objects.exists()


def test_hr_saves_the_welcome_text_and_credits(client, hr, hub):
    client.force_login(hr)
    url = reverse("hubs:admin_settings", args=[hub.code])
    settings = {"welcome_text": "Hello team", "credits_per_period": 4, "period_months": 6}
    assert client.post(url, settings)["Location"] == reverse("hubs:admin", args=[hub.code])
    hub.refresh_from_db()
    assert (hub.welcome_text, hub.credits_per_period, hub.period_months) == ("Hello team", 4, 6)
    response = client.post(url, {**settings, "welcome_text": "x", "period_months": 99})
    assert response.status_code == 400
    assert "Choose a period of 1 to 36 months." in response.content.decode()
    hub.refresh_from_db()
    assert (hub.welcome_text, hub.period_months) == ("Hello team", 6)
    assert client.get(url).status_code == 405


def test_hr_adds_and_removes_domains(client, hr, hub):
    client.force_login(hr)
    add = reverse("hubs:admin_domain_add", args=[hub.code])
    client.post(add, {"domain": "@Subsidiary.test"})
    assert hub.domains.filter(domain="subsidiary.test").exists()
    response = client.post(add, {"domain": "not a domain"})
    assert response.status_code == 400
    assert "Enter a domain like example.com." in response.content.decode()
    assert not hub.domains.filter(domain="not a domain").exists()
    client.post(reverse("hubs:admin_domain_remove", args=[hub.code, "subsidiary.test"]))
    assert not hub.domains.filter(domain="subsidiary.test").exists()
    assert hub.domains.filter(domain="acme.test").exists()
    assert not hub_eligible(hub=hub, email="x@subsidiary.test")


def test_hr_invites_one_address_outside_the_domains(client, hr, hub):
    client.force_login(hr)
    url = reverse("hubs:admin_address_invite", args=[hub.code])
    assert not hub_eligible(hub=hub, email="contractor@gmail.test")
    client.post(url, {"invite-email": "Contractor@Gmail.test"})
    assert hub_eligible(hub=hub, email="contractor@gmail.test")
    response = client.post(url, {"invite-email": "not an address"})
    assert response.status_code == 400
    assert HubInvitedAddress.objects.count() == 1


def test_hr_offers_a_professional_and_takes_them_off(client, hr, hub, professional):
    SessionTypeFactory(professional=professional, name="Coaching")
    client.force_login(hr)
    url = reverse("hubs:admin_offer_set", args=[hub.code])
    offer = {
        "professional_email": professional.user.email,
        "session_type": "coaching",
        "credits": 2,
    }
    response = client.post(url, {**offer, "session_type": "Nothing of the sort"})
    assert response.status_code == 400
    assert "No professional with that e-mail offers" in response.content.decode()
    assert not HubProfessional.objects.exists()
    client.post(url, offer)
    offered = HubProfessional.objects.get()
    assert (offered.professional, offered.session_type.name, offered.credits) == (
        professional,
        "Coaching",
        2,
    )
    client.post(url, {**offer, "credits": 3})  # the same professional again: updated
    assert HubProfessional.objects.get().credits == 3
    client.post(reverse("hubs:admin_offer_remove", args=[hub.code, professional.code]))
    assert not HubProfessional.objects.exists()


def test_each_hr_action_is_for_the_hubs_hr_only(client, alice, hub, professional):
    client.force_login(alice)
    for name, args in (
        ("hubs:admin_settings", []),
        ("hubs:admin_domain_add", []),
        ("hubs:admin_domain_remove", ["acme.test"]),
        ("hubs:admin_address_invite", []),
        ("hubs:admin_member_remove", []),
        ("hubs:admin_offer_set", []),
        ("hubs:admin_offer_remove", [professional.code]),
        ("hubs:admin_request_approve", ["x"]),
        ("hubs:admin_request_decline", ["x"]),
    ):
        response = client.post(reverse(name, args=[hub.code, *args]), {"domain": "evil.test"})
        assert response.status_code == 404, name
    assert list(hub.domains.values_list("domain", flat=True)) == ["acme.test"]
