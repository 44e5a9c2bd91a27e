import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.hubs.models import CreditEntry, HubInvitedAddress, Membership
from tengja.hubs.services import (
    HubError,
    balance,
    credits_renew_due,
    hub_eligible,
    membership_join,
    membership_verify,
)
from tengja.lib.dates import add_months
from tengja.lib.tokens import token_hash
from tests.conftest import race, requires_postgres

SIGN_UP = {"name": "Nína", "password": "a long enough passphrase", "accept_terms": "on"}


def verify_path() -> str:
    return re.search(r"https?://[^/\s]+(/hubs/verify/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_eligibility_by_domain_or_invited_address(hub):
    assert hub_eligible(hub=hub, email="Anyone@ACME.test")
    assert not hub_eligible(hub=hub, email="someone@gmail.test")
    HubInvitedAddress.objects.create(hub=hub, email="contractor@gmail.test")
    assert hub_eligible(hub=hub, email="contractor@gmail.test")
    assert not hub_eligible(hub=hub, email="x@evil-acme.test")


def test_hub_page_offers_create_an_account_to_claim_credits(client, hub):
    body = client.get(reverse("hubs:hub", args=[hub.code])).content.decode()
    assert "Create an account" in body and "to claim your credits" in body
    assert reverse("hubs:join", args=[hub.code]) in body


def test_sign_up_through_the_hub_then_confirm_to_get_credits(
    client, hub, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hubs:join", args=[hub.code]), {**SIGN_UP, "email": "nina@acme.test"}
        )
    assert response["Location"] == reverse("dashboard:home")
    user = User.objects.get(email="nina@acme.test")
    membership = Membership.objects.get(user=user)
    assert membership.status == "pending"
    assert balance(membership=membership) == 0
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "Open the link we sent to nina@acme.test to get your credits." in home
    path = verify_path()
    assert membership.verify_token_hash == token_hash(path.strip("/").rsplit("/", 1)[1])
    client.post(path)
    membership.refresh_from_db()
    assert membership.status == "active"
    assert balance(membership=membership) == 2
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "2 credits left" in home
    assert 'class="hub-icon"' in home  # the house-and-heart icon
    # The link works once.
    assert client.post(path).status_code == 400


def test_a_non_eligible_address_is_refused_politely_and_nothing_is_made(client, hub):
    response = client.post(
        reverse("hubs:join", args=[hub.code]), {**SIGN_UP, "email": "nina@gmail.test"}
    )
    assert response.status_code == 400
    assert "is open to its employees" in response.content.decode()
    assert not User.objects.exists()
    assert not Membership.objects.exists()


def test_an_existing_client_joins_with_their_work_address(
    client, alice, hub, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hubs:join", args=[hub.code]), {"email": "alice@acme.test"})
    assert mail.outbox[-1].to == ["alice@acme.test"]
    client.post(verify_path())
    membership = Membership.objects.get(user=alice)
    assert membership.status == "active" and User.objects.count() == 1


def test_a_colleagues_link_does_not_work_for_another_account(
    client, hub, bob, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    owner = UserFactory(email="owner@acme.test")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hubs:join", args=[hub.code]), {"email": "owner@acme.test"})
    client.force_login(bob)
    assert client.post(verify_path()).status_code == 400
    assert Membership.objects.get(user=owner).status == "pending"


def test_the_link_expires(client, hub, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hubs:join", args=[hub.code]), {"email": "alice@acme.test"})
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(verify_path())
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_credits_expire_at_the_end_of_the_period_and_renew(client, member, hub):
    """Across a period boundary, with frozen time: pages only read; the periodic
    job expires what is left and grants the new period, once."""
    grant = CreditEntry.objects.get(membership=member, kind="grant")
    assert balance(membership=member) == 2
    after = grant.expires_at + timedelta(minutes=1)
    with time_machine.travel(after):
        client.force_login(member.user)
        # Before the job runs, last period's credits are no longer offered.
        assert balance(membership=member) == 0
        assert "0 credits left" in client.get(reverse("dashboard:home")).content.decode()
        assert CreditEntry.objects.filter(membership=member).count() == 1  # pages wrote nothing
        assert credits_renew_due() == 1
        assert credits_renew_due() == 0  # once per period
        assert "2 credits left" in client.get(reverse("dashboard:home")).content.decode()
    kinds = list(
        CreditEntry.objects.filter(membership=member).values_list("kind", "amount", "expires_at")
    )
    assert [(k, a) for k, a, _ in kinds] == [("grant", 2), ("expire", -2), ("grant", 2)]
    # The new period follows on from the old one, whenever the job ran.
    assert kinds[2][2] == add_months(grant.expires_at, hub.period_months)


def test_a_credit_returned_after_the_boundary_takes_the_new_periods_expiry(member, offer, hub):
    from tengja.bookings.services import booking_cancel
    from tengja.bookings.slots import free_slots
    from tengja.hubs.services import hub_book

    old_grant = CreditEntry.objects.get(membership=member, kind="grant")
    # Booked in the last days of the old period, for a session in the new one.
    with time_machine.travel(old_grant.expires_at - timedelta(days=3)):
        day = timezone.localdate() + timedelta(days=6)
        slot = free_slots(
            professionals=[offer.professional],
            duration=offer.session_type.duration,
            start=day,
            days=3,
        )[offer.professional_id][0]
        booking = hub_book(membership=member, offer=offer, starts_at=slot.starts_at)
    with time_machine.travel(old_grant.expires_at + timedelta(hours=1)):
        credits_renew_due()
        new_grant = CreditEntry.objects.filter(membership=member, kind="grant").latest("expires_at")
        booking_cancel(booking=booking, by=member.user)
        refund = CreditEntry.objects.get(membership=member, kind="refund")
        assert refund.expires_at == new_grant.expires_at
        assert balance(membership=member) == 2 + 1  # the new grant and the credit back


def test_the_ledger_is_append_only(member):
    entry = CreditEntry.objects.filter(membership=member).first()
    entry.amount = 100
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_hr_removes_a_member_bookings_stay(client, hr, hub, member, offer):
    from tengja.bookings.slots import free_slots
    from tengja.hubs.services import hub_book

    slot = free_slots(
        professionals=[offer.professional],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[offer.professional_id][0]
    booking = hub_book(membership=member, offer=offer, starts_at=slot.starts_at)
    client.force_login(hr)
    client.post(
        reverse("hubs:admin_member_remove", args=[hub.code]), {"remove-email": member.email}
    )
    member.refresh_from_db()
    assert member.status == "removed"
    booking.refresh_from_db()
    assert not booking.is_cancelled
    # Removed means out: no browsing, no rejoining with the same account.
    client.force_login(member.user)
    assert client.get(reverse("hubs:browse", args=[hub.code])).status_code == 404
    with pytest.raises(HubError, match="membership of this hub has ended"):
        membership_join(hub=hub, user=member.user, email=member.email)


def test_a_link_sent_before_removal_no_longer_gives_credits(
    client, hr, hub, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership_join(hub=hub, user=alice, email="alice@acme.test")
    token = verify_path().strip("/").rsplit("/", 1)[1]
    client.force_login(hr)
    client.post(
        reverse("hubs:admin_member_remove", args=[hub.code]), {"remove-email": "alice@acme.test"}
    )
    with pytest.raises(HubError, match="membership of this hub has ended"):
        membership_verify(token=token, user=alice)
    assert not CreditEntry.objects.filter(membership__user=alice).exists()


def test_one_work_address_claims_credits_once(
    hub, alice, bob, django_capture_on_commit_callbacks, mailoutbox
):
    # Asking says nothing about whether the address is in use (that would tell
    # anyone who is a member); the link goes to the address, and confirming checks.
    for person in (alice, bob):
        with django_capture_on_commit_callbacks(execute=True):
            membership_join(hub=hub, user=person, email="shared@acme.test")
    alice_token, bob_token = (
        re.search(r"/hubs/verify/([^/\s]+)/", m.body).group(1) for m in mailoutbox
    )
    membership_verify(token=alice_token, user=alice)
    with pytest.raises(HubError, match="already has credits in this hub, with another account"):
        membership_verify(token=bob_token, user=bob)
    assert Membership.objects.get(user=bob).status == "pending"
    assert not CreditEntry.objects.filter(membership__user=bob).exists()


def test_the_house_and_heart_icon_shows_from_the_start(
    client, hub, member, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership_join(hub=hub, user=alice, email="alice@acme.test")
    client.force_login(alice)
    home = client.get(reverse("dashboard:home")).content.decode()
    # Pending: the icon leads to the hub's page, which asks for the confirmation.
    assert f'<a class="hub-icon" href="{reverse("hubs:hub", args=[hub.code])}"' in home
    browse = client.get(reverse("hubs:browse", args=[hub.code]), follow=True)
    assert browse.redirect_chain == [(reverse("hubs:hub", args=[hub.code]), 302)]
    page = browse.content.decode()
    assert "Confirm your work e-mail before you book" in page
    assert "Open the link we sent to alice@acme.test to get your credits." in page
    # Active: straight to the professionals.
    client.force_login(member.user)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert f'<a class="hub-icon" href="{reverse("hubs:browse", args=[hub.code])}"' in home


def test_the_hub_pages_lead_every_create_an_account_to_the_hubs_sign_up(client, hub):
    join = reverse("hubs:join", args=[hub.code])
    for url in (reverse("hubs:hub", args=[hub.code]), join):
        body = client.get(url).content.decode()
        hrefs = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>Create an account</a>', body)
        assert hrefs and set(hrefs) == {join}, (url, hrefs)
        assert f'href="{reverse("accounts:login")}?next={join}"' in body


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_accounts_confirming_one_address_at_once_get_credits_once(
    hub, alice, bob, django_capture_on_commit_callbacks, mailoutbox
):
    for person in (alice, bob):
        with django_capture_on_commit_callbacks(execute=True):
            membership_join(hub=hub, user=person, email="shared@acme.test")
    tokens = [re.search(r"/hubs/verify/([^/\s]+)/", m.body).group(1) for m in mailoutbox]
    results = race(
        [
            lambda: membership_verify(token=tokens[0], user=alice),
            lambda: membership_verify(token=tokens[1], user=bob),
        ],
        expected=HubError,
    )
    assert sorted(type(r).__name__ for r in results) == ["HubError", "Membership"]
    assert Membership.objects.filter(email="shared@acme.test", status="active").count() == 1
    assert CreditEntry.objects.filter(kind="grant").count() == 1
