"""A hub member at phone width, in Icelandic, answers the WHO-5 from the card on
Home, sees their score, and the card is gone. Axe-clean."""

from django.utils import timezone
from playwright.sync_api import expect

from tengja.hubs.models import Membership
from tengja.wellbeing.models import Checkin
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import CompanyFactory, HubFactory


def test_a_member_answers_the_who5_from_home(phone, alice, password):
    alice.language = "is"
    alice.save(update_fields=["language"])
    hub = HubFactory(company=CompanyFactory(name="Acme hf."), name="Acme")
    Membership.objects.create(
        hub=hub, user=alice, email=alice.email, status="active", verified_at=timezone.now()
    )
    sign_in(phone, alice.email, password)
    card = phone.get_by_role("link", name="Svaraðu vellíðunarkvarðanum (Acme): fimm spurningar")
    expect(card).to_be_visible()
    assert axe_violations(phone) == []
    card.click()
    expect(phone.get_by_text("Over the last two weeks")).to_be_visible()
    assert axe_violations(phone) == []
    for item, value in enumerate([4, 3, 4, 2, 5], start=1):
        phone.locator(f'input[name="{item}"][value="{value}"]').check()
    phone.get_by_role("button", name="Senda svörin mín").click()
    expect(phone.get_by_text("Nýjustu stigin þín: 72 af 100")).to_be_visible()
    expect(phone.locator(".measure-chart__dot")).to_have_count(1)
    assert axe_violations(phone) == []
    assert Checkin.objects.get().raw == 18
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Hvernig líður þér?")).to_have_count(0)
    assert axe_violations(phone) == []
