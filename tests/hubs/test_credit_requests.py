"""A request for more credits closes with its session: cancelled (by either
person, in time or late) or its member's account deleted. HR then cannot approve
it: a clear message, and no credit moves, also when HR approves at the very
moment the session is cancelled. A move leaves it waiting."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel, booking_move
from tengja.bookings.slots import free_slots
from tengja.hubs.models import CreditEntry, CreditRequest, Membership
from tengja.hubs.services import (
    HubError,
    balance,
    credit_request_create,
    credit_request_decide,
    hub_book,
)
from tengja.privacy.services import account_delete
from tests.conftest import race, requires_postgres

CLOSED = "Closed: its session was cancelled, or the member has left."
REFUSED = "This request closed when its session was cancelled or the member left"


def book(member, offer, index=0, *, after_days=2):
    slots = free_slots(
        professionals=[offer.professional],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=10,
    )[offer.professional_id]
    later = [s for s in slots if s.starts_at > timezone.now() + timedelta(days=after_days)]
    return hub_book(membership=member, offer=offer, starts_at=later[index * 3].starts_at)


def hr_page(client, hr, hub) -> str:
    client.force_login(hr)
    return client.get(reverse("hubs:admin", args=[hub.code])).content.decode()


def approve(client, hr, hub, request):
    client.force_login(hr)
    return client.post(
        reverse("hubs:admin_request_approve", args=[hub.code, request.code]), follow=True
    )


@pytest.mark.parametrize(
    "who", ["professional", "member in time", "member late"], ids=lambda who: who
)
def test_a_cancelled_sessions_request_closes_and_hr_cannot_approve_it(
    client, hr, hub, member, offer, who, time_machine, django_capture_on_commit_callbacks
):
    booking = book(member, offer)
    request = credit_request_create(booking=booking, credits=3)
    assert request.booking == booking
    assert "Approve" in hr_page(client, hr, hub)  # HR's page, kept as first shown
    credits = balance(membership=member)

    if who == "member late":
        time_machine.move_to(booking.starts_at - timedelta(hours=2))
    by = offer.professional.user if who == "professional" else member.user
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=by)
    credits = balance(membership=member)  # the credit back, or spent, as before
    request.refresh_from_db()
    assert request.status == CreditRequest.Status.CLOSED and request.decided_at

    page = hr_page(client, hr, hub)
    assert CLOSED in page
    assert "Approve" not in page and "Decline" not in page

    response = approve(client, hr, hub, request)
    assert any(REFUSED in str(m) for m in get_messages(response.wsgi_request))
    assert REFUSED in response.content.decode()
    request.refresh_from_db()
    assert request.status == CreditRequest.Status.CLOSED
    assert balance(membership=member) == credits
    with pytest.raises(HubError, match="closed"):
        credit_request_decide(request=request, approve=False)
    request.refresh_from_db()
    assert request.status == CreditRequest.Status.CLOSED


def test_only_the_cancelled_sessions_requests_close(hr, hub, member, offer):
    first, second = book(member, offer), book(member, offer, 1)
    closing = credit_request_create(booking=first, credits=2)
    staying = credit_request_create(booking=second, credits=2)
    decided = credit_request_create(booking=first, credits=1)
    credit_request_decide(request=decided, approve=False)
    booking_cancel(booking=first, by=offer.professional.user)
    statuses = dict(CreditRequest.objects.values_list("pk", "status"))
    assert statuses == {closing.pk: "closed", staying.pk: "pending", decided.pk: "declined"}


def test_a_move_leaves_the_request_waiting_and_hr_may_approve_it(client, hr, hub, member, offer):
    booking = book(member, offer)
    request = credit_request_create(booking=booking, credits=3)
    booking_move(
        booking=booking, by=offer.professional.user, starts_at=booking.starts_at + timedelta(days=1)
    )
    request.refresh_from_db()
    assert request.is_pending
    before = balance(membership=member)
    approve(client, hr, hub, request)
    request.refresh_from_db()
    assert request.status == CreditRequest.Status.APPROVED
    assert balance(membership=member) == before + 3


def test_no_request_is_made_for_a_cancelled_session(client, member, offer):
    booking = book(member, offer)
    booking_cancel(booking=booking, by=offer.professional.user)
    with pytest.raises(HubError, match="cancelled"):
        credit_request_create(booking=booking, credits=2)
    client.force_login(offer.professional.user)
    response = client.post(
        reverse("hubs:credit_request", args=[booking.code]), {"credits": 2}, follow=True
    )
    assert "This session has been cancelled, so there is nothing to ask for." in (
        response.content.decode()
    )
    assert not CreditRequest.objects.exists()


def test_deleting_the_account_closes_the_members_requests(
    client, hr, hub, member, offer, time_machine, django_capture_on_commit_callbacks
):
    past = book(member, offer)
    coming = book(member, offer, after_days=5)
    # One from a session still to come (cancelled with the account), one from a
    # session that took place (nothing to cancel: the request closes all the same).
    from_coming = credit_request_create(booking=coming, credits=1)
    time_machine.move_to(past.ends_at + timedelta(hours=1))
    from_past = credit_request_create(booking=past, credits=2)
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=member.user)
    assert set(CreditRequest.objects.values_list("status", flat=True)) == {"closed"}
    assert Booking.objects.get(pk=coming.pk).is_cancelled
    assert from_coming.pk != from_past.pk
    granted = CreditEntry.objects.filter(kind="grant").count()
    response = approve(client, hr, hub, from_past)
    assert REFUSED in response.content.decode()
    assert CreditEntry.objects.filter(kind="grant").count() == granted
    assert Membership.objects.get(pk=member.pk).status == Membership.Status.REMOVED


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_hr_approving_as_the_session_is_cancelled_never_grants_a_closed_request(hub, offer):
    """Either HR came first (approved, the credits granted, then the session
    cancelled), or the cancellation did (closed, nothing granted): never both,
    never neither, and no deadlock."""
    from tests.factories import UserFactory

    outcomes = set()
    for round_ in range(6):
        user = UserFactory(email=f"racer{round_}@acme.test")
        membership = Membership.objects.create(
            hub=hub, user=user, email=user.email, status="active", verified_at=timezone.now()
        )
        CreditEntry.objects.create(
            membership=membership,
            kind="grant",
            amount=4,
            expires_at=timezone.now() + timedelta(days=300),
        )
        booking = book(membership, offer, round_)
        request = credit_request_create(booking=booking, credits=5)
        before = balance(membership=membership)  # 3: one spent
        calls = [
            lambda request=request: credit_request_decide(request=request, approve=True),
            lambda booking=booking: booking_cancel(booking=booking, by=offer.professional.user),
        ]
        if round_ % 2:
            calls.reverse()
        results = race(calls, expected=HubError)
        assert len(results) == 2, results  # nothing else went wrong (a deadlock, say)
        request.refresh_from_db()
        booking.refresh_from_db()
        assert booking.is_cancelled
        after = balance(membership=membership)
        if request.status == CreditRequest.Status.APPROVED:
            assert after == before + 5 + 1  # granted, and the credit of the session back
            assert not any(isinstance(r, HubError) for r in results)
        else:
            assert request.status == CreditRequest.Status.CLOSED
            assert after == before + 1  # only the credit of the session back
            assert any(isinstance(r, HubError) for r in results)
        outcomes.add(request.status)
    assert outcomes <= {"approved", "closed"}


@pytest.mark.django_db(transaction=True)
def test_the_migration_finds_older_requests_sessions_and_closes_the_orphaned(hub, offer):
    """Requests made before they kept their session: it is read off the ledger,
    and those waiting on a cancelled session (or a deleted account) close."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tests.factories import UserFactory

    member = Membership.objects.create(
        hub=hub,
        user=UserFactory(email="old@acme.test"),
        email="old@acme.test",
        status="active",
        verified_at=timezone.now(),
    )
    CreditEntry.objects.create(
        membership=member, kind="grant", amount=6, expires_at=timezone.now() + timedelta(days=99)
    )
    kept, cancelled = book(member, offer), book(member, offer, 1)
    booking_cancel(booking=cancelled, by=offer.professional.user)
    before = ("hubs", "0004_offers_with_consent_one_price")
    after = ("hubs", "0006_credit_requests_of_cancelled_sessions_closed")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([before])
        old = executor.loader.project_state([before]).apps.get_model("hubs", "CreditRequest")
        common = {"membership_id": member.pk, "professional_id": offer.professional_id}
        # Asked after each session was booked: the newest credit session before it counts.
        old.objects.create(code="kept1", credits=2, created_at=cancelled.created_at, **common)
        old.objects.create(code="gone1", credits=3, created_at=timezone.now(), **common)
        erased = UserFactory(email="gone@acme.test", erased_at=timezone.now())
        left = Membership.objects.create(hub=hub, user=erased, email="x@deleted.invalid")
        old.objects.create(
            code="left1", credits=1, membership_id=left.pk, professional_id=offer.professional_id
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([after])

        requests = {r.code: r for r in CreditRequest.objects.all()}
        assert requests["kept1"].booking_id == kept.pk and requests["kept1"].is_pending
        assert requests["gone1"].booking_id == cancelled.pk and requests["gone1"].is_closed
        assert requests["left1"].booking_id is None and requests["left1"].is_closed
    finally:
        # Back to the newest state, whatever the later migrations: the next tests need it.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
