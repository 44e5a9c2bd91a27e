from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.accounts.services import AccountError, user_sign_up
from tengja.bookings.events import BookingEvent, Kind, publish
from tengja.bookings.models import CANCEL_NOTE_MAX, Booking, Invitation
from tengja.bookings.slots import free_to_move_to
from tengja.lib.tokens import token_hash, token_make
from tengja.professionals.models import Professional, SessionType


class BookingError(Exception):
    """A refusal with a message meant for the person who asked."""


class InvitationProblem(Exception):
    """Why an invitation link cannot be used; `kind` picks the page that explains it."""

    class Kind(models.TextChoices):  # TextChoices, so templates can compare with it
        INVALID = "invalid"
        CANCELLED = "cancelled"
        EXPIRED = "expired"
        USED = "used"
        HAS_ACCOUNT = "has_account"
        MISMATCH = "mismatch"

    def __init__(self, kind: Kind, invitation: Invitation | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.invitation = invitation


def _lock_professional(professional: Professional) -> Professional:
    # One writer at a time per professional, so two requests cannot both see a
    # slot as free. (On SQLite the write lock taken at BEGIN does the same.)
    return Professional.objects.select_for_update().get(pk=professional.pk)


def _lock_bookable(professional: Professional) -> None:
    """Lock the professional for a new booking; refuse if an operator has paused
    them (read under the lock, so a pause and a booking never cross)."""
    if not _lock_professional(professional).is_active:
        raise BookingError(_("This professional is not taking new bookings."))


def _overlaps(
    *, professional: Professional, starts_at: datetime, ends_at: datetime, exclude: int | None
) -> bool:
    clashes = Booking.objects.filter(
        professional=professional,
        status=Booking.Status.CONFIRMED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude)
    return clashes.exists()


def _save_without_overlap(booking: Booking, *, fields: list[str] | None = None) -> None:
    """Save, or BookingError if the professional is busy then (checked twice: here,
    and on PostgreSQL by the exclusion constraint should anything slip past)."""
    if _overlaps(
        professional=booking.professional,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        exclude=booking.pk,
    ):
        raise BookingError(_("That time overlaps another session. Choose another time."))
    try:
        with transaction.atomic():
            booking.save(update_fields=fields)
    except IntegrityError as error:
        if "booking_no_overlap" in str(error):
            raise BookingError(
                _("That time overlaps another session. Choose another time.")
            ) from None
        raise


def session_link(invitation_token: str) -> str:
    return settings.SITE_URL + reverse("bookings:invitation", kwargs={"token": invitation_token})


def invitation_link_new(*, invitation: Invitation) -> str:
    """A new link for the invitation, for the e-mail being sent now: only its hash
    is kept, and any earlier link stops working."""
    raw, hashed = token_make()
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hashed)
    return session_link(raw)


def booking_recipient(booking: Booking, role: str) -> tuple[str, str, str]:
    """Address, language and time zone of the booking's client or professional;
    for a client without an account yet, the invited address in the professional's."""
    pro = booking.professional.user
    if role == Booking.Role.PROFESSIONAL:
        return pro.email, pro.language, pro.time_zone
    if booking.client is not None:
        return booking.client.email, booking.client.language, booking.client.time_zone
    return booking.invitation.email, pro.language, pro.time_zone


def booking_invite(
    *,
    professional: Professional,
    session_type: SessionType,
    starts_at: datetime,
    email: str,
) -> Booking:
    """Book a session with the client at `email`.

    An existing client is attached at once; a new address gets a link that
    creates the account (see invitation_accept_new_client). The confirmation
    e-mail is the caller's to send (tengja.notifications).
    """
    email = email.strip().lower()
    now = timezone.now()
    if session_type.professional_id != professional.pk or not session_type.is_active:
        raise BookingError(_("Choose one of your session types."))
    if starts_at <= now:
        raise BookingError(_("Choose a time in the future."))
    if email == professional.user.email.lower():
        raise BookingError(_("You cannot invite yourself."))

    with transaction.atomic():
        _lock_bookable(professional)
        client = User.objects.filter(email=email).first()
        booking = Booking(
            professional=professional,
            client=client,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=starts_at + session_type.duration,
            price_amount=session_type.price_amount,
            currency=session_type.currency,
            location=session_type.location,
            cancellation_notice_hours=session_type.cancellation_notice_hours,
        )
        _save_without_overlap(booking)
        unusable_hash = token_make()[1]  # the link's token is made when it is sent
        Invitation.objects.create(
            booking=booking,
            email=email,
            token_hash=unusable_hash,
            created_at=now,
            expires_at=booking.ends_at,
            # Accepted when the client opens it, account or not: until then the
            # professional sees the address only (Booking.client_is_known).
            accepted_at=None,
        )
        publish(BookingEvent(Kind.BOOKED, booking, by=Booking.Role.PROFESSIONAL))
    return booking


