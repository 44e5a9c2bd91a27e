"""Every page shows what is true at the moment it is asked for: each test reads a
page, changes its data through the service a person would use, and reads it
again. Pages are rendered from the database on every request; nothing that
names a person is kept between requests."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice, Payment
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import card_make_default, card_remove, invoice_pay, new_payment_key
from tengja.bookings.services import booking_invite
from tengja.hubs.services import hub_offer_remove, membership_join, membership_remove
from tengja.notifications.models import Notification
from tengja.notifications.services import notifications_mark_read
from tengja.privacy.services import account_delete
from tengja.professionals.models import Professional
from tengja.professionals.services import professional_set_active, session_type_save
from tests.billing.conftest import add_card
from tests.factories import SessionTypeFactory, UserFactory


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run a change as a request would: in a transaction, with its after-commit work."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def rename(kind, name: str):
    """Rename a session type as its page does (session_type_save), the rest kept."""
    return session_type_save(
        professional=kind.professional,
        session_type=kind,
        name=name,
        duration_minutes=kind.duration_minutes,
        price_amount=kind.price_amount,
        currency=kind.currency,
        mode=kind.mode,
        cancellation_notice_hours=kind.cancellation_notice_hours,
    )


@pytest.fixture
def booked(alice, professional, after_commit):
    kind = SessionTypeFactory(professional=professional, name="Talk", price_amount=18000)
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return after_commit(
        booking_invite,
        professional=professional,
        session_type=kind,
        starts_at=start,
        email=alice.email,
    )


@pytest.fixture
def accepted(alice, booked, after_commit):
    """Alice's session, its invitation opened: her professional's pages name her."""
    from tengja.bookings.services import invitation_accept_existing
    from tengja.lib.tokens import token_hash

    booked.invitation.token_hash = token_hash("the-link")
    booked.invitation.save()
    after_commit(invitation_accept_existing, token="the-link", user=alice)
    return booked


def test_payments_show_a_paid_bill_and_a_new_card_at_once(client, alice, booked, after_commit):
    client.force_login(alice)
    url = reverse("billing:payments")
    invoice = invoice_standing(booking=booked)
    page = client.get(url).content.decode()
    assert reverse("billing:pay", args=[invoice.code]) in page and "No card saved yet." in page
    card = after_commit(add_card, alice)
    page = client.get(url).content.decode()
    assert f"•••• {card.last4}" in page
    after_commit(invoice_pay, invoice=invoice, method=card, payment_key=new_payment_key())
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    page = client.get(url).content.decode()
    assert reverse("billing:pay", args=[invoice.code]) not in page and "Paid" in page
    other = after_commit(add_card, alice, "5555 5555 5555 4444")
    after_commit(card_make_default, method=other)
    page = client.get(url).content.decode()
    assert page.index("•••• 4444") < page.index("•••• 4242")  # the default first
    after_commit(card_remove, method=other)
    assert "•••• 4444" not in client.get(url).content.decode()


def test_notifications_and_the_header_count_follow_new_and_read(
    client, alice, booked, professional, after_commit
):
    client.force_login(alice)
    url = reverse("notifications:list")
    page = client.get(url).content.decode()
    unread = Notification.objects.filter(user=alice, read_at=None).count()
    assert unread == 2 and page.count("notification--unread") == 2
    assert f"{unread} unread" in page
    after_commit(notifications_mark_read, user=alice)
    page = client.get(url).content.decode()
    assert "notification--unread" not in page and "bell__count" not in page
    start = booked.starts_at + timedelta(days=1)
    after_commit(
        booking_invite,
        professional=professional,
        session_type=booked.session_type,
        starts_at=start,
        email=alice.email,
    )
    page = client.get(url).content.decode()
    assert page.count("notification--unread") == 2 and "2 unread" in page


def test_the_client_list_follows_bills_and_the_clock(
    client, alice, accepted, professional, after_commit
):
    booked = accepted
    client.force_login(professional.user)
    url = reverse("dashboard:practice_clients")

    def row():
        page = client.get(url).content.decode()
        start = page.index(reverse("dashboard:practice_client", args=[alice.code]))
        return re.sub(r"\s+", " ", page[start : page.index("</tr>", start)])

    assert '<td data-label="To come">1</td>' in row()
    assert '<td data-label="Open bills"><strong>1</strong></td>' in row()
    card = after_commit(add_card, alice)
    invoice = invoice_standing(booking=booked)
    after_commit(invoice_pay, invoice=invoice, method=card, payment_key=new_payment_key())
    assert Payment.objects.filter(invoice=invoice, status="succeeded").exists()
    assert '<td data-label="Open bills">0</td>' in row()
    # When the session ends it is past, with no change of data to say so.
    with time_machine.travel(booked.ends_at + timedelta(minutes=1)):
        assert '<td data-label="To come">0</td>' in row()
        last = timezone.localtime(booked.starts_at).isoformat()
        assert f'<td data-label="Last session"><time datetime="{last}">' in row()


def test_the_practice_page_follows_the_professionals_sessions_types_and_pause(
    client, alice, professional, booked, after_commit
):
    from tengja.bookings.services import booking_cancel

    client.force_login(professional.user)
    url = reverse("bookings:practice")
    assert reverse("bookings:detail", args=[booked.code]) in client.get(url).content.decode()
    after_commit(booking_cancel, booking=booked, by=professional.user)
    page = client.get(url).content.decode()
    assert reverse("bookings:detail", args=[booked.code]) not in page
    kind = booked.session_type
    after_commit(rename, kind, "Long talk")
    assert "Long talk" in client.get(url).content.decode()
    after_commit(professional_set_active, professional=professional, active=False)
    assert "has paused your bookings" in client.get(url).content.decode()


def test_browse_follows_offers_session_types_pauses_and_bookings(
    client, member, offer, after_commit
):
    from datetime import datetime
    from urllib.parse import quote

    from tengja.hubs.selectors import NEXT_FREE_SECONDS
    from tengja.hubs.services import HubError, hub_book

    client.force_login(member.user)
    url = reverse("hubs:browse", args=[member.hub.code])
    assert "Dr. Sól" in client.get(url).content.decode()
    pro, kind = offer.professional, offer.session_type
    after_commit(rename, kind, "Long talk")
    page = client.get(url).content.decode()
    assert "Long talk" in page
    # The next free time, once it is booked, is gone at once from the times the
    # professional's page offers to book, and booking it is refused; browse keeps
    # showing it as the next free time (shared by all, kept NEXT_FREE_SECONDS) until
    # that has passed.
    first = re.search(r'<time datetime="([^"]+)"', page).group(1)
    offer_url = reverse("hubs:offer", args=[member.hub.code, pro.code])
    offered = f"?starts_at={quote(first)}"  # as the offer page's links name it
    assert offered in client.get(offer_url).content.decode()
    after_commit(
        booking_invite,
        professional=pro,
        session_type=kind,
        starts_at=datetime.fromisoformat(first),
        email="someone@example.com",
    )
    assert offered not in client.get(offer_url).content.decode()
    with pytest.raises(HubError):
        hub_book(membership=member, offer=offer, starts_at=datetime.fromisoformat(first))
    assert f'<time datetime="{first}"' in client.get(url).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=NEXT_FREE_SECONDS + 1)):
        client.force_login(member.user)
        assert f'<time datetime="{first}"' not in client.get(url).content.decode()
    after_commit(professional_set_active, professional=pro, active=False)
    assert "Dr. Sól" not in client.get(url).content.decode()
    after_commit(professional_set_active, professional=pro, active=True)
    assert "Dr. Sól" in client.get(url).content.decode()
    after_commit(hub_offer_remove, hub=member.hub, professional_code=pro.code)
    assert "Dr. Sól" not in client.get(url).content.decode()


def test_the_header_follows_hubs_joined_and_left(client, hub, hr, after_commit):
    person = UserFactory(email="newcomer@acme.test")
    client.force_login(person)
    home = reverse("accounts:terms")  # a page with nothing but the header of theirs
    assert "hub-icon" not in client.get(home).content.decode()
    after_commit(membership_join, hub=hub, user=person, email=person.email)
    assert reverse("hubs:hub", args=[hub.code]) in client.get(home).content.decode()
    after_commit(membership_remove, hub=hub, email=person.email)
    assert "hub-icon" not in client.get(home).content.decode()


def test_the_header_shows_the_practice_once_a_professional(client, alice, after_commit, mailoutbox):
    from tengja.professionals.services import professional_invite, professional_join_existing

    client.force_login(alice)
    home = reverse("accounts:terms")
    assert reverse("bookings:practice") not in client.get(home).content.decode()
    after_commit(professional_invite, email=alice.email, language="en", invited_by=None)
    token = re.search(r"/join/([^/\s]+)/", mailoutbox[-1].body).group(1)
    after_commit(professional_join_existing, token=token, user=alice)
    assert Professional.objects.filter(user=alice).exists()
    assert reverse("bookings:practice") in client.get(home).content.decode()


def test_usage_still_counts_a_member_removed(client, hr, hub, after_commit, settings):
    """The count is of those who had joined: a removal leaves the page as it was,
    this month and the next (or it would tell HR whether the address was a
    member's)."""
    from tests.hubs.test_hr import members

    settings.HUB_REPORTING_MIN_GROUP = 2
    made = members(hub, 3)
    client.force_login(hr)
    url = reverse("hubs:admin", args=[hub.code])
    assert "3 members had joined" in client.get(url).content.decode()
    after_commit(membership_remove, hub=hub, email=made[0].email)
    cache.clear()  # the page keeps the hub's usage a minute: worked out afresh here
    assert "3 members had joined" in client.get(url).content.decode()
    with time_machine.travel(hub.month_start() + timedelta(days=40)):
        client.force_login(hr)
        assert "3 members had joined" in client.get(url).content.decode()


def test_an_erased_client_leaves_the_professionals_pages(
    client, alice, professional, accepted, after_commit
):
    booked = accepted
    client.force_login(professional.user)
    pages = [
        reverse("dashboard:practice_clients"),
        reverse("dashboard:practice_week") + f"?day={timezone.localdate(booked.starts_at)}",
    ]
    for url in pages:
        assert alice.name in client.get(url).content.decode(), url
    name = alice.name
    after_commit(account_delete, user=alice)
    for url in pages:
        assert name not in client.get(url).content.decode(), url


def test_home_follows_a_members_credits_and_the_end_of_the_period(
    client, member, offer, after_commit
):
    from tengja.bookings.services import booking_cancel
    from tengja.hubs.models import CreditEntry
    from tengja.hubs.services import hub_book
    from tests.hubs.test_booking_with_credits import slots

    # This period ends in five minutes.
    ends = timezone.now() + timedelta(minutes=5)
    CreditEntry.objects.filter(membership=member, kind="grant").update(expires_at=ends)
    client.force_login(member.user)
    home = reverse("dashboard:home")
    browse = reverse("hubs:browse", args=[member.hub.code])
    for url in (home, browse):
        assert "2 credits left" in client.get(url).content.decode()
    booking = after_commit(
        hub_book, membership=member, offer=offer, starts_at=slots(offer)[-1].starts_at
    )
    for url in (home, browse):
        assert "1 credit left" in client.get(url).content.decode()
    after_commit(booking_cancel, booking=booking, by=member.user)  # early: the credit is back
    for url in (home, browse):
        assert "2 credits left" in client.get(url).content.decode()
    # The period ends (before the clock's renewal has run): its credits go with it.
    with time_machine.travel(ends + timedelta(minutes=1)):
        for url in (home, browse):
            assert "0 credits left" in client.get(url).content.decode()


def test_home_follows_hr_admins_named_and_hubs_asking_a_professional(
    client, hub, professional, after_commit
):
    from tengja.hubs.models import HubProfessional
    from tengja.hubs.services import hub_offer_answer, hub_offer_ask

    person = UserFactory(email="harpa@acme.test")
    client.force_login(person)
    home = reverse("dashboard:home")
    manage = reverse("hubs:admin", args=[hub.code])
    assert manage not in client.get(home).content.decode()
    hub.company.admins.add(person)  # as an operator does in the Django admin
    assert manage in client.get(home).content.decode()
    person.administered_companies.clear()
    assert manage not in client.get(home).content.decode()

    client.force_login(professional.user)
    asks = "1 Wellbeing Hub asks to offer you"
    assert asks not in client.get(home).content.decode()
    after_commit(hub_offer_ask, hub=hub, professional_email=professional.user.email)
    assert asks in client.get(home).content.decode()
    offer = HubProfessional.objects.select_related("professional").get(hub=hub)
    after_commit(hub_offer_answer, offer=offer, accept=False)
    assert asks not in client.get(home).content.decode()


def test_the_header_and_footer_are_the_readers_own(alice, after_commit):
    """Two devices of one person: each page gets its own current link, its own
    address in the language form, the reader's CSRF token and their name."""
    from django.test import Client

    from tengja.accounts.services import user_update_profile

    phone, laptop = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    phone.force_login(alice)
    laptop.force_login(alice)

    def footer_form(page: str) -> tuple[str, str]:
        form = page[page.index('class="language-form"') :]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        return token, re.search(r'name="next" value="([^"]*)"', form).group(1)

    payments = reverse("billing:payments") + "?page=1&x=<b>"
    phone.get(payments)
    page = laptop.get(payments).content.decode()
    assert re.search(r'href="/payments/" aria-current="page">Payments<', page)
    assert 'aria-current="page">Home<' not in page
    token, next_url = footer_form(page)
    assert next_url == "/payments/?page=1&amp;x=%3Cb%3E"
    home = laptop.get(reverse("dashboard:home")).content.decode()
    assert re.search(r'aria-current="page">Home<', home) and footer_form(home)[1] == "/"
    assert 'aria-current="page">Payments<' not in home
    response = laptop.post(
        reverse("accounts:set_language"),
        {"csrfmiddlewaretoken": token, "language": "is", "next": "/payments/"},
    )
    assert response.status_code == 302 and response["Location"] == "/payments/"
    page = phone.get(reverse("dashboard:home")).content.decode()
    assert re.search(r'aria-current="page">Heim<', page)  # Icelandic, as the profile says now
    assert footer_form(page)[1] == "/"

    alice.refresh_from_db()
    after_commit(
        user_update_profile, user=alice, name="Alice Nýnefni", language="en", time_zone="UTC"
    )
    page = phone.get(reverse("dashboard:home")).content.decode()
    assert "Alice Nýnefni" in page[: page.index("<main")]


def test_hrs_page_follows_domains_addresses_requests_and_settings(
    client, hr, hub, member, offer, after_commit
):
    from tengja.hubs import services
    from tests.hubs.test_hr import book

    client.force_login(hr)
    url = reverse("hubs:admin", args=[hub.code])
    page = client.get(url).content.decode()
    assert "@acme.test" in page and "No requests." in page
    after_commit(services.hub_domain_add, hub=hub, domain="acme.example")
    assert "@acme.example" in client.get(url).content.decode()
    after_commit(services.hub_domain_remove, hub=hub, domain="acme.example")
    assert "@acme.example" not in client.get(url).content.decode()
    after_commit(services.hub_address_invite, hub=hub, email="contractor@elsewhere.test")
    assert "contractor@elsewhere.test" in client.get(url).content.decode()
    request = after_commit(services.credit_request_create, booking=book(member, offer), credits=3)
    page = client.get(url).content.decode()
    assert "3 more credits for one of your members." in page and "Approve" in page
    after_commit(services.credit_request_decide, request=request, approve=False)
    page = client.get(url).content.decode()
    assert "3 more credits" in page and "Approve" not in page
    after_commit(
        services.hub_settings_update,
        hub=hub,
        welcome_text="Welcome, all of you.",
        credits_per_period=hub.credits_per_period,
        period_months=hub.period_months,
        credits_per_session=hub.credits_per_session,
        time_zone=hub.time_zone,
    )
    assert "Welcome, all of you." in client.get(url).content.decode()


def test_the_session_page_follows_moves_cancelling_and_the_clock(
    client, alice, professional, accepted, after_commit
):
    from tengja.bookings.services import booking_cancel, booking_move

    booked = accepted
    client.force_login(alice)
    url = reverse("bookings:detail", args=[booked.code])
    join = reverse("video:join", args=[booked.code])
    page = client.get(url).content.decode()
    assert "Move session" in page and f'href="{join}"' not in page
    assert "<title>Talk · " in client.get(url).content.decode()
    # The professional moves it to 20 minutes from now: the page says the new time.
    soon = (timezone.now() + timedelta(minutes=20)).replace(second=0, microsecond=0)
    after_commit(booking_move, booking=booked, by=professional.user, starts_at=soon)
    page = client.get(url).content.decode()
    assert f'datetime="{soon.isoformat()}"' in page and f'href="{join}"' not in page
    # Six minutes on, the call opens (15 minutes before the start).
    with time_machine.travel(soon - timedelta(minutes=14)):
        assert f'href="{join}"' in client.get(url).content.decode()
    after_commit(booking_cancel, booking=booked, by=professional.user)
    page = client.get(url).content.decode()
    assert "This session has been cancelled." in page and "Move session" not in page


def test_browse_is_read_afresh_for_each_colleague(client, member, offer, bob):
    """Nothing of the list is kept: a filtered list kept would come back faster to a
    colleague asking the same, and tell them someone at work had looked for it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tengja.hubs.models import Membership

    Membership.objects.create(hub=member.hub, user=bob, email=bob.email, status="active")
    url = reverse("hubs:browse", args=[member.hub.code])

    def reads_the_offers(query: dict) -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        return any('FROM "hubs_hubprofessional"' in q["sql"] for q in queries.captured_queries)

    for query in ({"specialty": "Anxiety"}, {"language": "is"}, {"within": "3"}, {}):
        client.force_login(member.user)
        assert reads_the_offers(query)
        client.force_login(bob)
        assert reads_the_offers(query)  # as slow for Bob as for the first to ask


def test_a_persons_change_shows_at_once_on_every_page_of_the_professional(
    client, alice, professional, after_commit
):
    """Issue #27: a client renames themselves, moves their session and deletes
    their account; the professional's next load of each page that shows them
    (Home, the practice page, the client list, the week and the session page)
    shows each change."""
    from datetime import time

    from tengja.accounts.services import user_update_profile
    from tengja.bookings.services import booking_move, invitation_accept_existing
    from tengja.bookings.slots import free_slots_to_move_to
    from tengja.lib.tokens import token_hash
    from tengja.professionals.models import WeeklyAvailability

    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )
    kind = SessionTypeFactory(professional=professional, name="Talk", duration_minutes=50)
    day = timezone.localdate() + timedelta(days=3)
    start = timezone.make_aware(
        timezone.datetime.combine(day, time(10)), timezone.get_default_timezone()
    )
    booking = after_commit(
        booking_invite,
        professional=professional,
        session_type=kind,
        starts_at=start,
        email=alice.email,
    )
    booking.invitation.token_hash = token_hash("the-link")
    booking.invitation.save()
    after_commit(invitation_accept_existing, token="the-link", user=alice)

    def pages(on_day) -> dict[str, str]:
        """Each of the professional's pages that shows the session or the client."""
        client.force_login(professional.user)
        urls = {
            "home": reverse("dashboard:home"),
            "practice": reverse("bookings:practice"),
            "clients": reverse("dashboard:practice_clients"),
            "week": reverse("dashboard:practice_week") + f"?day={on_day.isoformat()}",
            "session": reverse("bookings:detail", args=[booking.code]),
        }
        shown = {}
        for name, url in urls.items():
            response = client.get(url)
            assert response.status_code == 200, name
            shown[name] = response.content.decode()
        return shown

    def stamp(moment) -> str:
        return f'datetime="{moment.isoformat()}"'

    for name, page in pages(day).items():
        assert "Alice Andersen" in page, name
    # The client renames themselves.
    after_commit(
        user_update_profile, user=alice, name="Alice Nýnefni", language="en", time_zone="UTC"
    )
    for name, page in pages(day).items():
        assert "Alice Nýnefni" in page and "Alice Andersen" not in page, name

    # The client moves the session to another day the professional is free.
    alice.refresh_from_db()
    later = day + timedelta(days=2)
    slot = free_slots_to_move_to(booking=booking, start=later, days=1)[0]
    booking = after_commit(booking_move, booking=booking, by=alice, starts_at=slot.starts_at)
    moved = pages(later)
    for name in ("home", "practice", "week", "session"):
        assert stamp(slot.starts_at) in moved[name] and stamp(start) not in moved[name], name
    assert "Alice Nýnefni" in moved["clients"]  # still to come, on the list

    # The client deletes their account: their name is gone from every page.
    after_commit(account_delete, user=alice)
    for name, page in pages(later).items():
        assert "Alice Nýnefni" not in page and "alice@example.com" not in page, name
