from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.accounts.services import AccountError, user_sign_up
from tengja.bookings.events import BookingEvent, Kind, publish
from tengja.bookings.models import (
    BOOKING_HORIZON,
    CANCEL_NOTE_MAX,
    SERIES_MAX,
    Booking,
    BookingSeries,
    Invitation,
)
from tengja.bookings.slots import free_to_move_to
from tengja.lib.dates import add_months
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
    refusal = _invite_refusal(
        professional=professional, session_type=session_type, starts_at=starts_at, email=email
    )
    if refusal:
        raise BookingError(refusal)

    with transaction.atomic():
        _lock_bookable(professional)
        client = User.objects.filter(email=email).first()
        booking = _invited_booking(
            professional=professional,
            session_type=session_type,
            starts_at=starts_at,
            client=client,
            email=email,
            now=now,
        )
        publish(BookingEvent(Kind.BOOKED, booking, by=Booking.Role.PROFESSIONAL))
    return booking


def _invite_refusal(
    *, professional: Professional, session_type: SessionType, starts_at: datetime, email: str
) -> str | None:
    if session_type.professional_id != professional.pk or not session_type.is_active:
        return _("Choose one of your session types.")
    if starts_at <= timezone.now():
        return _("Choose a time in the future.")
    if email == professional.user.email.lower():
        return _("You cannot invite yourself.")
    return None


def _invited_booking(
    *,
    professional: Professional,
    session_type: SessionType,
    starts_at: datetime,
    client: User | None,
    email: str,
    now: datetime,
    series: BookingSeries | None = None,
) -> Booking:
    """One invited session and its invitation, under the professional's lock."""
    booking = Booking.of_type(session_type, starts_at, client=client, series=series)
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
    return booking


# ------------------------------------------------------------------ series


class SeriesClash(BookingError):
    """Some dates of a series overlap the professional's other sessions: nothing
    was booked. `clashes` are their starts."""

    def __init__(self, clashes: list[datetime]) -> None:
        self.clashes = clashes
        super().__init__(
            _("These dates overlap other sessions of yours, so nothing was sent: %(dates)s.")
            % {"dates": "; ".join(_when(at) for at in clashes)}
        )


def _when(at: datetime) -> str:
    local = timezone.localtime(at)
    return f"{date_format(local, 'DATE_FORMAT')}, {time_format(local, 'TIME_FORMAT')}"


def series_starts(
    *,
    first: datetime,
    rule: str,
    time_zone: str,
    count: int | None = None,
    until: date | None = None,
) -> list[datetime]:
    """The starts of a series from `first`: so many (`count`), or every one on or
    before `until`, at most SERIES_MAX + 1 (one more than allowed, so the caller
    can tell a too long series) and none beyond BOOKING_HORIZON.

    Each keeps the wall-clock time of the first in `time_zone` (a weekly 10:00
    stays 10:00 across a clock change); a monthly one on the 31st falls on a
    shorter month's last day. A time a clock change skips comes out as the
    clock reads an hour on (fold=0 in zoneinfo)."""
    zone = ZoneInfo(time_zone)
    local = first.astimezone(zone).replace(tzinfo=None)
    horizon = timezone.now() + BOOKING_HORIZON
    starts: list[datetime] = []
    for index in range(SERIES_MAX + 1):
        if count is not None and index >= count:
            break
        if rule == BookingSeries.Rule.MONTHLY:
            wall = add_months(local, index)
        else:
            weeks = 2 if rule == BookingSeries.Rule.BIWEEKLY else 1
            wall = local + timedelta(weeks=weeks * index)
        if until is not None and wall.date() > until:
            break
        # Through UTC, so a time in a clock change's gap is a real instant.
        at = wall.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(zone)
        if at > horizon:
            break
        starts.append(at)
    return starts


def series_clashes(
    *,
    professional: Professional,
    duration: timedelta,
    starts: list[datetime],
    exclude: list[int] | None = None,
) -> list[datetime]:
    """Which of `starts` overlap a confirmed session of the professional (one query)."""
    if not starts:
        return []
    overlapping = Q()
    for at in starts:
        overlapping |= Q(starts_at__lt=at + duration, ends_at__gt=at)
    busy = list(
        Booking.objects.filter(
            overlapping, professional=professional, status=Booking.Status.CONFIRMED
        )
        .exclude(pk__in=exclude or [])
        .values_list("starts_at", "ends_at")
    )
    return [at for at in starts if any(s < at + duration and e > at for s, e in busy)]


