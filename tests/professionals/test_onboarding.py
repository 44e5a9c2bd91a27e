"""An operator brings a professional on board: invites, the professional joins
through the link (once), a checklist guides them; an operator can pause and
resume their bookings."""

import re
from datetime import time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.services import BookingError, booking_cancel, booking_invite
from tengja.bookings.slots import free_slots
from tengja.hubs.selectors import offers_for_browse
from tengja.hubs.services import HubError, hub_book, hub_offer_ask
from tengja.lib.tokens import token_hash
from tengja.professionals.models import (
    Professional,
    ProfessionalInvitation,
    SessionType,
)
from tengja.professionals.services import (
    JoinProblem,
    availability_window_add,
    professional_invitation_for_token,
    professional_profile_update,
    professional_set_active,
    session_type_save,
)
from tests.factories import PASSWORD, HubFactory, SessionTypeFactory, UserFactory


@pytest.fixture
def operator(db):
    return UserFactory(email="ops@tengja.test", name="Olga Operator", is_staff=True)


@pytest.fixture
def staff_client(client, operator):
    client.force_login(operator)
    return client


def invite(client, email, capture, language="en"):
    with capture(execute=True):
        return client.post(
            reverse("professionals:staff_invite"), {"email": email, "language": language}
        )


def join_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/professionals/join/[^/\s]+/)", message.body).group(1)


def test_only_operators_see_the_staff_page(client, alice, professional, operator):
    url = reverse("professionals:staff")
    assert client.get(url).status_code == 302
    for person in (alice, professional.user):
        client.force_login(person)
        assert client.get(url).status_code == 404
        assert client.post(reverse("professionals:staff_invite"), {}).status_code == 404
    client.force_login(operator)
    assert client.get(url).status_code == 200


def test_an_operator_invites_by_email_once_with_a_hashed_single_use_link(
    staff_client, django_capture_on_commit_callbacks, client
):
    response = invite(staff_client, "New.Pro@Example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new.pro@example.com"]
    assert "offer video sessions" in message.body
    assert dict(message.message().items())["Auto-Submitted"] == "auto-generated"
    path = join_path(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = ProfessionalInvitation.objects.get()
    assert invitation.token_hash == token_hash(token)
    assert token not in str(ProfessionalInvitation.objects.values().get())
    page = staff_client.get(reverse("professionals:staff")).content.decode()
    assert "new.pro@example.com" in page and "Send again" in page

    staff_client.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert "new.pro@example.com" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            path,
            {
                "name": "Nýr Fagaðili",
                "password": "a long enough passphrase",
                "accept_terms": "on",
                "time_zone": "Europe/Oslo",
            },
        )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home")
    user = User.objects.get(email="new.pro@example.com")
    assert user.professional.is_active and user.terms_accepted_at is not None
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.professional == user.professional
    # Home guides the new professional.
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "Get ready to take bookings" in home
    # The link worked once.
    client.logout()
    assert client.get(path).status_code == 400


def test_a_resent_invitation_has_a_new_link_and_the_old_one_stops(
    staff_client, django_capture_on_commit_callbacks
):
    invite(staff_client, "pro@example.com", django_capture_on_commit_callbacks)
    old = join_path(mail.outbox[-1])
    invitation = ProfessionalInvitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("professionals:staff_invitation_resend", args=[invitation.code]))
    new = join_path(mail.outbox[-1])
    assert new != old
    assert staff_client.get(old).status_code == 400
    # Inviting the address again sends it again, rather than a second invitation.
    invite(staff_client, "pro@example.com", django_capture_on_commit_callbacks)
    assert ProfessionalInvitation.objects.count() == 1
    assert len(mail.outbox) == 3


def test_a_withdrawn_or_expired_invitation_cannot_be_used(
    staff_client, django_capture_on_commit_callbacks, settings
):
    invite(staff_client, "pro@example.com", django_capture_on_commit_callbacks)
    token = join_path(mail.outbox[-1]).rstrip("/").rsplit("/", 1)[1]
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        with pytest.raises(JoinProblem) as problem:
            professional_invitation_for_token(token=token)
        assert problem.value.kind == JoinProblem.Kind.EXPIRED
    invitation = ProfessionalInvitation.objects.get()
    staff_client.post(reverse("professionals:staff_invitation_revoke", args=[invitation.code]))
    with pytest.raises(JoinProblem) as problem:
        professional_invitation_for_token(token=token)
    assert problem.value.kind == JoinProblem.Kind.REVOKED
    staff_client.logout()
    body = staff_client.get(join_path(mail.outbox[-1])).content.decode()
    assert "withdrawn" in body


def test_an_existing_client_signs_in_and_accepts(
    client, alice, staff_client, django_capture_on_commit_callbacks
):
    invite(staff_client, alice.email, django_capture_on_commit_callbacks)
    path = join_path(mail.outbox[-1])
    staff_client.logout()
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    client.force_login(alice)
    assert "Accept the invitation" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 302
    assert Professional.objects.get(user=alice).is_active


