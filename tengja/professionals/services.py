"""A professional's own settings (session types, public profile, weekly hours,
extra hours, time off and calendar rules), and how professionals come and go: an operator invites one, the
invitation is accepted once, an operator pauses or resumes their bookings.
Each write is one function; views only parse and check access."""

from datetime import date, time, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.accounts.services import AccountError, user_sign_up
from tengja.lib.emails import email_deliver_now, email_render
from tengja.lib.tokens import token_hash, token_make
from tengja.professionals.models import (
    AvailabilityException,
    Language,
    Professional,
    ProfessionalInvitation,
    SessionType,
    Specialty,
    WeeklyAvailability,
)


def session_type_save(
    *,
    professional: Professional,
    session_type: SessionType | None,
    name: str,
    duration_minutes: int,
    price_amount: int,
    currency: str,
    mode: str,
    cancellation_notice_hours: int,
    address: str = "",
    booking_mode: str | None = None,
    existing_clients_only: bool | None = None,
) -> SessionType:
    """Create a session type, or change one. Booked sessions keep their price and
    their place (Booking.location): a new address applies to sessions booked from
    now on, and the professional tells the clients of booked ones themselves."""
    session_type = session_type or SessionType(professional=professional)
    session_type.name = name
    session_type.duration_minutes = duration_minutes
    session_type.price_amount = price_amount
    session_type.currency = currency
    session_type.mode = mode
    # A video type has no address (an on-site one must: a database constraint).
    session_type.address = address if mode == SessionType.Mode.IN_PERSON else ""
    session_type.cancellation_notice_hours = cancellation_notice_hours
    # How it is offered on the booking page; left as it is when not given.
    if booking_mode is not None:
        session_type.booking_mode = booking_mode
    if existing_clients_only is not None:
        session_type.existing_clients_only = existing_clients_only
    session_type.save()
    return session_type


def session_type_set_offered(*, session_type: SessionType, offered: bool) -> None:
    """Stop offering a session type (nobody can be invited to it), or offer it again."""
    session_type.is_active = offered
    session_type.save(update_fields=["is_active"])


def professional_profile_update(
    *,
    professional: Professional,
    title: str,
    bio: str,
    languages: list[Language],
    specialties: list[Specialty],
    contact_email: str = "",
    policy_en: str = "",
    policy_is: str = "",
) -> None:
    with transaction.atomic():
        professional.title = title
        professional.bio = bio
        professional.contact_email = contact_email
        professional.policy_en = policy_en
        professional.policy_is = policy_is
        professional.save(update_fields=["title", "bio", "contact_email", "policy_en", "policy_is"])
        professional.languages.set(languages)
        professional.specialties.set(specialties)


def _calendar_changed(professional: Professional) -> None:
    """A new calendar version: the next free times kept under the old one are
    no longer read (hubs.selectors.next_free_key)."""
    Professional.objects.filter(pk=professional.pk).update(
        calendar_version=models.F("calendar_version") + 1
    )


def availability_window_add(
    *, professional: Professional, weekday: int, starts: time, ends: time
) -> WeeklyAvailability:
    with transaction.atomic():
        window = WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=starts, ends=ends
        )
        _calendar_changed(professional)
    return window


def availability_window_remove(*, professional: Professional, code: str) -> None:
    with transaction.atomic():
        professional.weekly_availability.filter(code=code).delete()
        _calendar_changed(professional)


def availability_exception_add(
    *,
    professional: Professional,
    date: date,
    kind: str,
    starts: time | None,
    ends: time | None,
    ends_on: date | None = None,
    label: str = "",
    repeats_weekly: bool = False,
    repeat_until: date | None = None,
) -> AvailabilityException:
    """Extra hours on a date, or time off (a block; see AvailabilityException)."""
    with transaction.atomic():
        exception = AvailabilityException.objects.create(
            professional=professional,
            date=date,
            kind=kind,
            starts=starts,
            ends=ends,
            ends_on=ends_on if ends_on != date else None,
            label=label,
            repeats_weekly=repeats_weekly,
            repeat_until=repeat_until if repeats_weekly else None,
        )
        _calendar_changed(professional)
    return exception


def availability_exception_remove(*, exception: AvailabilityException) -> None:
    with transaction.atomic():
        exception.delete()
        _calendar_changed(exception.professional)