def booking_create(
    *,
    professional: Professional,
    session_type: SessionType,
    starts_at: datetime,
    client: User,
    paid_with: Booking.PaidWith,
    credits: int | None = None,
    cancellation_notice_hours: int | None = None,
) -> Booking:
    """A session the client books themselves (in a Wellbeing Hub)."""
    if session_type.professional_id != professional.pk or not session_type.is_active:
        raise BookingError(_("This session type is not offered."))
    if starts_at <= timezone.now():
        raise BookingError(_("Choose a time in the future."))
    with transaction.atomic():
        _lock_bookable(professional)
        booking = Booking(
            professional=professional,
            client=client,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=starts_at + session_type.duration,
            price_amount=session_type.price_amount,
            currency=session_type.currency,
            location=session_type.location,
            cancellation_notice_hours=session_type.cancellation_notice_hours
            if cancellation_notice_hours is None
            else cancellation_notice_hours,
            paid_with=paid_with,
            credits=credits if paid_with == Booking.PaidWith.CREDITS else None,
        )
        _save_without_overlap(booking)
        publish(BookingEvent(Kind.BOOKED, booking, by=Booking.Role.CLIENT))
    return booking


def invitation_resend(*, booking: Booking) -> None:
    """Send the invitation again, with a new link (the old one stops working)."""
    if booking.is_cancelled or booking.is_past():
        raise BookingError(_("This session is over or cancelled; there is nothing to resend."))
    with transaction.atomic():
        publish(BookingEvent(Kind.INVITATION_RESENT, booking))


def invitation_for_token(*, token: str) -> Invitation:
    """The invitation a link names, or InvitationProblem saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related(
            "booking__professional__user", "booking__session_type", "booking__client"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationProblem(InvitationProblem.Kind.INVALID)
    if invitation.booking.is_cancelled:
        raise InvitationProblem(InvitationProblem.Kind.CANCELLED, invitation)
    if invitation.expires_at <= timezone.now():
        raise InvitationProblem(InvitationProblem.Kind.EXPIRED, invitation)
    return invitation


def invitation_accept_new_client(
    *, token: str, name: str, password: str, language: str, time_zone: str
) -> User:
    """Create the invited client's account and give them the booking: once."""
    with transaction.atomic():
        invitation = invitation_for_token(token=token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationProblem(InvitationProblem.Kind.USED, invitation)
        if User.objects.filter(email=invitation.email).exists():
            raise InvitationProblem(InvitationProblem.Kind.HAS_ACCOUNT, invitation)
        try:
            user = user_sign_up(
                name=name,
                email=invitation.email,
                password=password,
                language=language,
                time_zone=time_zone,
            )
        except AccountError:
            raise InvitationProblem(InvitationProblem.Kind.HAS_ACCOUNT, invitation) from None
        Booking.objects.filter(pk=invitation.booking_id, client__isnull=True).update(client=user)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        booking = invitation.booking
        booking.client = user
    return user


def invitation_accept_existing(*, token: str, user: User) -> Booking:
    """The signed-in user opens their link: the booking is theirs, or a mismatch."""
    with transaction.atomic():
        invitation = invitation_for_token(token=token)
        booking = invitation.booking
        if invitation.email.lower() != user.email.lower() and booking.client_id != user.pk:
            raise InvitationProblem(InvitationProblem.Kind.MISMATCH, invitation)
        if booking.client_id is None:
            Booking.objects.filter(pk=booking.pk, client__isnull=True).update(client=user)
            booking.client = user
        if invitation.accepted_at is None:
            Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    return booking


def invitation_seen(*, booking: Booking) -> None:
    """The client has their session in front of them (its page, a change they
    make): the professional's invitation counts as accepted, and from now on the
    professional sees who the client is (Booking.client_is_known)."""
    if booking.client_id is None or booking.client_is_known:
        return  # no account yet; or accepted, or booked in a hub: nothing to write
    now = timezone.now()
    accepted = Invitation.objects.filter(booking=booking, accepted_at__isnull=True).update(
        accepted_at=now
    )
    if accepted:
        booking.invitation.accepted_at = now  # what the caller shows next names them too


def booking_cancel(
    *,
    booking: Booking,
    by: User,
    reason: str | None = None,
    note: str = "",
    charge: bool = False,
    tell: bool = True,
) -> Booking:
    """Cancel for the client or the professional, and free the slot.

    A client's cancellation within the notice period is late: the session stays
    payable (the client gives no reason, note or choices: BY_CLIENT, told).

    The professional records why (`reason`, by default their own cancellation),
    with a private `note`, and whether the client is told (`tell`). For a late
    cancellation by the client or a no-show of a session paid by bill they may
    `charge` for it under their cancellation policy: the bill stays payable
    (late_cancellation), else it is voided or refunded as for any cancellation.
    A credit session's credit is kept by the hub only for a cancellation by the
    client within its 24 hours' notice or a no-show, whatever the professional
    chooses; their own cancellation, another reason or a mistake (void) gives it
    back. When they may, and which reasons, is Booking.cancel_refusal.
    """
    now = timezone.now()
    Reason = Booking.CancelReason
    note = note.strip()
    if len(note) > CANCEL_NOTE_MAX:
        raise BookingError(
            _("Keep the note to %(max)s characters or fewer.") % {"max": CANCEL_NOTE_MAX}
        )
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("professional__user", "client", "session_type")
            .get(pk=booking.pk)
        )
        role = booking.role_of(by)
        if role == Booking.Role.CLIENT:
            if reason not in (None, Reason.BY_CLIENT) or note or charge or not tell:
                raise BookingError(_("Only the professional records a reason for cancelling."))
            reason = Reason.BY_CLIENT
        elif role == Booking.Role.PROFESSIONAL:
            reason = reason or Reason.BY_PROFESSIONAL
        refusal = booking.cancel_refusal(role, now, reason)
        if refusal:
            raise BookingError(refusal)
        assert role is not None and reason is not None  # cancel_refusal refused anyone else
        reason = Reason(reason)
        if role == Booking.Role.CLIENT:
            invitation_seen(booking=booking)
            late = booking.is_late_for_client(now)
        elif booking.paid_with_credits:
            if charge:
                raise BookingError(
                    _("A session paid with credits is settled by the hub's rule, not charged for.")
                )
            late = reason == Reason.NO_SHOW or (
                reason == Reason.BY_CLIENT and booking.is_late_for_client(now)
            )
        else:
            if charge and not booking.may_charge_for(reason, now):
                raise BookingError(
                    _(
                        "You can charge for a session only when the client cancelled within "
                        "the notice period or did not come."
                    )
                )
            late = charge
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = role
        booking.cancel_reason = reason
        booking.cancel_note = note
        booking.client_told = tell
        booking.late_cancellation = late
        booking.sequence += 1
        booking.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancelled_by",
                "cancel_reason",
                "cancel_note",
                "client_told",
                "late_cancellation",
                "sequence",
            ]
        )
        publish(BookingEvent(Kind.CANCELLED, booking))
    return booking