def test_someone_else_signed_in_is_refused(
    client, bob, staff_client, django_capture_on_commit_callbacks
):
    invite(staff_client, "pro@example.com", django_capture_on_commit_callbacks)
    path = join_path(mail.outbox[-1])
    client.force_login(bob)
    response = client.post(path)
    assert response.status_code == 400
    assert "This invitation is for pro@example.com" in response.content.decode()
    assert not Professional.objects.filter(user=bob).exists()


def test_an_existing_professional_cannot_be_invited(
    staff_client, professional, django_capture_on_commit_callbacks
):
    response = invite(staff_client, professional.user.email, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "already a professional" in response.content.decode()
    assert mail.outbox == []


def test_the_checklist_shows_until_profile_type_and_hours_are_done(
    client, db, django_assert_max_num_queries
):
    user = UserFactory(email="new@example.com")
    professional = Professional.objects.create(user=user, title="")
    client.force_login(user)
    home = reverse("dashboard:home")
    assert "Get ready to take bookings" in client.get(home).content.decode()
    # Each step through the service its page uses.
    professional_profile_update(
        professional=professional, title="Coach", bio="I help.", languages=[], specialties=[]
    )
    session_type_save(
        professional=professional,
        session_type=None,
        name="Talk",
        duration_minutes=30,
        price_amount=0,
        currency="ISK",
        mode=SessionType.Mode.VIDEO,
        cancellation_notice_hours=24,
    )
    assert "Get ready to take bookings" in client.get(home).content.decode()
    availability_window_add(professional=professional, weekday=0, starts=time(9), ends=time(12))
    with django_assert_max_num_queries(10):  # the same as any Home: no extra query
        body = client.get(home).content.decode()
    assert "Get ready to take bookings" not in body  # the picture is optional


def test_the_staff_page_query_count_is_flat(staff_client, django_assert_max_num_queries):
    def page() -> None:
        with django_assert_max_num_queries(7):
            assert staff_client.get(reverse("professionals:staff")).status_code == 200

    page()
    for i in range(30):
        SessionTypeFactory(professional__user__email=f"p{i}@example.com")
        ProfessionalInvitation.objects.create(
            email=f"i{i}@example.com", token_hash=f"{i}", expires_at=timezone.now()
        )
    page()


# ------------------------------------------------------------------ pausing


@pytest.fixture
def paused(offer):
    professional_set_active(professional=offer.professional, active=False)
    return offer.professional


def test_a_paused_professional_takes_no_invitation(professional, staff_client, alice):
    kind = SessionTypeFactory(professional=professional)
    staff_client.post(reverse("professionals:staff_deactivate", args=[professional.code]))
    professional.refresh_from_db()
    assert not professional.is_active and professional.deactivated_at
    with pytest.raises(BookingError, match="not taking new bookings"):
        booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=timezone.now() + timedelta(days=2),
            email=alice.email,
        )
    staff_client.force_login(professional.user)
    page = staff_client.get(reverse("bookings:invite")).content.decode()
    assert "paused your bookings" in page


def test_a_paused_professional_leaves_the_hub_and_its_bookings_refuse(paused, offer, member, hr):
    assert offers_for_browse(hub=offer.hub) == []
    slot = free_slots(
        professionals=[paused],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=7,
    )[paused.pk][0]
    with pytest.raises(HubError, match="not taking new bookings"):
        hub_book(membership=member, offer=offer, starts_at=slot.starts_at)
    # Asking a paused professional to join another hub asks nobody.
    other = HubFactory()
    hub_offer_ask(hub=other, professional_email=paused.user.email)
    assert not other.offers.exists()


def test_the_hub_offer_page_of_a_paused_professional_is_gone(client, paused, offer, member):
    client.force_login(member.user)
    url = reverse("hubs:offer", args=[offer.hub.code, paused.code])
    assert client.get(url).status_code == 404


def test_sessions_booked_before_the_pause_stay_and_can_be_cancelled(
    professional, alice, client, django_capture_on_commit_callbacks
):
    kind = SessionTypeFactory(professional=professional)
    booking = booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=2),
        email=alice.email,
    )
    professional_set_active(professional=professional, active=False)
    client.force_login(alice)
    assert client.get(reverse("bookings:detail", args=[booking.code])).status_code == 200
    booking_cancel(booking=booking, by=alice)
    # Resumed, they take bookings again.
    professional_set_active(professional=professional, active=True)
    booking_invite(
        professional=professional,
        session_type=kind,
        starts_at=timezone.now() + timedelta(days=3),
        email=alice.email,
    )


def test_the_operator_resumes_a_paused_professional(staff_client, paused):
    response = staff_client.post(reverse("professionals:staff_reactivate", args=[paused.code]))
    assert response.status_code == 302
    paused.refresh_from_db()
    assert paused.is_active and paused.deactivated_at is None


def test_the_password_is_checked_like_any_sign_up(
    client, staff_client, django_capture_on_commit_callbacks
):
    invite(staff_client, "pro@example.com", django_capture_on_commit_callbacks)
    path = join_path(mail.outbox[-1])
    staff_client.logout()
    response = client.post(path, {"name": "X", "password": "123", "accept_terms": "on"})
    assert response.status_code == 400
    assert not User.objects.filter(email="pro@example.com").exists()
    assert PASSWORD  # the factories' password is not the one used here
