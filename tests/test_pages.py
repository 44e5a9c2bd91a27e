import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking, Invitation
from tengja.bookings.services import booking_invite
from tengja.lib.tokens import token_make
from tests.factories import BookingFactory, HubFactory, SessionTypeFactory, UserFactory

# session, user, the header (one query: unread count, hub icon, practice, HR
# team, whether they were ever sent a questionnaire), upcoming, a window of the
# history, connections, whether any form is required before the sessions to come
# (tengja.intake.responses; one more to list those the client must still
# complete, when some are), and the forms the calls to come wait for (one more
# when some are required). The questionnaires sent to them (tengja.measures) are
# asked for only when the header says they were ever sent one: one more query
# (two more while one is asked before every session).
CLIENT_HOME_QUERIES = 8
# and, for a hub member who is in an HR team too, their memberships and the
# hubs they run (the header says whether they have any)
HOME_QUERIES = CLIENT_HOME_QUERIES + 2
# and, for an active member, their last WHO-5 answers and hub sessions to rate
# (tengja.wellbeing)
MEMBER_HOME_QUERIES = HOME_QUERIES + 2
# and the practice (with its set-up checklist and the hubs asking to offer it),
# and its clients' answers that need attention (tengja.measures)
PRO_HOME_QUERIES = HOME_QUERIES + 2


def test_visitor_gets_the_welcome_page(client, db):
    body = client.get("/").content.decode()
    assert "Sign in" in body and "Create an account" in body


def test_layout_has_landmarks_skip_link_and_navigation(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert '<a class="skip-link" href="#main">' in body
    assert "<header" in body and '<main id="main"' in body and "<footer" in body
    assert '<nav class="main-nav" aria-label="Main">' in body
    assert f'href="{reverse("dashboard:home")}" aria-current="page">Home' in body
    assert f'href="{reverse("billing:payments")}"' in body
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body


def test_home_lists_upcoming_sessions_in_the_users_time_zone(client, alice):
    alice.time_zone = "America/New_York"
    alice.save()
    kind = SessionTypeFactory(name="Couples session", price_amount=2500, currency="EUR")
    starts = timezone.now().replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=2)
    BookingFactory(client=alice, session_type=kind, starts_at=starts)
    BookingFactory(session_type=kind)  # someone else's
    client.force_login(alice)
    response = client.get(reverse("dashboard:home"))
    body = response.content.decode()
    local = timezone.localtime(starts, timezone=__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}" in body
    assert "Couples session" in body
    assert "€25.00" in body
    assert len(response.context["upcoming"]) == 1


