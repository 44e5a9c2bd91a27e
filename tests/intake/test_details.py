"""Required client details (issue 29): the professional's choice, the client's
form, the card that asks, the join gate, the reminder e-mail, who sees them."""

import re
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.gates import join_blockers
from tengja.bookings.models import Booking, BookingRequest
from tengja.bookings.selectors import booking_for_user
from tengja.intake.details import details_join_blockers, details_remind_due, kennitala_is_valid
from tengja.intake.models import ClientDetails, Detail
from tengja.privacy.services import account_delete
from tests.conftest import race, requires_postgres
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

VALID_KENNITALA = "120174-3399"
# The check digit is right, but there is no 31 February.
NO_SUCH_DAY = "3102900099"


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(professional=professional, name="Viðtal")


@pytest.fixture
def asking(professional):
    """Alice's professional requires a phone number and an emergency contact."""
    professional.required_details = [Detail.PHONE, Detail.EMERGENCY_CONTACT]
    professional.save(update_fields=["required_details"])
    return professional


@pytest.fixture
def session(alice, asking, kind):
    """Alice's session with the professional, in five minutes (its call is open)."""
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
    )


def form_url(professional) -> str:
    return reverse("intake:details", kwargs={"code": professional.code})


def give(client, professional, **data):
    return client.post(form_url(professional), data)


# ------------------------------------------------------------------ the professional's choice


def test_professional_picks_the_details(client, professional):
    client.force_login(professional.user)
    url = reverse("intake:details_required")
    page = client.get(url)
    assert page.status_code == 200
    for label in Detail.labels:
        assert str(label) in page.content.decode()
    assert "before their next session" in page.content.decode()
    response = client.post(url, {"required_details": ["reason", "phone"]})
    assert response.status_code == 302
    professional.refresh_from_db()
    assert professional.required_details == ["phone", "reason"]  # in Detail's order


def test_the_practice_page_links_to_the_choice(client, professional):
    client.force_login(professional.user)
    page = client.get(reverse("bookings:practice"))
    assert reverse("intake:details_required") in page.content.decode()


def test_an_unknown_detail_changes_nothing(client, asking):
    client.force_login(asking.user)
    response = client.post(reverse("intake:details_required"), {"required_details": ["shoe"]})
    assert response.status_code == 400
    asking.refresh_from_db()
    assert asking.required_details == ["phone", "emergency_contact"]


def test_someone_without_a_practice_gets_404(client, alice):
    client.force_login(alice)
    assert client.get(reverse("intake:details_required")).status_code == 404


# ------------------------------------------------------------------ the client's form


def test_the_form_shows_only_what_is_required_and_what_was_given(client, alice, session):
    ClientDetails.objects.create(professional=session.professional, client=alice, reason="Svefn")
    client.force_login(alice)
    page = client.get(form_url(session.professional))
    assert page.status_code == 200
    fields = set(page.context["form"].fields)
    assert fields == {"phone", "emergency_contact", "reason"}
    assert page.context["form"].fields["phone"].required
    assert not page.context["form"].fields["reason"].required
    assert "Svefn" in page.content.decode()  # prefilled


