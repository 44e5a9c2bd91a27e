import re
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.slots import free_slots
from tengja.hubs.models import (
    CreditEntry,
    CreditRequest,
    HubInvitedAddress,
    HubProfessional,
    Membership,
)
from tengja.hubs.selectors import hub_usage, offers_public
from tengja.hubs.services import (
    balance,
    credit_request_create,
    hub_book,
    hub_eligible,
    hub_offer_ask,
)
from tests.factories import HubFactory, SessionTypeFactory


def book(member, offer):
    slot = free_slots(
        professionals=[offer.professional],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[offer.professional_id][0]
    return hub_book(membership=member, offer=offer, starts_at=slot.starts_at)


def members(hub, count, *, spenders=0, month_ago=True):
    """`count` confirmed members; in the month before this one each got 2 credits
    and the first `spenders` spent one."""
    from tengja.accounts.models import User

    local = timezone.localtime()
    last_month = (local.replace(day=1) - timedelta(days=1)).replace(day=10, hour=12)
    made = []
    first = User.objects.count()
    for index in range(count):
        user = User.objects.create_user(
            email=f"m{first + index}@acme.test", name=f"Member {first + index}"
        )
        when = last_month if month_ago else local
        made.append(
            Membership.objects.create(
                hub=hub, user=user, email=user.email, status="active", verified_at=when
            )
        )
        CreditEntry.objects.create(membership=made[-1], kind="grant", amount=2, created_at=when)
        if index < spenders:
            CreditEntry.objects.create(
                membership=made[-1], kind="spend", amount=-1, created_at=when
            )
    return made


def usage_of(client, hub):
    """What HR's page shows of the hub's usage (the page works it out afresh on
    each visit)."""
    assert client.get(reverse("hubs:admin", args=[hub.code])).status_code == 200
    return hub_usage(hub=hub)


def test_hr_sees_no_usage_until_enough_people_have_joined(client, hr, hub, member, offer):
    members(hub, 4, spenders=4)
    book(member, offer)  # member joined this month: not yet counted
    client.force_login(hr)
    response = client.get(reverse("hubs:admin", args=[hub.code]))
    body = response.content.decode()
    assert "Usage is shown from the month after at least 5 members have joined." in body
    assert "had joined" not in body and "usage-chart" not in body
    assert response.context["usage"] == {"enough": False, "min_group": 5}
    # Next month, the member who joined this month counts.
    usage = hub_usage(hub=hub, now=timezone.now() + timedelta(days=32))
    assert usage["enough"] is True and usage["joined"] == 5


def test_the_threshold_is_a_setting(client, hr, hub, settings):
    members(hub, 2)
    client.force_login(hr)
    assert usage_of(client, hub)["enough"] is False
    settings.HUB_REPORTING_MIN_GROUP = 2
    usage = usage_of(client, hub)
    assert usage["enough"] is True and usage["months"][-1]["granted"] == 4


def test_hr_sees_ended_months_in_totals_but_never_who_or_when(client, hr, hub, offer):
    group = members(hub, 6, spenders=5)
    client.force_login(hr)
    response = client.get(reverse("hubs:admin", args=[hub.code]))
    body = response.content.decode()
    assert "6 members had joined by the start of this month." in body
    months = response.context["usage"]["months"]
    assert len(months) == 12 and months[-1]["month"] < timezone.localdate().replace(day=1)
    assert (months[-1]["granted"], months[-1]["used"]) == (12, 5)
    assert all(m["granted"] == 0 and m["used"] == 0 for m in months[:-1])
    assert 'aria-labelledby="usage-chart-title"' in body
    # In Icelandic too, the chart's coordinates are plain numbers (3.5, never 3,5).
    hr.language = "is"
    hr.save(update_fields=["language"])
    body_is = client.get(reverse("hubs:admin", args=[hub.code])).content.decode()
    assert '<html lang="is">' in body_is
    coordinates = re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)"', body_is)
    assert len(coordinates) == 12
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for row in coordinates for value in row)
    for person in group:
        assert person.user.name not in body and person.email not in body