def test_home_shows_a_helpful_empty_state(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "You have no upcoming sessions yet" in body
    assert reverse("accounts:profile") in body


def test_home_query_count_does_not_grow_with_bookings(client, alice, django_assert_max_num_queries):
    kind = SessionTypeFactory()
    client.force_login(alice)
    BookingFactory(client=alice, session_type=kind)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        client.get(reverse("dashboard:home"))
    # 1,000 sessions to come and 1,000 past ones, with many professionals.
    start = timezone.now() + timedelta(days=1)
    kinds = [SessionTypeFactory() for _ in range(20)]
    Booking.objects.bulk_create(
        Booking(
            professional=kinds[i % 20].professional,
            client=alice,
            session_type=kinds[i % 20],
            starts_at=start + timedelta(hours=i * sign),
            ends_at=start + timedelta(hours=i * sign, minutes=50),
            price_amount=1,
            currency="ISK",
        )
        for i in range(1, 1001)
        for sign in (1, -1)
    )
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        response = client.get(reverse("dashboard:home"))
    assert len(response.context["upcoming"]) == 10
    assert len(response.context["history"]) == 10
    assert response.context["history"].has_next()
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        client.get(reverse("dashboard:home") + "?page=50")


def test_home_shows_hub_and_hr_cards_to_those_who_have_them(
    client, alice, django_assert_max_num_queries
):
    """A client's Home asks for memberships and HR hubs only when the header says
    there are any, and shows them as soon as there are, and no longer once they go."""
    hub = HubFactory(name="Acme Wellbeing")
    run = HubFactory(name="Initech Wellbeing")
    client.force_login(alice)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        body = client.get(reverse("dashboard:home")).content.decode()
    assert "Acme Wellbeing" not in body and "Initech Wellbeing" not in body

    membership = hub.memberships.create(user=alice, email=alice.email, status="active")
    run.company.admins.add(alice)
    with django_assert_max_num_queries(MEMBER_HOME_QUERIES):
        body = client.get(reverse("dashboard:home")).content.decode()
    assert "Acme Wellbeing" in body
    assert reverse("hubs:browse", args=[hub.code]) in body
    assert "Initech Wellbeing" in body
    assert reverse("hubs:admin", args=[run.code]) in body

    membership.status = "pending"
    membership.save()
    body = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("hubs:join", args=[hub.code]) in body  # asked to confirm the address

    membership.status = "removed"
    membership.save()
    run.company.admins.remove(alice)
    with django_assert_max_num_queries(CLIENT_HOME_QUERIES):
        body = client.get(reverse("dashboard:home")).content.decode()
    assert "Acme Wellbeing" not in body and "Initech Wellbeing" not in body


def test_professional_home_query_count_does_not_grow(
    client, professional, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """A professional's Home lists sessions with clients who have no account yet
    (their invited address shows): one query for all, not one per row."""
    kind = SessionTypeFactory(professional=professional)
    start = timezone.now() + timedelta(days=1)

    def book(count: int, offset: int) -> None:
        for i in range(offset, offset + count):
            with django_capture_on_commit_callbacks(execute=True):
                booking_invite(
                    professional=professional,
                    session_type=kind,
                    starts_at=start + timedelta(hours=i),
                    email=f"invited{i}@example.com",
                )

    client.force_login(professional.user)
    book(1, 0)
    with django_assert_max_num_queries(PRO_HOME_QUERIES):
        body = client.get(reverse("dashboard:home")).content.decode()
    assert "invited0@example.com" in body
    book(30, 1)
    with django_assert_max_num_queries(PRO_HOME_QUERIES):
        response = client.get(reverse("dashboard:home"))
    assert len(response.context["upcoming"]) == 10
    body = response.content.decode()
    assert "invited9@example.com" in body
    # Written for a professional, not a client.
    assert "Send a booking invitation" in body
    assert "The professionals you have sessions with" not in body


def test_user_text_is_escaped(client, db):
    mallory = UserFactory(name='<script>alert("x")</script>')
    client.force_login(mallory)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert '<script>alert("x")' not in body
    assert "&lt;script&gt;alert" in body


def test_hub_page_shows_welcome_and_create_account(client, db):
    hub = HubFactory(welcome_text="Six <b>free</b> sessions.")
    body = client.get(reverse("hubs:hub", args=[hub.code])).content.decode()
    assert "Six &lt;b&gt;free&lt;/b&gt; sessions." in body
    assert "Create an account" in body
    assert "to claim your credits" in body
    assert f"?next=/hubs/{hub.code}/" in body


def test_unknown_hub_is_404(client, db):
    response = client.get(reverse("hubs:hub", args=["nope"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_payments_tab_has_an_honest_empty_state(client, alice):
    client.force_login(alice)
    body = client.get(reverse("billing:payments")).content.decode()
    assert "You have nothing to pay" in body


def test_money_is_formatted_per_locale():
    from tengja.lib.money import money_format

    assert money_format(15000, "ISK", language="en") == "ISK\xa015,000"
    assert money_format(15000, "ISK", language="is") == "15.000\xa0kr."
    assert money_format(1999, "EUR", language="en") == "€19.99"
    assert money_format(1999, "EUR", language="is") == "19,99\xa0EUR"


def test_create_account_wording_is_the_same_everywhere(client, db):
    """As the help article has it: links say "Create an account", the form's button
    says "Create Account"."""
    hub = HubFactory()
    kind = SessionTypeFactory()
    booking_invite(
        professional=kind.professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=2),
        email="new@example.com",
    )
    raw, hashed = token_make()
    Invitation.objects.update(token_hash=hashed)
    forms = [
        reverse("accounts:signup"),
        reverse("hubs:join", args=[hub.code]),
        reverse("bookings:invitation", args=[raw]),
    ]
    for url in forms:
        body = client.get(url).content.decode()
        assert '<button type="submit" class="button">Create Account</button>' in body, url
    for url in ["/", reverse("accounts:login"), reverse("hubs:hub", args=[hub.code]), *forms]:
        body = client.get(url).content.decode()
        links = re.findall(r"<a [^>]*>(Create[^<]*)</a>", body)
        assert set(links) <= {"Create an account"}, (url, links)


def test_the_front_door_says_what_tengja_is_for_whom_and_how_to_find_a_hub(client, db):
    body = client.get("/").content.decode()
    for heading in ("For clients", "For professionals", "For companies"):
        assert heading in body
    assert "HR or engagement team" in body
    assert f'action="{reverse("hubs:find")}"' in body
    assert f'href="{reverse("accounts:login")}"' in body
    assert '<meta name="description" content="Tengja: video sessions' in body
    assert "<img" not in body and body.count("<script") == 1  # app.js only: no new script


def test_a_pasted_hub_link_or_code_opens_the_hub(client, db):
    hub = HubFactory()
    for text in (f"https://tengja.example/hubs/{hub.code}/join/", hub.code, f" /hubs/{hub.code} "):
        response = client.get(reverse("hubs:find"), {"link": text})
        assert response.status_code == 302, text
        assert response["Location"] == reverse("hubs:hub", args=[hub.code])
    response = client.get(reverse("hubs:find"), {"link": "https://tengja.example/hubs/nope/"})
    assert response.status_code == 400
    assert "We found no Wellbeing Hub with that link" in response.content.decode()


def test_public_pages_have_their_own_descriptions(client, db):
    hub = HubFactory(name="Vellíðan", company__name="Acme")
    body = client.get(reverse("hubs:hub", args=[hub.code])).content.decode()
    assert '<meta name="description" content="Vellíðan: the Wellbeing Hub of Acme' in body
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<meta name="description" content="Sign in to Tengja' in body
