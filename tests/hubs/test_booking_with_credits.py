import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel
from tengja.bookings.slots import FIRST_ONLY_WINDOWS, MIN_NOTICE, free_slots
from tengja.hubs.models import CreditEntry, Membership
from tengja.hubs.selectors import NEXT_FREE_SECONDS
from tengja.hubs.services import HubError, balance, hub_book
from tests.conftest import race, requires_postgres
from tests.factories import ProfessionalFactory, SessionTypeFactory, UserFactory


def slots(offer, days=7):
    return free_slots(
        professionals=[offer.professional],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=days,
    )[offer.professional_id]


def test_browse_shows_offered_professionals_with_next_free_time(client, member, offer):
    client.force_login(member.user)
    response = client.get(reverse("hubs:browse", args=[member.hub.code]))
    body = response.content.decode()
    assert "Dr. Sól" in body and "Next free time:" in body
    assert "2 credits left" in body


def first_shown(client, hub):
    [(_offer, first)] = client.get(reverse("hubs:browse", args=[hub.code])).context["offers"]
    return first and first.starts_at


def test_the_next_free_time_follows_the_schedule(
    client, member, offer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from tengja.professionals.services import availability_exception_add

    client.force_login(member.user)
    url = reverse("hubs:browse", args=[member.hub.code])
    # Still, and more than the test's shifts (4 x 61 s) before the next half hour: a
    # slot boundary passing mid-test would put the first time inside the notice.
    now = timezone.now()
    if now.minute % 30 > 20:
        now += timedelta(minutes=31 - now.minute % 30)
    with time_machine.travel(now, tick=False) as clock:
        first = first_shown(client, member.hub)
        assert first == slots(offer)[0].starts_at
        # Worked out afresh once the kept one has lapsed: the offers, the hours, days
        # off and sessions.
        clock.shift(NEXT_FREE_SECONDS + 1)
        with django_assert_max_num_queries(11):
            client.get(url)
        # Booked: browse shows the next free time once the kept one has lapsed.
        with django_capture_on_commit_callbacks(execute=True):
            hub_book(membership=member, offer=offer, starts_at=first)
        assert first_shown(client, member.hub) == first
        clock.shift(NEXT_FREE_SECONDS + 1)
        second = first_shown(client, member.hub)
        assert second == slots(offer)[0].starts_at and second > first
        # A day off on that day: the next free time moves to another day.
        local = timezone.localtime(second, ZoneInfo(offer.professional.user.time_zone))
        with django_capture_on_commit_callbacks(execute=True):
            availability_exception_add(
                professional=offer.professional,
                date=local.date(),
                kind="off",
                starts=None,
                ends=None,
            )
        clock.shift(NEXT_FREE_SECONDS + 1)
        third = first_shown(client, member.hub)
        assert timezone.localtime(third, ZoneInfo(offer.professional.user.time_zone)).date() > (
            local.date()
        )
        # Cancelled: free again, and shown again.
        booking = offer.professional.bookings.get()
        with django_capture_on_commit_callbacks(execute=True):
            booking_cancel(booking=booking, by=offer.professional.user)
        clock.shift(NEXT_FREE_SECONDS + 1)
        assert first_shown(client, member.hub) == slots(offer)[0].starts_at


def test_next_free_times_are_kept_a_short_while_for_everyone(
    client, member, offer, hub, django_capture_on_commit_callbacks
):
    """Browse keeps each professional's next free time NEXT_FREE_SECONDS under a
    plain key (professional and session length: nothing of the visitor's), so the
    visits within it read neither hours nor sessions. The time a client books from,
    on the offer page, is worked out on each visit."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tengja.hubs.selectors import next_free_key

    client.force_login(member.user)
    first = first_shown(client, hub)
    key = next_free_key(offer.professional, offer.session_type.duration)
    assert key == f"next-free:{offer.professional_id}:3000:0"
    assert cache.get(key) == first
    other = UserFactory(email="olaf@acme.test")
    Membership.objects.create(hub=hub, user=other, email=other.email, status="active")
    client.force_login(other)
    with CaptureQueriesContext(connection) as queries:
        assert first_shown(client, hub) == first
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert not re.search(r"\bbookings_booking\b", read) and "weeklyavailability" not in read
    # Booked meanwhile: gone at once from the offer page, kept on browse a while.
    with django_capture_on_commit_callbacks(execute=True):
        hub_book(membership=member, offer=offer, starts_at=first)
    offer_page = client.get(reverse("hubs:offer", args=[hub.code, offer.professional.code]))
    assert first not in {slot.starts_at for _day, day in offer_page.context["days"] for slot in day}
    assert first_shown(client, hub) == first
    with time_machine.travel(timezone.now() + timedelta(seconds=NEXT_FREE_SECONDS + 1)):
        client.force_login(other)
        assert first_shown(client, hub) > first


def test_no_free_time_is_kept_too(client, member, offer, django_assert_max_num_queries):
    from django.core.cache import cache

    from tengja.hubs.selectors import next_free_key

    offer.professional.weekly_availability.all().delete()
    client.force_login(member.user)
    page = client.get(reverse("hubs:browse", args=[member.hub.code])).content.decode()
    assert "No free time in the next four weeks." in page
    assert cache.get(next_free_key(offer.professional, offer.session_type.duration)) is False
    with django_assert_max_num_queries(8):
        assert first_shown(client, member.hub) is None


def test_a_next_free_time_that_comes_within_the_notice_is_not_shown(client, member, offer):
    client.force_login(member.user)
    first = first_shown(client, member.hub)
    with time_machine.travel(first - MIN_NOTICE + timedelta(minutes=1)):
        client.force_login(member.user)
        later = first_shown(client, member.hub)
    assert later > first


def test_browse_is_for_members_only(client, bob, hub, offer):
    client.force_login(bob)
    assert client.get(reverse("hubs:browse", args=[hub.code])).status_code == 404
    assert (
        client.get(reverse("hubs:offer", args=[hub.code, offer.professional.code])).status_code
        == 404
    )


def test_book_a_free_slot_with_credits_after_reviewing_it(client, member, offer):
    client.force_login(member.user)
    member.user.time_zone = "America/New_York"
    member.user.save()
    page = client.get(reverse("hubs:offer", args=[member.hub.code, offer.professional.code]))
    first = page.context["days"][0][1][0]
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    assert f'href="{review}?starts_at=' in page.content.decode()
    # The review shows who, when in the viewer's zone, what, and what it costs...
    shown = client.get(review, {"starts_at": first.starts_at.isoformat()})
    body = shown.content.decode()
    local = timezone.localtime(first.starts_at, ZoneInfo("America/New_York"))
    for expected in (
        "Dr. Sól",
        f"{local:%H:%M}",
        "(America/New_York)",
        "Talk",
        "1 credit",
        "you will have 1 credit left",
        "Book with credits",
    ):
        assert expected in body, expected
    # ...and spends nothing: Back is a link, and looking books nothing.
    assert not Booking.objects.exists() and balance(membership=member) == 2
    response = client.post(review, {"starts_at": first.starts_at.isoformat()})
    booking = Booking.objects.get()
    assert response["Location"] == reverse("bookings:detail", args=[booking.code])
    assert booking.paid_with == "credits" and booking.client == member.user
    assert balance(membership=member) == 1
    assert invoice_standing(booking=booking) is None
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "Talk" in home and "1 credit left" in home


def test_when_credits_run_out_the_member_books_at_own_cost(member, offer):
    free = slots(offer)
    hub_book(membership=member, offer=offer, starts_at=free[0].starts_at)
    hub_book(membership=member, offer=offer, starts_at=free[2].starts_at)
    with pytest.raises(HubError, match="not have enough credits"):
        hub_book(membership=member, offer=offer, starts_at=free[4].starts_at)
    own = hub_book(membership=member, offer=offer, starts_at=free[4].starts_at, use_credits=False)
    assert own.paid_with == "invoice" and invoice_standing(booking=own).amount == 15000
    assert balance(membership=member) == 0


def test_cancelling_early_returns_the_credit_late_spends_it(member, offer):
    # At 20:00 in Reykjavik (UTC) the first free time is 09:00 next morning: 13 hours
    # ahead, past the 12-hour notice and within the 24 hours that spend the credit.
    evening = (timezone.now() + timedelta(days=1)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    with time_machine.travel(evening, tick=False):
        free = slots(offer, days=10)
        later = next(s for s in free if s.starts_at > timezone.now() + timedelta(days=2))
        booking = hub_book(membership=member, offer=offer, starts_at=later.starts_at)
        booking_cancel(booking=booking, by=member.user)
        assert balance(membership=member) == 2
        soon = free[0]
        assert soon.starts_at - timezone.now() == timedelta(hours=13)
        booking = hub_book(membership=member, offer=offer, starts_at=soon.starts_at)
        booking = booking_cancel(booking=booking, by=member.user)
        assert booking.late_cancellation
        assert balance(membership=member) == 1


def test_a_professionals_cancellation_always_returns_the_credit(member, offer):
    booking = hub_book(membership=member, offer=offer, starts_at=slots(offer)[0].starts_at)
    booking_cancel(booking=booking, by=offer.professional.user)
    assert balance(membership=member) == 2
    kinds = list(CreditEntry.objects.filter(membership=member).values_list("kind", flat=True))
    assert kinds == ["grant", "spend", "refund"]


def test_a_pending_member_cannot_book(hub, offer, alice):
    membership = Membership.objects.create(hub=hub, user=alice, email="alice@acme.test")
    with pytest.raises(HubError, match="Confirm your work e-mail"):
        hub_book(membership=membership, offer=offer, starts_at=slots(offer)[0].starts_at)


def test_a_taken_slot_is_no_longer_offered(member, offer):
    first = slots(offer)[0]
    hub_book(membership=member, offer=offer, starts_at=first.starts_at)
    assert first.starts_at not in [s.starts_at for s in slots(offer)]
    with pytest.raises(HubError, match="not free"):
        hub_book(membership=member, offer=offer, starts_at=first.starts_at)


def test_slots_honour_dst_notice_and_exceptions(db):
    from tengja.professionals.models import AvailabilityException, WeeklyAvailability

    pro = ProfessionalFactory(user__time_zone="Europe/London")
    WeeklyAvailability.objects.create(
        professional=pro, weekday=4, starts=time(9), ends=time(11)
    )  # Fridays
    # 2031: clocks go forward on Sunday 30 March. Fridays 28 March and 4 April.
    now = datetime(2031, 3, 20, 12, tzinfo=UTC)
    found = free_slots(
        professionals=[pro],
        duration=timedelta(minutes=60),
        start=date(2031, 3, 27),
        days=10,
        now=now,
    )[pro.pk]
    starts = [s.starts_at for s in found]
    assert datetime(2031, 3, 28, 9, tzinfo=UTC) in starts  # 09:00 GMT
    assert datetime(2031, 4, 4, 8, tzinfo=UTC) in starts  # 09:00 BST
    assert len(starts) == 6  # 09:00, 09:30, 10:00 on each Friday
    AvailabilityException.objects.create(professional=pro, date=date(2031, 4, 4), kind="off")
    found = free_slots(
        professionals=[pro],
        duration=timedelta(minutes=60),
        start=date(2031, 3, 27),
        days=10,
        now=now,
    )[pro.pk]
    assert all(s.starts_at.date() == date(2031, 3, 28) for s in found)
    # Minimum notice: nothing earlier than 12 hours from now.
    close = free_slots(
        professionals=[pro],
        duration=timedelta(minutes=60),
        start=date(2031, 3, 28),
        days=1,
        now=datetime(2031, 3, 27, 22, tzinfo=UTC),
    )[pro.pk]
    assert [s.starts_at.hour for s in close] == [10]


def test_slots_for_50_professionals_over_4_weeks_take_few_queries(
    db, django_assert_max_num_queries
):
    from tengja.professionals.models import Professional, WeeklyAvailability

    pros = [ProfessionalFactory() for _ in range(50)]
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(professional=p, weekday=d, starts=time(9), ends=time(17))
        for p in pros
        for d in range(5)
    )
    pros = list(Professional.objects.select_related("user"))
    with django_assert_max_num_queries(3):
        found = free_slots(
            professionals=pros, duration=timedelta(minutes=50), start=timezone.localdate(), days=28
        )
    assert len(found) == 50 and all(found.values())


def test_the_first_free_time_is_the_same_read_in_windows(db, django_assert_max_num_queries):
    """The browse page reads bookings a window at a time; the first free time is
    the one the whole range gives, for people free at once, in a week, or never."""
    from tengja.bookings.models import Booking
    from tengja.professionals.models import Professional, WeeklyAvailability

    pros = [ProfessionalFactory(user__time_zone="UTC") for _ in range(4)]
    for pro in pros[:3]:
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(professional=pro, weekday=d, starts=time(9), ends=time(12))
            for d in range(7)
        )
    start = date(2031, 3, 3)
    now = datetime(2031, 3, 1, tzinfo=UTC)
    # pros[1] is booked solid for 9 days (past the first two windows); pros[2] for 25.
    for pro, days in ((pros[1], 9), (pros[2], 25)):
        kind = SessionTypeFactory(professional=pro)
        Booking.objects.bulk_create(
            Booking(
                professional=pro,
                client=pros[0].user,
                session_type=kind,
                starts_at=datetime.combine(start + timedelta(days=d), time(9), tzinfo=UTC),
                ends_at=datetime.combine(start + timedelta(days=d), time(12), tzinfo=UTC),
                price_amount=1,
                currency="ISK",
            )
            for d in range(days)
        )
    pros = list(Professional.objects.select_related("user").order_by("pk"))
    args = {"professionals": pros, "duration": timedelta(minutes=50), "start": start, "now": now}
    whole = free_slots(days=28, **args)
    with django_assert_max_num_queries(2 + 1 + len(FIRST_ONLY_WINDOWS)):
        first = free_slots(days=28, first_only=True, **args)
    for pro in pros:
        assert first[pro.pk][:1] == whole[pro.pk][:1], pro
    days_until = [(s[0].starts_at.date() - start).days if s else None for s in first.values()]
    assert days_until == [0, 9, 25, None]


def test_browse_query_count_does_not_grow_with_professionals(
    client, member, offer, django_assert_max_num_queries
):
    from tengja.hubs.models import HubProfessional
    from tests.factories import SessionTypeFactory

    client.force_login(member.user)
    with django_assert_max_num_queries(12):
        client.get(reverse("hubs:browse", args=[member.hub.code]))
    for _ in range(15):
        kind = SessionTypeFactory()
        HubProfessional.objects.create(
            hub=member.hub, professional=kind.professional, session_type=kind, status="accepted"
        )
    # The new ones have no hours: their bookings are read in every window (two more).
    with django_assert_max_num_queries(12 + len(FIRST_ONLY_WINDOWS)):
        response = client.get(reverse("hubs:browse", args=[member.hub.code]))
    assert len(response.context["offers"]) == 16
    assert response.content.decode().count('class="card offer"') == 16
    # All kept now: neither hours nor sessions are read.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("hubs:browse", args=[member.hub.code]))
    assert response.content.decode().count('class="card offer"') == 16


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_member_booking_two_slots_at_once_never_goes_below_zero(hub, offer):
    from tests.factories import UserFactory

    user = UserFactory(email="racer@acme.test")
    membership = Membership.objects.create(hub=hub, user=user, email=user.email, status="active")
    CreditEntry.objects.create(
        membership=membership,
        kind="grant",
        amount=1,
        expires_at=timezone.now() + timedelta(days=30),
    )
    free = slots(offer)
    results = race(
        expected=HubError,
        calls=[
            lambda s=s: hub_book(membership=membership, offer=offer, starts_at=s.starts_at)
            for s in free[0:8:2]
        ],
    )
    assert sum(isinstance(r, Booking) for r in results) == 1
    assert balance(membership=membership) == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_racing_for_one_slot_one_wins(hub, offer):
    from tests.factories import UserFactory

    memberships = []
    for i in range(3):
        user = UserFactory(email=f"m{i}@acme.test")
        m = Membership.objects.create(hub=hub, user=user, email=user.email, status="active")
        CreditEntry.objects.create(
            membership=m, kind="grant", amount=2, expires_at=timezone.now() + timedelta(days=30)
        )
        memberships.append(m)
    slot = slots(offer)[0]
    results = race(
        expected=HubError,
        calls=[
            lambda m=m: hub_book(membership=m, offer=offer, starts_at=slot.starts_at)
            for m in memberships
        ],
    )
    assert sum(isinstance(r, Booking) for r in results) == 1
    assert Booking.objects.count() == 1
    assert sorted(balance(membership=m) for m in memberships) == [1, 2, 2]


def test_cancel_page_speaks_of_credits_and_the_professional_can_ask_for_more(client, member, offer):
    free = slots(offer, days=10)
    later = next(s for s in free if s.starts_at > timezone.now() + timedelta(days=2))
    booking = hub_book(membership=member, offer=offer, starts_at=later.starts_at)
    client.force_login(member.user)
    page = client.get(reverse("bookings:cancel", args=[booking.code])).content.decode()
    assert "the credit comes back to you" in page
    client.force_login(offer.professional.user)
    detail = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert "Ask the company for more credits for this client" in detail


def test_only_free_times_can_be_booked(member, offer):
    free = slots(offer)
    odd = free[0].starts_at + timedelta(minutes=17)
    with pytest.raises(HubError, match="That time is not free"):
        hub_book(membership=member, offer=offer, starts_at=odd)
    night = free[0].starts_at.replace(hour=3, minute=0) + timedelta(days=1)
    with pytest.raises(HubError, match="That time is not free"):
        hub_book(membership=member, offer=offer, starts_at=night)
    assert balance(membership=member) == 2


def test_sessions_keep_their_length_across_a_clock_change(db):
    from tengja.professionals.models import AvailabilityException

    pro = ProfessionalFactory(user__time_zone="Europe/London")
    # Clocks go forward at 01:00 on Sunday 30 March 2031.
    AvailabilityException.objects.create(
        professional=pro, date=date(2031, 3, 30), kind="extra", starts=time(0), ends=time(4)
    )
    found = free_slots(
        professionals=[pro],
        duration=timedelta(minutes=60),
        start=date(2031, 3, 30),
        days=1,
        now=datetime(2031, 3, 20, tzinfo=UTC),
    )[pro.pk]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=60) for s in found)
    london = [
        s.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")).strftime("%H:%M")
        for s in found
    ]
    assert london == ["00:00", "00:30", "02:00", "02:30", "03:00"]  # 01:00-02:00 does not exist


def test_a_credit_session_says_what_it_cost_in_credits(client, member, offer):
    offer.hub.credits_per_session = 2
    offer.hub.save()
    CreditEntry.objects.create(membership=member, kind="grant", amount=5)
    booking = hub_book(membership=member, offer=offer, starts_at=slots(offer)[0].starts_at)
    assert booking.credits == 2
    client.force_login(member.user)
    for url in (
        reverse("dashboard:home"),
        reverse("billing:payments"),
        reverse("bookings:detail", args=[booking.code]),
    ):
        body = client.get(url).content.decode()
        assert "Paid with 2 credits" in body, url
        assert "ISK\xa015,000" not in body, url


def test_with_no_credits_left_the_review_says_the_price_before_billing(client, member, offer):
    CreditEntry.objects.create(membership=member, kind="spend", amount=-2)
    client.force_login(member.user)
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    starts = slots(offer)[0].starts_at.isoformat()
    body = client.get(review, {"starts_at": starts}).content.decode()
    assert "ISK\xa015,000, billed to you" in body and "Book and pay ISK\xa015,000" in body
    client.post(review, {"starts_at": starts})
    booking = Booking.objects.get()
    assert booking.paid_with == "invoice"
    assert invoice_standing(booking=booking).amount == 15000


def test_book_and_pay_books_then_takes_the_client_straight_to_paying(client, member, offer):
    """ "Book and pay ISK 15,000" said it would take the payment, and only booked
    (issue #26): the review says what happens, and paying follows at once."""
    from tests.billing.conftest import add_card

    CreditEntry.objects.create(membership=member, kind="spend", amount=-2)
    card = add_card(member.user)
    client.force_login(member.user)
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    starts = slots(offer)[0].starts_at.isoformat()
    body = client.get(review, {"starts_at": starts}).content.decode()
    assert "next you pay ISK\xa015,000 with your card, on the next page" in body
    assert 'aria-describedby="pay-next"' in body
    response = client.post(review, {"starts_at": starts}, follow=True)
    booking = Booking.objects.get()
    bill = invoice_standing(booking=booking)
    assert response.redirect_chain == [
        (reverse("billing:session_pay", args=[booking.code]), 302),
        (reverse("billing:pay", args=[bill.code]), 302),
    ]
    page = response.content.decode()
    assert "Your session is booked. Now pay for it to finish." in page
    assert "Pay ISK\xa015,000" in page and f'value="{card.code}" checked' in page
    client.post(
        reverse("billing:pay", args=[bill.code]),
        {"card": card.code, "payment_key": response.context["payment_key"]},
    )
    bill.refresh_from_db()
    assert bill.status == "paid"
    # Once paid, the way in from booking leads to the bill; nobody else's session is theirs.
    assert client.get(reverse("billing:session_pay", args=[booking.code]))["Location"] == (
        reverse("billing:invoice", args=[bill.code])
    )
    client.force_login(offer.professional.user)
    assert client.get(reverse("billing:session_pay", args=[booking.code])).status_code == 404


def test_booking_with_credits_goes_to_the_session(client, member, offer):
    client.force_login(member.user)
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    response = client.post(review, {"starts_at": slots(offer)[0].starts_at.isoformat()})
    assert response["Location"] == reverse("bookings:detail", args=[Booking.objects.get().code])


def test_the_review_of_a_time_within_24_hours_says_cancelling_spends_the_credit(
    client, member, offer
):
    """The review promised "Free until 24 hours before the start: the credit comes
    back" for a time 13 hours away, and the session page then said the credit was
    spent if cancelled (issue #26): the review says what the session page will."""
    evening = (timezone.now() + timedelta(days=1)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    client.force_login(member.user)
    review = reverse("hubs:review", args=[member.hub.code, offer.professional.code])
    with time_machine.travel(evening, tick=False):
        free = slots(offer, days=10)
        soon, later = (
            free[0],
            next(s for s in free if s.starts_at > timezone.now() + timedelta(days=2)),
        )
        body = client.get(review, {"starts_at": soon.starts_at.isoformat()}).content.decode()
        assert "the credit comes back" not in body
        until = timezone.localtime(soon.starts_at - timedelta(hours=24))
        assert f"{until:%H:%M}, which has passed: if you cancel now, the credit is spent." in body
        body = client.get(review, {"starts_at": later.starts_at.isoformat()}).content.decode()
        assert "Free until 24 hours before the start: the credit comes back." in body
        client.post(review, {"starts_at": soon.starts_at.isoformat()})
        booking = Booking.objects.get()
        page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
        assert "which has passed: if you cancel now, the credit is spent." in page
        # In Icelandic too, and without credits: the session stays payable.
        CreditEntry.objects.create(membership=member, kind="spend", amount=-1)
        member.user.language = "is"
        member.user.save()
        assert free[2].starts_at < timezone.now() + timedelta(hours=24)
        body = client.get(review, {"starts_at": free[2].starts_at.isoformat()}).content.decode()
        assert "en sá frestur er liðinn: ef þú afbókar núna þarf samt að greiða" in body
        assert "ekkert að greiða" not in body


@pytest.mark.parametrize(
    "language, said",
    [
        (
            "en",
            "The session is cancelled. As it was within the notice period, its 1 credit is spent.",
        ),
        (
            "is",
            "Tíminn hefur verið afbókaður. Þar sem það var innan afbókunarfrests er 1 inneign "
            "sem fór í hann notuð.",
        ),
    ],
)
def test_cancelling_a_credit_session_late_says_the_credit_is_spent(
    client, member, offer, language, said
):
    """Not "it stays payable", which is for a bill (issue #26)."""
    evening = (timezone.now() + timedelta(days=1)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    member.user.language = language
    member.user.save()
    client.force_login(member.user)
    with time_machine.travel(evening, tick=False):
        booking = hub_book(membership=member, offer=offer, starts_at=slots(offer)[0].starts_at)
        cancel = reverse("bookings:cancel", args=[booking.code])
        body = client.post(cancel, follow=True).content.decode()
    assert said in body
    assert "stays payable" not in body and "greiða" not in body


def test_days_booked_solid_are_read_as_runs(db):
    """Sessions with gaps too short for a session are read as one taken run (a row
    or two from the database, not one per session); the free slots are the same."""
    from tengja.bookings.slots import _busy
    from tengja.professionals.models import Professional, WeeklyAvailability

    pro = ProfessionalFactory(user__time_zone="UTC")
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(professional=pro, weekday=d, starts=time(8), ends=time(18))
        for d in range(7)
    )
    kind = SessionTypeFactory(professional=pro, duration_minutes=50)
    start = date(2031, 3, 3)
    midnight = datetime.combine(start, time(0), tzinfo=UTC)

    def at(day, hours, minutes=0):
        return midnight + timedelta(days=day, hours=hours, minutes=minutes)

    # 50 minutes every hour until 09:50 on the third day; then 11:00, 12:30 (a gap
    # of 40 minutes) and 14:10 (a gap of 50).
    sessions = [midnight + timedelta(hours=h) for h in range(58)]
    sessions += [at(2, 11), at(2, 12, 30), at(2, 14, 10)]
    Booking.objects.bulk_create(
        Booking(
            professional=pro,
            client=ProfessionalFactory().user,
            session_type=kind,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            price_amount=1,
            currency="ISK",
        )
        for starts_at in sessions
    )
    length = timedelta(minutes=50)
    runs = _busy({pro.pk: pro}, midnight, at(3, 0), length, None)
    assert runs[pro.pk] == [
        (midnight, at(2, 9, 50)),
        (at(2, 11), at(2, 13, 20)),
        (at(2, 14, 10), at(2, 15)),
    ]
    pro = Professional.objects.select_related("user").get(pk=pro.pk)
    args = {"professionals": [pro], "duration": length, "start": start, "days": 3}
    found = free_slots(now=datetime(2031, 3, 1, tzinfo=UTC), **args)[pro.pk]
    assert [s.starts_at for s in found] == [
        at(2, 10),
        at(2, 15),
        at(2, 15, 30),
        at(2, 16),
        at(2, 16, 30),
        at(2, 17),
    ]
    first = free_slots(now=datetime(2031, 3, 1, tzinfo=UTC), first_only=True, **args)[pro.pk]
    assert first[0].starts_at == at(2, 10)
    # Within the notice: the first is after it, on the grid.
    later = free_slots(now=at(2, 3, 10), first_only=True, **args)[pro.pk]
    assert later[0].starts_at == at(2, 15, 30)


def test_free_slots_are_those_no_session_overlaps(db):
    """Against a plain check of every half hour of every window, one by one, for
    sessions of many lengths and gaps (read as runs, stepped past and skipped)."""
    import random

    from tengja.professionals.models import AvailabilityException, Professional, WeeklyAvailability

    draw = random.Random(27)
    start = date(2031, 3, 3)
    now = datetime(2031, 3, 3, 2, tzinfo=UTC)
    pros = [ProfessionalFactory(user__time_zone="UTC") for _ in range(4)]
    solid = (datetime(2031, 3, 8, 10, tzinfo=UTC), datetime(2031, 3, 10, 12, tzinfo=UTC))
    hours = {}
    for pro in pros:
        kind = SessionTypeFactory(professional=pro)
        opens, closes = time(draw.choice([7, 8, 9])), time(draw.choice([15, 17, 18]))
        hours[pro.pk] = {d: [(opens, closes)] for d in range(7)}
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(professional=pro, weekday=d, starts=opens, ends=closes)
            for d in range(7)
        )
        at = datetime.combine(start, time(0), tzinfo=UTC)
        sessions = []
        while at < datetime.combine(start + timedelta(days=12), time(0), tzinfo=UTC):
            length = timedelta(minutes=draw.choice([20, 45, 50, 60, 90]))
            sessions.append((at, at + length))
            gap = draw.choice([0, 5, 10, 30, 45, 50, 60, 120, 600])
            if pro == pros[2] and solid[0] <= at < solid[1]:
                gap = 0  # booked solid over two nights, into the afternoon
            at += length + timedelta(minutes=gap)
        Booking.objects.bulk_create(
            Booking(
                professional=pro,
                client=pros[0].user,
                session_type=kind,
                starts_at=s,
                ends_at=e,
                price_amount=1,
                currency="ISK",
                status=draw.choice(["confirmed"] * 9 + ["cancelled"]),
            )
            for s, e in sessions
        )
    AvailabilityException.objects.create(
        professional=pros[1], date=start + timedelta(days=4), kind="off"
    )
    taken = {
        pro.pk: list(
            Booking.objects.filter(professional=pro, status="confirmed").values_list(
                "starts_at", "ends_at"
            )
        )
        for pro in pros
    }
    pros = list(Professional.objects.select_related("user").order_by("pk"))
    for minutes in (30, 50, 60):
        length = timedelta(minutes=minutes)
        found = free_slots(professionals=pros, duration=length, start=start, days=10, now=now)
        first = free_slots(
            professionals=pros, duration=length, start=start, days=10, now=now, first_only=True
        )
        for pro in pros:
            expected = []
            for offset in range(10):
                day = start + timedelta(days=offset)
                if pro == pros[1] and offset == 4:
                    continue
                for opens, closes in hours[pro.pk][day.weekday()]:
                    at = datetime.combine(day, opens, tzinfo=UTC)
                    while at + length <= datetime.combine(day, closes, tzinfo=UTC):
                        clear = all(e <= at or s >= at + length for s, e in taken[pro.pk])
                        if clear and at >= now + MIN_NOTICE:
                            expected.append(at)
                        at += timedelta(minutes=30)
            assert [s.starts_at for s in found[pro.pk]] == expected, (pro.pk, minutes)
            assert [s.starts_at for s in first[pro.pk][:1]] == expected[:1], (pro.pk, minutes)