def test_a_month_made_by_fewer_people_than_the_threshold_is_not_shown(client, hr, hub):
    members(hub, 6, spenders=4)
    client.force_login(hr)
    response = client.get(reverse("hubs:admin", args=[hub.code]))
    last = response.context["usage"]["months"][-1]
    assert last["granted"] == 12 and last["used"] is None
    assert "fewer than 5" in response.content.decode()
    # Icelandic too.
    hr.language = "is"
    hr.save()
    assert "færri en 5" in client.get(reverse("hubs:admin", args=[hub.code])).content.decode()


def test_joining_today_moves_nothing_hr_sees(client, hr, hub, member):
    members(hub, 6)
    client.force_login(hr)
    before = usage_of(client, hub)
    members(hub, 1, month_ago=False)
    assert usage_of(client, hub) == before


def test_booking_a_session_moves_nothing_hr_sees(client, hr, hub, offer):
    group = members(hub, 6, spenders=5)
    client.force_login(hr)
    before = usage_of(client, hub)
    page_before = client.get(reverse("hubs:admin", args=[hub.code])).content.decode()
    booking = book(group[0], offer)
    assert usage_of(client, hub) == before
    cache.clear()  # the page's kept usage lapsed: worked out afresh
    page_after = client.get(reverse("hubs:admin", args=[hub.code])).content.decode()

    def usage_section(page):
        return page.split('id="usage-heading"')[1].split("</section>")[0]

    assert usage_section(page_after) == usage_section(page_before)
    # Cancelling it (the credit comes back) moves nothing either.
    from tengja.bookings.services import booking_cancel

    booking_cancel(booking=booking, by=group[0].user)
    assert usage_of(client, hub) == before


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
    assert "3 more credits for one of your members." in body
    # Neither is named: in a small hub, the professional would point at the member.
    for name in (member.user.name, member.email, "Dr. Sól", offer.professional.user.email):
        assert name not in body, name
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
    settings = {
        "welcome_text": "Hello team",
        "credits_per_period": 4,
        "period_months": 6,
        "credits_per_session": 2,
    }
    assert client.post(url, settings)["Location"] == reverse("hubs:admin", args=[hub.code])
    hub.refresh_from_db()
    assert (hub.welcome_text, hub.credits_per_period, hub.period_months) == ("Hello team", 4, 6)
    assert hub.credits_per_session == 2
    response = client.post(url, {**settings, "welcome_text": "x", "period_months": 99})
    assert response.status_code == 400
    assert "Choose a period of 1 to 36 months." in response.content.decode()
    response = client.post(url, {**settings, "welcome_text": "y", "credits_per_session": 0})
    assert response.status_code == 400
    assert "Choose 1 to 20 credits." in response.content.decode()
    hub.refresh_from_db()
    assert (hub.welcome_text, hub.period_months, hub.credits_per_session) == ("Hello team", 6, 2)
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