def test_giving_the_details_saves_them_and_keeps_the_rest(client, alice, session):
    ClientDetails.objects.create(
        professional=session.professional, client=alice, address="Laugavegur 1"
    )
    # The professional no longer asks for the address: the form does not show it.
    client.force_login(alice)
    response = give(
        client,
        session.professional,
        phone="+354 555-1234",
        emergency_contact="Jón Jónsson 555 4321",
        next=reverse("bookings:detail", kwargs={"code": session.code}),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:detail", kwargs={"code": session.code})
    details = ClientDetails.objects.get(professional=session.professional, client=alice)
    assert details.phone == "+354 555-1234"
    assert details.emergency_contact == "Jón Jónsson 555 4321"
    # The address was shown (given before) but not sent: a form field left empty
    # clears only what the form showed, and nothing it did not.
    assert details.reason == ""
    assert ClientDetails.objects.count() == 1


def test_saving_never_clears_a_field_the_form_did_not_show(client, alice, session):
    ClientDetails.objects.create(
        professional=session.professional, client=alice, phone="5551234", reminded_at=None
    )
    # Given to the database directly (say by an earlier form): not shown, not touched.
    ClientDetails.objects.filter(client=alice).update(national_id="")
    client.force_login(alice)
    give(
        client,
        session.professional,
        phone="5551234",
        emergency_contact="Jón Jónsson 555 4321",
        national_id="X",  # not a field of this form: ignored
        date_of_birth="1990-01-01",
    )
    details = ClientDetails.objects.get(client=alice)
    assert details.national_id == ""
    assert details.date_of_birth is None


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("phone", "555 12ab", "only digits, spaces, + and -"),
        ("phone", "555 12", "7 to 20 digits"),
        ("phone", "1" * 21, "7 to 20 digits"),
        ("emergency_contact", "Jón", "name and phone number"),
        ("emergency_contact", "5554321", "name and phone number"),
        ("phone", "", "This field is required"),
    ],
)
def test_bad_input_changes_nothing(client, alice, session, field, value, message):
    ClientDetails.objects.create(
        professional=session.professional,
        client=alice,
        phone="5551234",
        emergency_contact="Jón 555 4321",
    )
    client.force_login(alice)
    data = {"phone": "+354 699 1234", "emergency_contact": "Guðrún 699 9999", field: value}
    response = give(client, session.professional, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    details = ClientDetails.objects.get(client=alice)
    assert (details.phone, details.emergency_contact) == ("5551234", "Jón 555 4321")


@pytest.mark.parametrize(
    "value, saved, message",
    [
        (VALID_KENNITALA, "120174-3399", None),
        ("1201743399", "120174-3399", None),
        ("120174-3389", None, "not a valid kennitala"),
        (NO_SUCH_DAY, None, "not a valid kennitala"),
        ("P-1234567", "P-1234567", None),  # another country's ID
        ("AB1", None, "4 to 32 letters"),
        ("AB 12345", None, "4 to 32 letters"),
        ("A" * 33, None, "at most 32 characters"),
    ],
)
def test_kennitala_or_other_id(client, alice, professional, kind, value, saved, message):
    professional.required_details = [Detail.NATIONAL_ID]
    professional.save()
    BookingFactory(client=alice, session_type=kind)
    client.force_login(alice)
    response = give(client, professional, national_id=value)
    details = ClientDetails.objects.filter(client=alice).first()
    if message:
        assert response.status_code == 400
        assert message in response.content.decode()
        assert details is None
    else:
        assert response.status_code == 302
        assert details.national_id == saved


def test_kennitala_check_digit():
    assert kennitala_is_valid("1201743399")
    assert not kennitala_is_valid("1201743389")
    assert not kennitala_is_valid(NO_SUCH_DAY)
    assert not kennitala_is_valid("1201743394")  # no such century


@pytest.mark.parametrize(
    "value, ok",
    [
        ("1990-05-17", True),
        ("2999-01-01", False),
        ("1850-01-01", False),
        ("1990-02-30", False),
        ("not a date", False),
    ],
)
def test_date_of_birth(client, alice, professional, kind, value, ok):
    professional.required_details = [Detail.DATE_OF_BIRTH]
    professional.save()
    BookingFactory(client=alice, session_type=kind)
    client.force_login(alice)
    response = give(client, professional, date_of_birth=value)
    assert response.status_code == (302 if ok else 400)
    details = ClientDetails.objects.filter(client=alice).first()
    assert (details.date_of_birth if details else None) == (date(1990, 5, 17) if ok else None)


def test_today_is_not_a_date_of_birth(client, alice, professional, kind):
    professional.required_details = [Detail.DATE_OF_BIRTH]
    professional.save()
    BookingFactory(client=alice, session_type=kind)
    client.force_login(alice)
    response = give(client, professional, date_of_birth=timezone.localdate().isoformat())
    assert response.status_code == 400
    assert "must be in the past" in response.content.decode()


def test_reason_and_address_lengths(client, alice, professional, kind):
    professional.required_details = [Detail.REASON, Detail.ADDRESS]
    professional.save()
    BookingFactory(client=alice, session_type=kind)
    client.force_login(alice)
    response = give(client, professional, reason="x" * 2001, address="Laugavegur 1")
    assert response.status_code == 400
    assert not ClientDetails.objects.exists()
    response = give(client, professional, reason="x" * 2000, address="Laugavegur 1\n101 Rvk")
    assert response.status_code == 302
    assert len(ClientDetails.objects.get().reason) == 2000


def test_the_form_in_icelandic(client, alice, session):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    page = client.get(
        form_url(session.professional),
    )
    text = page.content.decode()
    assert "Upplýsingarnar þínar fyrir" in text
    response = client.post(
        form_url(session.professional),
        {"phone": "abc", "emergency_contact": "Jón 555 4321"},
    )
    assert "Símanúmer má aðeins innihalda" in response.content.decode()


# ------------------------------------------------------------------ who may open the form


def test_only_a_client_of_the_professional_opens_the_form(
    client, session, bob, hr, other_professional
):
    for person in (bob, hr, other_professional.user, session.professional.user):
        client.force_login(person)
        assert client.get(form_url(session.professional)).status_code == 404
        assert give(client, session.professional, phone="5551234").status_code == 404
    assert not ClientDetails.objects.exists()


def test_a_session_entered_by_mistake_gives_no_access(client, alice, asking, kind):
    BookingFactory(
        client=alice,
        session_type=kind,
        status=Booking.Status.CANCELLED,
        cancel_reason=Booking.CancelReason.MISTAKE,
    )
    client.force_login(alice)
    assert client.get(form_url(asking)).status_code == 404
    # A cancelled one (not void) does.
    BookingFactory(
        client=alice,
        session_type=kind,
        status=Booking.Status.CANCELLED,
        cancel_reason=Booking.CancelReason.BY_CLIENT,
    )
    assert client.get(form_url(asking)).status_code == 200


def test_a_request_gives_access(client, alice, asking, kind):
    BookingRequest.objects.create(
        professional=asking,
        session_type=kind,
        client=alice,
        starts_at=timezone.now() + timedelta(days=2),
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(alice)
    assert client.get(form_url(asking)).status_code == 200


# ------------------------------------------------------------------ the card that asks


def test_home_and_the_session_page_ask_until_given(client, alice, session):
    client.force_login(alice)
    ask = "Before your session, Helga Sigurðardóttir asks for:"
    for url in (reverse("dashboard:home"), reverse("bookings:detail", args=[session.code])):
        text = client.get(url).content.decode()
        assert ask in text
        assert "Phone number, Emergency contact" in text
        assert form_url(session.professional) in text
    give(client, session.professional, phone="5551234", emergency_contact="Jón 555 4321")
    for url in (reverse("dashboard:home"), reverse("bookings:detail", args=[session.code])):
        assert ask not in client.get(url).content.decode()


def test_the_card_in_icelandic(client, alice, session):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    text = client.get(
        reverse("dashboard:home"),
    ).content.decode()
    assert "Fyrir tímann biður Helga Sigurðardóttir um:" in text
    assert "Gefa upplýsingarnar" in text


def test_nothing_asked_by_a_professional_who_requires_nothing(client, alice, kind):
    booking = BookingFactory(client=alice, session_type=kind)
    client.force_login(alice)
    assert "Give your details" not in client.get(reverse("dashboard:home")).content.decode()
    assert not join_blockers([booking_for_user(user=alice, code=booking.code)])


def test_the_professional_sees_what_is_missing(client, alice, session):
    ClientDetails.objects.create(professional=session.professional, client=alice, phone="5551234")
    client.force_login(session.professional.user)
    text = client.get(reverse("bookings:detail", args=[session.code])).content.decode()
    assert "Details still missing" in text
    assert "Emergency contact" in text
    page = client.get(reverse("dashboard:practice_client", args=[alice.code]))
    text = page.content.decode()
    assert "Client details" in text
    assert "5551234" in text
    assert "Still missing:" in text


# ------------------------------------------------------------------ the join gate


def test_join_button_page_and_seat_refuse_until_given(client, alice, session):
    client.force_login(alice)
    reason = "Give Helga Sigurðardóttir the details they ask for before the call can start."
    page = client.get(reverse("bookings:detail", args=[session.code])).content.decode()
    join_url = reverse("video:join", args=[session.code])
    assert reason in page
    assert f'href="{join_url}"' not in page
    assert 'aria-disabled="true"' in page
    response = client.get(join_url)
    assert response.status_code == 403
    assert reason in response.content.decode()
    give(client, session.professional, phone="5551234", emergency_contact="Jón 555 4321")
    page = client.get(reverse("bookings:detail", args=[session.code])).content.decode()
    assert f'href="{join_url}"' in page
    assert client.get(join_url).status_code == 200


def test_the_professional_may_still_open_the_call(client, session):
    client.force_login(session.professional.user)
    assert client.get(reverse("video:join", args=[session.code])).status_code == 200


def test_the_reason_in_icelandic(client, alice, session):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    response = client.get(
        reverse("video:join", args=[session.code]),
    )
    assert "Helga Sigurðardóttir biður um upplýsingar frá þér" in response.content.decode()


def test_join_blockers_in_a_fixed_number_of_queries(asking, kind, other_professional):
    other_professional.required_details = [Detail.REASON]
    other_professional.save()
    other_kind = SessionTypeFactory(professional=other_professional)

    def rows(count: int) -> list[Booking]:
        for index in range(count):
            client = UserFactory()
            BookingFactory(
                client=client,
                session_type=kind if index % 2 else other_kind,
                starts_at=timezone.now() + timedelta(days=1, hours=index),
            )
            if index % 3 == 0:
                ClientDetails.objects.create(
                    professional=asking if index % 2 else other_professional,
                    client=client,
                    phone="5551234",
                    emergency_contact="Jón 555 4321",
                    reason="Svefn",
                )
        return list(Booking.objects.select_related("professional__user"))

    bookings = rows(30)
    with CaptureQueriesContext(connection) as queries:
        blockers = details_join_blockers(bookings)
    assert len(queries) == 1  # the details' own check (the forms' is tests/intake_responses')
    given = {(d.professional_id, d.client_id) for d in ClientDetails.objects.all()}
    assert set(blockers) == {
        b.pk for b in bookings if (b.professional_id, b.client_id) not in given
    }


# ------------------------------------------------------------------ reminders


def test_reminder_once_a_day_in_the_clients_language_and_zone(
    alice, asking, kind, django_capture_on_commit_callbacks
):
    alice.language = "is"
    alice.time_zone = "America/New_York"
    alice.save()
    starts = timezone.now().replace(microsecond=0) + timedelta(days=2)
    booking = BookingFactory(client=alice, session_type=kind, starts_at=starts)
    ClientDetails.objects.create(professional=asking, client=alice, phone="5559876")
    with django_capture_on_commit_callbacks(execute=True):
        assert details_remind_due() == 1
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert "Helga Sigurðardóttir biður um upplýsingar" in message.subject
    local = timezone.localtime(
        booking.starts_at, timezone=__import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert f"kl. {local:%H:%M}" in message.body
    assert "- Tengiliður í neyð\n" in message.body
    assert "- Símanúmer" not in message.body  # given already
    assert "5559876" not in message.body  # never the values
    assert "5559876" not in message.alternatives[0][0]
    link = re.search(r"https?://\S+/intake/details/(\S+)/", message.body)
    assert link and link.group(1) == asking.code
    # Not again the same day, by this worker or another.
    with django_capture_on_commit_callbacks(execute=True):
        assert details_remind_due() == 0
        assert details_remind_due(now=timezone.now() + timedelta(hours=23)) == 0
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert details_remind_due(now=timezone.now() + timedelta(hours=25)) == 1
    assert len(mail.outbox) == 2


def test_no_reminder_when_given_far_off_or_cancelled(
    alice, bob, asking, kind, django_capture_on_commit_callbacks
):
    BookingFactory(client=alice, session_type=kind, starts_at=timezone.now() + timedelta(days=2))
    ClientDetails.objects.create(
        professional=asking, client=alice, phone="5551234", emergency_contact="Jón 555 4321"
    )
    BookingFactory(client=bob, session_type=kind, starts_at=timezone.now() + timedelta(days=4))
    BookingFactory(
        client=bob,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=1),
        status=Booking.Status.CANCELLED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert details_remind_due() == 0
    assert mail.outbox == []


def test_reminder_in_english(alice, asking, kind, django_capture_on_commit_callbacks):
    BookingFactory(client=alice, session_type=kind, starts_at=timezone.now() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        details_remind_due()
    [message] = mail.outbox
    assert "asks for your details before your session" in message.subject
    assert "- Phone number\n- Emergency contact" in message.body
    assert "Give your details" in message.alternatives[0][0]


def test_the_periodic_command_runs_the_reminders(
    alice, asking, kind, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    BookingFactory(client=alice, session_type=kind, starts_at=timezone.now() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("periodic")
    assert [m.to for m in mail.outbox] == [[alice.email]]


@pytest.mark.django_db(transaction=True)
@requires_postgres
def test_two_workers_send_one_reminder(alice, asking, kind):
    BookingFactory(client=alice, session_type=kind, starts_at=timezone.now() + timedelta(days=1))
    results = race([details_remind_due, details_remind_due])
    assert sorted(results) == [0, 1]
    assert ClientDetails.objects.get(client=alice).reminded_at is not None


# ------------------------------------------------------------------ who sees them


def test_nobody_else_sees_the_details(client, alice, session, hr, hub, other_professional):
    ClientDetails.objects.create(
        professional=session.professional,
        client=alice,
        phone="5557777",
        emergency_contact="Leyndó 555 8888",
    )
    for person in (other_professional.user, hr):
        client.force_login(person)
        assert (
            client.get(reverse("dashboard:practice_client", args=[alice.code])).status_code == 404
        )
        assert client.get(reverse("bookings:detail", args=[session.code])).status_code == 404
        for url in (reverse("dashboard:home"), reverse("hubs:admin", args=[hub.code])):
            response = client.get(url)
            assert "5557777" not in response.content.decode()
    assert not admin.site.is_registered(ClientDetails)


def test_deleted_clients_details_stay_with_the_professional(client, alice, asking, kind):
    BookingFactory(client=alice, session_type=kind, starts_at=timezone.now() - timedelta(days=3))
    ClientDetails.objects.create(
        professional=asking, client=alice, phone="5551234", emergency_contact="Jón 555 4321"
    )
    account_delete(user=alice)
    details = ClientDetails.objects.get(professional=asking)
    assert details.phone == "5551234"
    # The professional still has them on the client's page.
    client.force_login(asking.user)
    page = client.get(reverse("dashboard:practice_client", args=[alice.code]))
    assert "5551234" in page.content.decode()
    # The erased account reaches nothing: it cannot sign in, and the form is gone for it.
    client.logout()
    alice.refresh_from_db()
    assert not alice.is_active and not alice.has_usable_password()
    client.force_login(alice)
    assert "5551234" not in client.get(form_url(asking)).content.decode()


def test_the_demo_client_has_given_the_details_the_demo_professional_asks(settings, db):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    soon = Booking.objects.select_related("professional__user").get(code="demo-soon")
    assert soon.professional.required_details == ["phone", "emergency_contact"]
    assert not join_blockers([soon])


def test_an_accepted_invitation_lands_on_the_session_page_which_asks(client, alice, asking, kind):
    from tengja.bookings.services import booking_invite

    booking = booking_invite(
        professional=asking,
        session_type=kind,
        starts_at=(timezone.now() + timedelta(days=2)).replace(microsecond=0),
        email=alice.email,
    )
    client.force_login(alice)
    text = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert "Before your session, Helga Sigurðardóttir asks for:" in text
    assert f"{form_url(asking)}?next=" in text