def booking_move(*, booking: Booking, by: User, starts_at: datetime) -> Booking:
    """Move a session to another time, keeping its length, bill and credit.

    Who may, and until when, is Booking.move_refusal. The professional chooses any
    future time they are free; the client one of the professional's free times
    (free_slots_to_move_to: not overlapping another of the client's sessions
    either), checked here under the locks, as a hub booking is. Moving is not a
    new booking, so a paused professional's sessions can still be moved. The
    bill is corrected and the people told by the MOVED event's subscribers.
    """
    now = timezone.now()
    with transaction.atomic():
        if booking.client_id == by.pk:
            # The client first (as deleting an account does: the person, then their
            # sessions), so two of their sessions are not moved onto one time at
            # once. NO KEY UPDATE: a booking that merely names them need not wait.
            User.objects.select_for_update(no_key=True).filter(pk=by.pk).values_list("pk").first()
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("professional__user", "client", "session_type", "invitation")
            .get(pk=booking.pk)
        )
        role = booking.role_of(by)
        refusal = booking.move_refusal(role, now)
        if refusal:
            raise BookingError(refusal)
        _lock_professional(booking.professional)
        if role == Booking.Role.CLIENT:
            _check_free_to_move_to(booking, starts_at, now)
            invitation_seen(booking=booking)
        elif starts_at <= now:
            raise BookingError(_("Choose a time in the future."))
        previous = booking.starts_at
        booking.starts_at = starts_at
        booking.ends_at = starts_at + (booking.ends_at - previous)
        booking.sequence += 1
        _save_without_overlap(booking, fields=["starts_at", "ends_at", "sequence"])
        Invitation.objects.filter(booking=booking).update(expires_at=booking.ends_at)
        publish(BookingEvent(Kind.MOVED, booking, previous_starts_at=previous, by=role))
    return booking


def _check_free_to_move_to(booking: Booking, starts_at: datetime, now: datetime) -> None:
    """Refuse a time the client may not choose: only the free times they were
    offered (read under the professional's lock, so of two clients after one
    time, the second finds it taken)."""
    if starts_at == booking.starts_at:
        raise BookingError(_("The session is already at that time. Choose another time."))
    if not free_to_move_to(booking=booking, starts_at=starts_at, now=now):
        raise BookingError(_("That time is not free. Choose one of the free times."))


def booking_mark_done(*, booking: Booking, by: User, payment_skipped_reason: str = "") -> Booking:
    """The professional marks a session that has started as done (Booking.done_refusal
    says who and when). With `payment_skipped_reason` they choose not to bill it:
    the DONE event's subscribers void its open bill (billing.on_booking_event)."""
    reason = payment_skipped_reason.strip()
    max_length = Booking._meta.get_field("payment_skipped_reason").max_length
    assert max_length is not None
    if len(reason) > max_length:
        raise BookingError(_("Say why in at most %(count)s characters.") % {"count": max_length})
    now = timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("professional__user", "client", "session_type")
            .get(pk=booking.pk)
        )
        refusal = booking.done_refusal(booking.role_of(by), now)
        if refusal:
            raise BookingError(refusal)
        booking.completed_at = now
        booking.payment_skipped_reason = reason
        booking.save(update_fields=["completed_at", "payment_skipped_reason"])
        publish(BookingEvent(Kind.DONE, booking, by=Booking.Role.PROFESSIONAL))
    return booking