def series_invite(
    *,
    professional: Professional,
    session_type: SessionType,
    starts: list[datetime],
    rule: str,
    time_zone: str,
    email: str,
    until: date | None = None,
) -> BookingSeries:
    """Book every session of a series with the client at `email`, all or none.

    Checked under the professional's lock: a date overlapping another confirmed
    session refuses the whole series (SeriesClash names them). Each session is
    its own booking (its bill, reminders and calendar event); they are published
    as one group, so the client gets one invitation listing them all, and its
    link accepts them all (invitation_accept_*)."""
    email = email.strip().lower()
    now = timezone.now()
    if not 2 <= len(starts) <= SERIES_MAX:
        raise BookingError(_("A series has from 2 to %(max)s sessions.") % {"max": SERIES_MAX})
    for starts_at in starts:
        refusal = _invite_refusal(
            professional=professional, session_type=session_type, starts_at=starts_at, email=email
        )
        if refusal:
            raise BookingError(refusal)
    with transaction.atomic():
        _lock_bookable(professional)
        clashes = series_clashes(
            professional=professional, duration=session_type.duration, starts=starts
        )
        if clashes:
            raise SeriesClash(clashes)
        client = User.objects.filter(email=email).first()
        series = BookingSeries.objects.create(
            professional=professional,
            rule=rule,
            count=len(starts),
            until=until,
            time_zone=time_zone,
        )
        bookings = [
            _invited_booking(
                professional=professional,
                session_type=session_type,
                starts_at=starts_at,
                client=client,
                email=email,
                now=now,
                series=series,
            )
            for starts_at in sorted(starts)
        ]
        group = tuple(booking.pk for booking in bookings)
        for booking in bookings:
            publish(BookingEvent(Kind.BOOKED, booking, by=Booking.Role.PROFESSIONAL, group=group))
    return series


def series_following(*, booking: Booking) -> list[Booking]:
    """This session and the series' later ones still confirmed, in order."""
    if booking.series_id is None:
        return [booking]
    return list(
        Booking.objects.filter(
            series_id=booking.series_id,
            starts_at__gte=booking.starts_at,
            status=Booking.Status.CONFIRMED,
        )
        .select_related("professional__user", "client", "session_type", "invitation")
        .order_by("starts_at")
    )


def series_cancel_following(*, booking: Booking, by: User) -> tuple[list[Booking], list[Booking]]:
    """Cancel this session and the series' later ones: (cancelled, not changed).

    The client cancels only those still outside their notice period (a late
    cancellation is one they make on its own page, warned of its cost); the
    others, and any the person may not cancel, are left as they are. One
    transaction, each through booking_cancel (bills, credits), told in one
    e-mail (the group's)."""
    now = timezone.now()
    role = booking.role_of(by)
    following = series_following(booking=booking)
    chosen: list[Booking] = []
    kept: list[Booking] = []
    for one in following:
        refused = one.cancel_refusal(role, now) or (
            role == Booking.Role.CLIENT and one.is_late_for_client(now)
        )
        (kept if refused else chosen).append(one)
    if not chosen:
        raise BookingError(_("None of these sessions can be cancelled here now."))
    group = tuple(one.pk for one in chosen)
    with transaction.atomic():
        cancelled = [booking_cancel(booking=one, by=by, group=group) for one in chosen]
    return cancelled, kept


def series_move_following(
    *, booking: Booking, by: User, starts_at: datetime
) -> tuple[list[Booking], list[Booking]]:
    """Move this session to `starts_at` and each later one of its series by the
    same change of wall-clock time (in the series' zone, so a weekly 10:00 stays
    a weekly 10:00 across a clock change): (moved, not changed).

    The client moves only those they may move themselves now (outside the notice
    period, to free times). Each goes through booking_move; all or none: one
    clash refuses the whole change (BookingError naming the date)."""
    now = timezone.now()
    role = booking.role_of(by)
    if booking.move_refusal(role, now):
        raise BookingError(booking.move_refusal(role, now))
    zone = ZoneInfo(booking.series.time_zone if booking.series else by.time_zone)
    shift = starts_at.astimezone(zone).replace(tzinfo=None) - booking.starts_at.astimezone(
        zone
    ).replace(tzinfo=None)
    if not shift:
        raise BookingError(_("The session is already at that time. Choose another time."))
    following = series_following(booking=booking)
    chosen = [one for one in following if one.move_refusal(role, now) is None]
    kept = [one for one in following if one not in chosen]
    plan = {
        one.pk: (
            (one.starts_at.astimezone(zone).replace(tzinfo=None) + shift)
            .replace(tzinfo=zone)
            .astimezone(ZoneInfo("UTC"))
        )
        for one in chosen
    }
    if any(at - now > BOOKING_HORIZON for at in plan.values()):
        raise BookingError(_("Choose a time within the next two years."))
    # Later first when moving later (earlier first when earlier), so no session
    # is moved onto one of its own series not moved yet.
    order = sorted(chosen, key=lambda one: one.starts_at, reverse=shift > timedelta())
    group = tuple(one.pk for one in chosen)
    moved = []
    with transaction.atomic():
        for one in order:
            try:
                moved.append(booking_move(booking=one, by=by, starts_at=plan[one.pk], group=group))
            except BookingError as error:
                raise BookingError(
                    _("%(when)s: %(error)s Nothing was moved.")
                    % {"when": _when(plan[one.pk]), "error": error}
                ) from None
    return sorted(moved, key=lambda one: one.starts_at), kept