def calendar_rules_update(
    *,
    professional: Professional,
    bookable_days: int | None,
    min_notice_hours: int,
    buffer_minutes: int,
    slot_interval_minutes: int,
) -> None:
    """Which free times clients are offered from now on; booked sessions stay."""
    with transaction.atomic():
        professional.bookable_days = bookable_days
        professional.min_notice_hours = min_notice_hours
        professional.buffer_minutes = buffer_minutes
        professional.slot_interval_minutes = slot_interval_minutes
        professional.save(
            update_fields=[
                "bookable_days",
                "min_notice_hours",
                "buffer_minutes",
                "slot_interval_minutes",
            ]
        )
        _calendar_changed(professional)


def booking_page_update(
    *,
    professional: Professional,
    booking_page_on: bool,
    booking_slug: str,
    max_sessions_per_day: int | None,
    max_sessions_per_week: int | None,
    same_day_booking: bool,
) -> None:
    """The booking page's switch, address and limits. The free times it shows are
    kept under the calendar version, so a new limit shows at once."""
    with transaction.atomic():
        professional.booking_page_on = booking_page_on
        professional.booking_slug = booking_slug
        professional.max_sessions_per_day = max_sessions_per_day
        professional.max_sessions_per_week = max_sessions_per_week
        professional.same_day_booking = same_day_booking
        professional.save(
            update_fields=[
                *("booking_page_on", "booking_slug", "same_day_booking"),
                *("max_sessions_per_day", "max_sessions_per_week"),
            ]
        )
        _calendar_changed(professional)


def professional_business_update(
    *,
    professional: Professional,
    business_name: str,
    business_address: str,
    business_id: str,
    vat_number: str,
) -> None:
    """What new invoices print about who bills (issued ones keep what they said)."""
    professional.business_name = business_name.strip()
    professional.business_address = business_address.strip()
    professional.business_id = business_id.strip()
    professional.vat_number = vat_number.strip()
    professional.save(
        update_fields=["business_name", "business_address", "business_id", "vat_number"]
    )


# ------------------------------------------------------------------ joining


class ProfessionalError(Exception):
    """A refusal with a message meant for the operator or professional who asked."""


class JoinProblem(Exception):
    """Why an invitation link cannot be used; `kind` picks the words."""

    class Kind(models.TextChoices):
        INVALID = "invalid"
        EXPIRED = "expired"
        USED = "used"
        REVOKED = "revoked"
        HAS_ACCOUNT = "has_account"
        MISMATCH = "mismatch"

    def __init__(self, kind: "JoinProblem.Kind", invitation: ProfessionalInvitation | None = None):
        super().__init__(kind)
        self.kind = kind
        self.invitation = invitation


