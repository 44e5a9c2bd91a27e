from django.urls import reverse
from django.utils import timezone

from tengja.bookings.slots import free_slots
from tengja.hubs.models import CreditRequest, HubProfessional
from tengja.hubs.services import balance, hub_book


def book(member, offer):
    slot = free_slots(professionals=[offer.professional], duration=offer.session_type.duration,
                      start=timezone.localdate(), days=7)[offer.professional_id][0]  # fmt: skip
    return hub_book(membership=member, offer=offer, starts_at=slot.starts_at)


def test_hr_sees_totals_but_never_who_or_when(client, hr, member, offer):
    booking = book(member, offer)
    client.force_login(hr)
    body = client.get(reverse("hubs:admin", args=[member.hub.code])).content.decode()
    assert "1 member has joined." in body
    for secret in (member.user.name, member.user.email, member.email, booking.code,
                   booking.starts_at.strftime("%H:%M")):  # fmt: skip
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
    client.post(
        reverse("hubs:admin", args=[member.hub.code]), {"form": "approve", "code": request.code}
    )
    assert balance(membership=member) == 1 + 3
    client.post(
        reverse("hubs:admin", args=[member.hub.code]), {"form": "approve", "code": request.code}
    )
    assert balance(membership=member) == 4  # decided once


def test_only_the_sessions_professional_may_ask(client, alice, member, offer):
    booking = book(member, offer)
    client.force_login(member.user)
    assert (
        client.post(reverse("hubs:credit_request", args=[booking.code]), {"credits": 3}).status_code
        == 404
    )
    assert not CreditRequest.objects.exists()


def test_hr_manages_welcome_domains_and_offers(client, hr, hub, offer):
    client.force_login(hr)
    url = reverse("hubs:admin", args=[hub.code])
    client.post(
        url,
        {
            "form": "settings",
            "welcome_text": "Hello team",
            "credits_per_period": 4,
            "period_months": 6,
        },
    )
    hub.refresh_from_db()
    assert (hub.welcome_text, hub.credits_per_period, hub.period_months) == ("Hello team", 4, 6)
    response = client.post(
        url, {"form": "settings", "welcome_text": "x", "credits_per_period": 4, "period_months": 99}
    )
    assert response.status_code == 400
    client.post(url, {"form": "domain", "domain": "@Subsidiary.test"})
    assert hub.domains.filter(domain="subsidiary.test").exists()
    client.post(url, {"form": "domain", "domain": "not a domain"}, follow=True)
    assert not hub.domains.filter(domain="not a domain").exists()
    client.post(url, {"form": "offer_remove", "id": offer.pk})
    assert not HubProfessional.objects.exists()