def booking_create(
    *,
    professional: Professional,
    session_type: SessionType,
    starts_at: datetime,
    client: User,
    paid_with: Booking.PaidWith,
    credits: int | None = None,
    cancellation_notice_hours: int | None = None,
    by: Booking.Role = Booking.Role.CLIENT,
) -> Booking:
    """A session the client books themselves (in a Wellbeing Hub), or that their
    professional books for them by accepting their request (`by` PROFESSIONAL:
    then the client is the one told)."""
    if session_type.professional_id != professional.pk or not session_type.is_active:
        raise BookingError(_("This session type is not offered."))
    if starts_at <= timezone.now():
        raise BookingError(_("Choose a time in the future."))
    with transaction.atomic():
        _lock_bookable(professional)
        notice = (
            {}
            if cancellation_notice_hours is None
            else {"cancellation_notice_hours": cancellation_notice_hours}
        )
        booking = Booking.of_type(
            session_type,
            starts_at,
            client=client,
            paid_with=paid_with,
            credits=credits if paid_with == Booking.PaidWith.CREDITS else None,
            **notice,
        )
        _save_without_overlap(booking)
        publish(BookingEvent(Kind.BOOKED, booking, by=by))
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
    if invitation.booking.series_id is not None and _series_still_on(invitation):
        # One invitation for the series: its link holds while any session is to come.
        return invitation
    if invitation.booking.is_cancelled:
        raise InvitationProblem(InvitationProblem.Kind.CANCELLED, invitation)
    if invitation.expires_at <= timezone.now():
        raise InvitationProblem(InvitationProblem.Kind.EXPIRED, invitation)
    return invitation


def _series_still_on(invitation: Invitation) -> bool:
    return Invitation.objects.filter(
        booking__series_id=invitation.booking.series_id,
        email=invitation.email,
        booking__status=Booking.Status.CONFIRMED,
        expires_at__gt=timezone.now(),
    ).exists()


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
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        booking = invitation.booking
        _series_accept(booking=booking, invitation=invitation, user=user)
        booking.client = user
    return user


def invitation_accept_existing(*, token: str, user: User) -> Booking:
    """The signed-in user opens their link: the booking is theirs, or a mismatch."""
    with transaction.atomic():
        invitation = invitation_for_token(token=token)
        booking = invitation.booking
        if invitation.email.lower() != user.email.lower() and booking.client_id != user.pk:
            raise InvitationProblem(InvitationProblem.Kind.MISMATCH, invitation)
        _series_accept(booking=booking, invitation=invitation, user=user)
        if booking.client_id is None:
            booking.client = user
    return booking


def _series_accept(*, booking: Booking, invitation: Invitation, user: User) -> None:
    """The client takes the session, and with it every session of its series
    invited to the same address: one invitation for the whole series."""
    bookings = Booking.objects.filter(pk=booking.pk)
    if booking.series_id is not None:
        bookings = Booking.objects.filter(
            series_id=booking.series_id, invitation__email=invitation.email
        )
    bookings.filter(client__isnull=True).update(client=user)
    Invitation.objects.filter(booking__in=bookings, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )


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
    if booking.series_id is not None:
        # One invitation for the series: seeing one of its sessions accepts them all.
        Invitation.objects.filter(
            booking__series_id=booking.series_id,
            booking__client_id=booking.client_id,
            accepted_at__isnull=True,
        ).update(accepted_at=now)
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
    group: tuple[int, ...] = (),
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
        publish(BookingEvent(Kind.CANCELLED, booking, group=group))
    return booking


def booking_move(
    *, booking: Booking, by: User, starts_at: datetime, group: tuple[int, ...] = ()
) -> Booking:
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
        publish(
            BookingEvent(Kind.MOVED, booking, previous_starts_at=previous, by=role, group=group)
        )
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