def professional_invite(
    *, email: str, language: str, invited_by: User | None
) -> ProfessionalInvitation:
    """Invite an address to join as a professional; an address already invited is
    sent its invitation again (with a new link)."""
    email = email.strip().lower()
    if Professional.objects.filter(user__email=email).exists():
        raise ProfessionalError(_("%(email)s is already a professional.") % {"email": email})
    with transaction.atomic():
        invitation = (
            ProfessionalInvitation.objects.select_for_update()
            .filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if invitation is None:
            now = timezone.now()
            try:
                with transaction.atomic():
                    invitation = ProfessionalInvitation.objects.create(
                        email=email,
                        language=language,
                        invited_by=invited_by,
                        token_hash=token_make()[1],  # replaced when the link is sent
                        created_at=now,
                        expires_at=now + _invitation_lifetime(),
                    )
            except IntegrityError:  # invited twice at once: the other request won
                raise ProfessionalError(
                    _("%(email)s has just been invited.") % {"email": email}
                ) from None
        else:
            invitation.language = language
            invitation.save(update_fields=["language"])
        _enqueue_invitation(invitation.pk)
    return invitation


def _invitation_lifetime() -> timedelta:
    return timedelta(seconds=settings.PROFESSIONAL_INVITATION_TIMEOUT)


def _enqueue_invitation(invitation_id: int) -> None:
    from tengja.professionals.tasks import professional_invitation_send_task as task

    transaction.on_commit(lambda: task.enqueue(invitation_id=invitation_id))


def professional_invitation_resend(*, invitation: ProfessionalInvitation) -> None:
    """Send it again: a new link that works for the full time; the old one stops."""
    if not invitation.is_open:
        raise ProfessionalError(_("This invitation has been accepted or withdrawn."))
    _enqueue_invitation(invitation.pk)


def professional_invitation_revoke(*, invitation: ProfessionalInvitation) -> None:
    ProfessionalInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def professional_invitation_send(*, invitation_id: int) -> None:
    """Make the link's token, keep only its hash, and e-mail it (a task: the token
    is never stored in the task's arguments)."""
    invitation = (
        ProfessionalInvitation.objects.filter(
            pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .first()
    )
    if invitation is None:  # accepted or withdrawn meanwhile
        return
    raw, hashed = token_make()
    now = timezone.now()
    expires_at = now + _invitation_lifetime()
    ProfessionalInvitation.objects.filter(pk=invitation.pk).update(
        token_hash=hashed, sent_at=now, expires_at=expires_at
    )
    subject, text, html = email_render(
        template="professional-invitation",
        context={
            "invitation": invitation,
            "link": settings.SITE_URL + reverse("professionals:join", kwargs={"token": raw}),
            "expires_at": expires_at,
        },
        language=invitation.language,
        time_zone=None,
    )
    email_deliver_now(to=invitation.email, subject=subject, text=text, html=html)


def professional_invitation_for_token(*, token: str) -> ProfessionalInvitation:
    """The invitation a link names, or JoinProblem saying why it cannot be used."""
    invitation = ProfessionalInvitation.objects.filter(token_hash=token_hash(token)).first()
    if invitation is None or invitation.sent_at is None:
        raise JoinProblem(JoinProblem.Kind.INVALID)
    if invitation.accepted_at is not None:
        raise JoinProblem(JoinProblem.Kind.USED, invitation)
    if invitation.revoked_at is not None:
        raise JoinProblem(JoinProblem.Kind.REVOKED, invitation)
    if invitation.expires_at <= timezone.now():
        raise JoinProblem(JoinProblem.Kind.EXPIRED, invitation)
    return invitation


def _claim(token: str) -> ProfessionalInvitation:
    invitation = professional_invitation_for_token(token=token)
    # Locked and read again: of two clicks at once, one accepts.
    invitation = ProfessionalInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise JoinProblem(JoinProblem.Kind.USED, invitation)
    return invitation


def _become_professional(invitation: ProfessionalInvitation, user: User) -> Professional:
    # The title and the rest come from the set-up checklist on their Home.
    professional, _created = Professional.objects.get_or_create(user=user, defaults={"title": ""})
    invitation.accepted_at = timezone.now()
    invitation.professional = professional
    invitation.save(update_fields=["accepted_at", "professional"])
    return professional


def professional_join_new(
    *, token: str, name: str, password: str, language: str, time_zone: str
) -> User:
    """A new account for the invited address, which is a professional from now on."""
    with transaction.atomic():
        invitation = _claim(token)
        if User.objects.filter(email=invitation.email).exists():
            raise JoinProblem(JoinProblem.Kind.HAS_ACCOUNT, invitation)
        try:
            user = user_sign_up(
                name=name,
                email=invitation.email,
                password=password,
                language=language,
                time_zone=time_zone,
            )
        except AccountError:
            raise JoinProblem(JoinProblem.Kind.HAS_ACCOUNT, invitation) from None
        _become_professional(invitation, user)
    return user


def professional_join_existing(*, token: str, user: User) -> Professional:
    """The signed-in owner of the invited address accepts: their account (a client's,
    say) is now also a professional's."""
    with transaction.atomic():
        invitation = _claim(token)
        if invitation.email.lower() != user.email.lower():
            raise JoinProblem(JoinProblem.Kind.MISMATCH, invitation)
        return _become_professional(invitation, user)


def professional_set_active(*, professional: Professional, active: bool) -> None:
    """Let a professional take new bookings again, or stop them; booked sessions
    stay. The row lock makes a booking in progress finish first."""
    with transaction.atomic():
        locked = Professional.objects.select_for_update().get(pk=professional.pk)
        locked.is_active = active
        locked.deactivated_at = None if active else timezone.now()
        locked.save(update_fields=["is_active", "deactivated_at"])
    professional.is_active, professional.deactivated_at = locked.is_active, locked.deactivated_at