def test_hr_asks_and_the_answer_never_says_whether_the_address_is_a_professionals(
    client, hr, hub, professional, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(hr)
    url = reverse("hubs:admin_offer_set", args=[hub.code])
    answers = []
    for address in (professional.user.email, "nobody@elsewhere.test", "hr@acme.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"professional_email": address}, follow=True)
        answers.append([str(m) for m in response.context["messages"]])
    assert answers[0] == answers[1] == answers[2]
    assert "If a professional has that address" in answers[0][0]
    offer = HubProfessional.objects.get()
    assert (offer.professional, offer.status, offer.session_type) == (professional, "asked", None)
    assert [m.to for m in mailoutbox] == [[professional.user.email]]
    assert "would like to offer your sessions" in mailoutbox[0].body
    assert reverse("dashboard:practice_hubs") in mailoutbox[0].body
    # Asked is not offered: neither the hub's page nor browsing lists them.
    assert (
        professional.user.name
        not in client.get(reverse("hubs:hub", args=[hub.code])).content.decode()
    )
    # Asking again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"professional_email": professional.user.email})
    assert len(mailoutbox) == 1
    response = client.post(url, {"professional_email": "not an address"})
    assert response.status_code == 400 and HubProfessional.objects.count() == 1


def test_the_professional_accepts_with_a_session_type_and_is_listed(
    client, hr, hub, professional, member
):
    talk = SessionTypeFactory(professional=professional, name="Talk")
    SessionTypeFactory(professional=professional, name="Retired", is_active=False)
    other = SessionTypeFactory(name="Not theirs")
    hub_offer_ask(hub=hub, professional_email=professional.user.email)
    client.force_login(professional.user)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "1 Wellbeing Hub asks to offer you to its members." in home
    page = client.get(reverse("dashboard:practice_hubs")).content.decode()
    assert hub.name in page and "Retired" not in page and "Not theirs" not in page
    accept = reverse("hubs:offer_accept", args=[hub.code])
    # Someone else's session type, or none: refused, nothing changes.
    for bad in ({"session_type": other.pk}, {}, {"session_type": "x"}):
        client.post(accept, bad)
        assert HubProfessional.objects.get().status == "asked"
    client.post(accept, {"session_type": talk.pk})
    offer = HubProfessional.objects.get()
    assert (offer.status, offer.session_type) == ("accepted", talk)
    # Listed on the hub's page and for members to browse.
    assert (
        professional.user.name in client.get(reverse("hubs:hub", args=[hub.code])).content.decode()
    )
    client.force_login(member.user)
    browse = client.get(reverse("hubs:browse", args=[hub.code]))
    assert [o.professional for o, _first in browse.context["offers"]] == [professional]
    # HR takes them off from the hub's page.
    client.force_login(hr)
    hub_page = client.get(reverse("hubs:hub", args=[hub.code])).content.decode()
    remove = reverse("hubs:admin_offer_remove", args=[hub.code, professional.code])
    assert remove in hub_page
    client.post(remove)
    assert not HubProfessional.objects.exists()


def test_the_professional_declines_or_leaves_and_is_not_listed(client, hub, professional):
    talk = SessionTypeFactory(professional=professional)
    hub_offer_ask(hub=hub, professional_email=professional.user.email)
    client.force_login(professional.user)
    client.post(reverse("hubs:offer_decline", args=[hub.code]))
    assert HubProfessional.objects.get().status == "declined"
    assert offers_public(hub=hub) == []
    # Declined is final for this page: the buttons are gone, posting again is 404.
    assert (
        client.post(
            reverse("hubs:offer_accept", args=[hub.code]), {"session_type": talk.pk}
        ).status_code
        == 404
    )
    # Asked again later, accepted, then left.
    hub_offer_ask(hub=hub, professional_email=professional.user.email)
    client.post(reverse("hubs:offer_accept", args=[hub.code]), {"session_type": talk.pk})
    assert [o.professional for o in offers_public(hub=hub)] == [professional]
    response = client.post(reverse("hubs:offer_decline", args=[hub.code]), follow=True)
    assert "You have left" in response.content.decode()
    assert offers_public(hub=hub) == []


def test_only_the_asked_professional_answers(client, alice, hub, professional):
    talk = SessionTypeFactory(professional=professional)
    hub_offer_ask(hub=hub, professional_email=professional.user.email)
    someone = SessionTypeFactory().professional
    for person in (alice, someone.user):
        client.force_login(person)
        response = client.post(
            reverse("hubs:offer_accept", args=[hub.code]), {"session_type": talk.pk}
        )
        assert response.status_code == 404
    assert HubProfessional.objects.get().status == "asked"


def test_removing_a_member_answers_the_same_whoever_the_address_is(client, hr, hub, member):
    client.force_login(hr)
    url = reverse("hubs:admin_member_remove", args=[hub.code])
    answers = []
    for address in ("nobody@acme.test", member.email):
        response = client.post(url, {"remove-email": address}, follow=True)
        answers.append((response.status_code, [str(m) for m in response.context["messages"]]))
    assert answers[0] == answers[1]
    member.refresh_from_db()
    assert member.status == "removed"


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


def _usage_section(page: str) -> str:
    return page.split('id="usage-heading"')[1].split("</section>")[0]


SPEND_NIGHT = datetime(2026, 12, 15, 12, tzinfo=UTC)  # "now" in these tests


def spends_around_the_end_of_october(hub) -> None:
    """10 members, confirmed in September: 5 spend on 15 October, 1 at 13:00 UTC
    on 31 October (already 1 November in Kiritimati, still 31 October in Pago
    Pago and in UTC), 4 on 15 November."""
    from tengja.accounts.models import User

    for index in range(10):
        user = User.objects.create_user(email=f"z{index}@acme.test", name=f"Z {index}")
        membership = Membership.objects.create(
            hub=hub,
            user=user,
            email=user.email,
            status="active",
            verified_at=datetime(2026, 9, 1, 12, tzinfo=UTC),
        )
        CreditEntry.objects.create(
            membership=membership,
            kind="grant",
            amount=2,
            created_at=datetime(2026, 10, 2, 12, tzinfo=UTC),
        )
        when = (
            datetime(2026, 10, 15, 12, tzinfo=UTC)
            if index < 5
            else datetime(2026, 10, 31, 13, tzinfo=UTC)
            if index == 5
            else datetime(2026, 11, 15, 12, tzinfo=UTC)
        )
        CreditEntry.objects.create(membership=membership, kind="spend", amount=-1, created_at=when)


def _table(page: str) -> str:
    return page.split("<table")[1].split("</table>")[0]


def test_hrs_months_are_the_hubs_whatever_zone_hr_chooses(client, hr, hub):
    """Spends in the hours around midnight UTC on 31 October fall in October or
    November depending on the zone the months are cut in: the hub's, never HR's
    own, or moving between the two extremes would reveal a hidden figure."""
    import time_machine

    assert getattr(hub, "time_zone", "Atlantic/Reykjavik") == "Atlantic/Reykjavik"
    with time_machine.travel(SPEND_NIGHT, tick=False):
        spends_around_the_end_of_october(hub)
        client.force_login(hr)
        pages, usages = [], []
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
            hr.time_zone = zone
            hr.save(update_fields=["time_zone"])
            cache.clear()  # each page works the usage out (none kept from the other)
            response = client.get(reverse("hubs:admin", args=[hub.code]))
            assert response.status_code == 200
            pages.append(_usage_section(response.content.decode()))
            with timezone.override(zone):
                usages.append(hub_usage(hub=hub))
    assert pages[0] == pages[1]
    assert usages[0] == usages[1]
    months = {m["month"].month: m for m in usages[0]["months"]}
    # In the hub's zone (UTC), 31 October 13:00 is October: 6 used then, 4 (hidden) in November.
    assert (months[10]["used"], months[11]["used"]) == (6, None)
    assert "Atlantic/Reykjavik" in pages[0]


def test_changing_the_hubs_zone_moves_no_month_already_begun(client, hr, hub):
    """HR may set the hub's zone, but a change applies from the next month: going
    from one extreme to the other cannot move a spend between months HR sees."""
    import time_machine

    url = reverse("hubs:admin", args=[hub.code])
    data = {
        "welcome_text": hub.welcome_text,
        "credits_per_period": hub.credits_per_period,
        "period_months": hub.period_months,
        "credits_per_session": hub.credits_per_session,
    }
    with time_machine.travel(SPEND_NIGHT, tick=False):
        spends_around_the_end_of_october(hub)
        client.force_login(hr)
        tables = [_table(client.get(url).content.decode())]
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Kiritimati"):
            response = client.post(
                reverse("hubs:admin_settings", args=[hub.code]), {**data, "time_zone": zone}
            )
            assert response.status_code == 302
            cache.clear()  # each page works the usage out (none kept from the last)
            page = client.get(url).content.decode()
            tables.append(_table(page))
        assert len(set(tables)) == 1
        assert "From January 2027 on, they do in" in page
        assert "Atlantic/Reykjavik" in page and "Pacific/Kiritimati" in page
    hub.refresh_from_db()
    assert hub.time_zone == "Pacific/Kiritimati"
    assert str(hub.zone_of_month(date(2026, 12, 1))) == "Atlantic/Reykjavik"
    assert str(hub.zone_of_month(date(2027, 1, 1))) == "Pacific/Kiritimati"
    # In January the new zone cuts the months from then on; December keeps UTC's.
    assert hub.month_start(datetime(2027, 1, 15, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=hub.zone_of_month(date(2027, 1, 1))
    )
    assert hub.month_boundary(date(2026, 12, 1)) == datetime(2026, 12, 1, tzinfo=UTC)


def test_hr_sets_the_hubs_time_zone(client, hr, hub):
    client.force_login(hr)
    data = {
        "welcome_text": hub.welcome_text,
        "credits_per_period": hub.credits_per_period,
        "period_months": hub.period_months,
        "credits_per_session": hub.credits_per_session,
        "time_zone": "Pacific/Kiritimati",
    }
    response = client.post(reverse("hubs:admin_settings", args=[hub.code]), data)
    assert response.status_code == 302
    hub.refresh_from_db()
    assert hub.time_zone == "Pacific/Kiritimati"
    members(hub, 6)
    assert (
        "Pacific/Kiritimati" in client.get(reverse("hubs:admin", args=[hub.code])).content.decode()
    )
    # Not a zone: refused, nothing changes.
    response = client.post(
        reverse("hubs:admin_settings", args=[hub.code]), {**data, "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    hub.refresh_from_db()
    assert hub.time_zone == "Pacific/Kiritimati"


def test_removing_a_member_does_not_change_how_many_had_joined(client, hr, hub):
    """ "Remove a member" answers the same whoever the address is: the count of
    those who had joined by the start of the month must not tell it either."""
    group = members(hub, 14, spenders=6)
    client.force_login(hr)
    url = reverse("hubs:admin", args=[hub.code])
    before = _usage_section(client.get(url).content.decode())
    assert "14 members had joined by the start of this month." in before
    client.post(
        reverse("hubs:admin_member_remove", args=[hub.code]), {"remove-email": group[0].email}
    )
    group[0].refresh_from_db()
    assert group[0].status == "removed"
    assert _usage_section(client.get(url).content.decode()) == before
    assert usage_of(client, hub)["joined"] == 14
    # Nor next month: the count is of those who had joined, and only grows.
    assert hub_usage(hub=hub, now=timezone.now() + timedelta(days=40))["joined"] == 14
    # Nor does a member deleting their account.
    from tengja.privacy.services import account_delete

    account_delete(user=group[1].user)
    assert hub_usage(hub=hub)["joined"] == 14
    assert hub_usage(hub=hub, now=timezone.now() + timedelta(days=40))["joined"] == 14


def test_hrs_page_keeps_the_hubs_usage_a_minute(client, hr, hub, settings):
    """The usage (totals of ended months, too-small groups already hidden) is kept
    USAGE_SECONDS for the hub's HR team: the next visits read no ledger."""
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tengja.hubs.selectors import USAGE_SECONDS

    group = members(hub, 6, spenders=5)
    client.force_login(hr)
    url = reverse("hubs:admin", args=[hub.code])
    first = client.get(url).context["usage"]
    assert first == hub_usage(hub=hub) and first["joined"] == 6
    for person in group:
        assert person.email not in repr(first) and person.user.name not in repr(first)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).context["usage"] == first
    assert not any("hubs_creditentry" in q["sql"] for q in queries.captured_queries)
    # Kept per minimum group: a new threshold shows at once.
    settings.HUB_REPORTING_MIN_GROUP = 7
    assert client.get(url).context["usage"] == {"enough": False, "min_group": 7}
    settings.HUB_REPORTING_MIN_GROUP = 5
    members(hub, 1)  # joined last month (as data made since cannot be)
    assert client.get(url).context["usage"]["joined"] == 6
    with time_machine.travel(timezone.now() + timedelta(seconds=USAGE_SECONDS + 1)):
        client.force_login(hr)
        assert client.get(url).context["usage"]["joined"] == 7
