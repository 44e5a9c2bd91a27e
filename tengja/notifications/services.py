"""What clients and professionals are told, in the app and by e-mail.

The booking services tell this module of each change (tengja.bookings.events,
last of its subscribers), inside the same transaction: the in-app
notifications and the e-mails to send (Delivery rows) are written with the
change or not at all. Each Delivery is then sent by a background task
(delivery_send), exactly once.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.billing.events import BillingEvent
from tengja.billing.events import Kind as BillingKind
from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.bookings.events import BookingEvent, Kind
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_recipient, invitation_link_new
from tengja.lib.emails import email_message, email_render
from tengja.notifications.feed import preferences_for
from tengja.notifications.ics import booking_ics
from tengja.notifications.models import Delivery, Notification, Preferences

logger = logging.getLogger(__name__)

REMINDERS = {
    Delivery.Kind.REMINDER_24H: timedelta(hours=24),
    Delivery.Kind.REMINDER_1H: timedelta(hours=1),
}
# Waits after the 1st, 2nd, ... failed attempt; then the e-mail is given up on.
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
TEMPLATES = {
    # The professional's confirmation is of a booking a client made themselves.
    (Delivery.Kind.CONFIRMATION, Booking.Role.PROFESSIONAL): "booking-new",
    Delivery.Kind.CONFIRMATION: "booking-invitation",
    Delivery.Kind.CHANGE: "booking-moved",
    Delivery.Kind.CANCELLATION: "booking-cancelled",
    Delivery.Kind.REMINDER_24H: "booking-reminder",
    Delivery.Kind.REMINDER_1H: "booking-reminder",
}


# ------------------------------------------------------------------ booking events


def _deliver(
    booking: Booking, kind: Delivery.Kind, role: Booking.Role, due_at: datetime, **context
) -> Delivery:
    delivery = Delivery.objects.create(
        booking=booking, kind=kind, role=role, due_at=due_at, context=context
    )
    transaction.on_commit(lambda: _enqueue(delivery.pk, due_at))
    return delivery


def _enqueue(delivery_id: int, due_at: datetime) -> None:
    from tengja.notifications.tasks import delivery_send_task

    try:
        if delivery_send_task.get_backend().supports_defer:
            delivery_send_task.using(run_after=due_at).enqueue(delivery_id=delivery_id)
        elif due_at <= timezone.now():
            delivery_send_task.enqueue(delivery_id=delivery_id)
        # else: a backend that cannot wait leaves it to the sweep, once it is due.
    except Exception:
        # The booking stands; the sweep (deliveries_sweep) finds the e-mail later.
        logger.exception("could not enqueue delivery %s", delivery_id)


def _notify(
    user: User | None, kind: Notification.Kind, booking: Booking, invoice: Invoice | None = None
) -> None:
    if user is not None:
        Notification.objects.create(user=user, kind=kind, booking=booking, invoice=invoice)


def reminders_plan(*, booking: Booking, now: datetime | None = None) -> None:
    """(Re)plan the reminders of a booking from its start time; unsent ones go."""
    now = now or timezone.now()
    Delivery.objects.filter(
        booking=booking, kind__in=list(REMINDERS), claimed_at__isnull=True, sent_at__isnull=True
    ).delete()
    if booking.is_cancelled:
        return
    for kind, before in REMINDERS.items():
        due_at = booking.starts_at - before
        if due_at <= now:
            continue  # booked too late for this one; the confirmation says it all
        for role in Booking.Role.values:
            _deliver(booking, kind, role, due_at)


def notify_booked(*, booking: Booking, by: Booking.Role | None = None) -> None:
    """A new booking: the client gets the confirmation (with its link) and a
    notification. When the client booked it themselves (in a Wellbeing Hub), the
    professional is told too; an invitation they sent needs no telling."""
    now = timezone.now()
    _deliver(booking, Delivery.Kind.CONFIRMATION, Booking.Role.CLIENT, now)
    _notify(booking.client, Notification.Kind.BOOKED, booking)
    if by == Booking.Role.CLIENT:
        _deliver(booking, Delivery.Kind.CONFIRMATION, Booking.Role.PROFESSIONAL, now)
        _notify(booking.professional.user, Notification.Kind.BOOKED, booking)
    reminders_plan(booking=booking, now=now)


def notify_invitation_resent(*, booking: Booking) -> None:
    _deliver(booking, Delivery.Kind.CONFIRMATION, Booking.Role.CLIENT, timezone.now())


def notify_moved(
    *, booking: Booking, previous_starts_at: datetime, by: Booking.Role | None = None
) -> None:
    """The client is always e-mailed the change (their calendar's copy, from the
    confirmation, needs its update). When the client moved it themselves, the
    professional is told too, by e-mail (with the update for their calendar) and
    in the app; a move the professional made needs no telling them."""
    now = timezone.now()
    by = by or Booking.Role.PROFESSIONAL
    context = {"previous_starts_at": previous_starts_at.isoformat(), "by": by}
    _deliver(booking, Delivery.Kind.CHANGE, Booking.Role.CLIENT, now, **context)
    if by == Booking.Role.CLIENT:
        _deliver(booking, Delivery.Kind.CHANGE, Booking.Role.PROFESSIONAL, now, **context)
        _notify(booking.professional.user, Notification.Kind.MOVED, booking)
    else:
        _notify(booking.client, Notification.Kind.MOVED, booking)
    reminders_plan(booking=booking, now=now)


class Settlement(models.TextChoices):
    """What a cancellation did to the session's bill or credit, as the e-mail says it."""

    NONE = "none"  # a free session
    VOIDED = "voided"
    REFUNDED = "refunded"
    PAYABLE = "payable"  # cancelled late: the bill stays open
    PAID = "paid"  # cancelled late, already paid: the payment stays
    CREDIT_RETURNED = "credit_returned"
    CREDIT_SPENT = "credit_spent"


def cancellation_settlement(*, booking: Booking) -> Settlement:
    """Read after billing and hubs have settled the cancellation (they hear of it
    first: see tengja.bookings.events): the invoice's new status, or the credit rule
    (returned unless the client cancelled within the notice period)."""
    if booking.paid_with_credits:
        return Settlement.CREDIT_SPENT if booking.late_cancellation else Settlement.CREDIT_RETURNED
    invoice = invoice_standing(booking=booking)
    if invoice is None:
        return Settlement.NONE
    return {
        Invoice.Status.VOID: Settlement.VOIDED,
        Invoice.Status.REFUND_PENDING: Settlement.REFUNDED,  # asked of the bank after commit
        Invoice.Status.REFUNDED: Settlement.REFUNDED,
        Invoice.Status.OPEN: Settlement.PAYABLE,
        Invoice.Status.PAID: Settlement.PAID,
    }.get(invoice.status, Settlement.NONE)


def notify_cancelled(*, booking: Booking) -> None:
    """Both are e-mailed (with the calendar's CANCEL), the one who cancelled first;
    the other also in the app. The reminders that were not sent are dropped."""
    now = timezone.now()
    settlement = cancellation_settlement(booking=booking)
    by_professional = booking.cancelled_by == Booking.Role.PROFESSIONAL
    other = Booking.Role.CLIENT if by_professional else Booking.Role.PROFESSIONAL
    for role in (booking.cancelled_by, other):
        _deliver(booking, Delivery.Kind.CANCELLATION, role, now, settlement=settlement)
    _notify(
        booking.client if by_professional else booking.professional.user,
        Notification.Kind.CANCELLED,
        booking,
    )
    reminders_plan(booking=booking, now=now)


def on_booking_event(event: BookingEvent) -> None:
    """Told of each booking change (see tengja.bookings.events)."""
    if event.kind == Kind.BOOKED:
        notify_booked(booking=event.booking, by=event.by)
    elif event.kind == Kind.INVITATION_RESENT:
        notify_invitation_resent(booking=event.booking)
    elif event.kind == Kind.MOVED:
        notify_moved(
            booking=event.booking, previous_starts_at=event.previous_starts_at, by=event.by
        )
    elif event.kind == Kind.CANCELLED:
        notify_cancelled(booking=event.booking)


def on_billing_event(event: BillingEvent) -> None:
    """Told of each change to a bill (see tengja.billing.events): the client, and
    for what touches their income the professional, get an in-app notice."""
    invoice = event.invoice
    booking = invoice.booking
    client, professional = booking.client, booking.professional.user
    kinds = {
        BillingKind.PAYMENT_DUE: (Notification.Kind.PAYMENT_DUE, [client]),
        BillingKind.PAYMENT_RECEIVED: (Notification.Kind.PAYMENT_RECEIVED, [client, professional]),
        BillingKind.REFUNDED: (Notification.Kind.REFUNDED, [client]),
        BillingKind.DISPUTE_OPENED: (Notification.Kind.DISPUTE_OPENED, [client, professional]),
        BillingKind.DISPUTE_CLOSED: (Notification.Kind.DISPUTE_CLOSED, [client, professional]),
    }
    kind, people = kinds[event.kind]
    for person in people:
        _notify(person, kind, booking, invoice)


# ------------------------------------------------------------------ sending


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the row for this worker with one conditional UPDATE ("a sort of
    optimistic lock", as healthchecks' sendalerts puts it): of two workers, one wins."""
    return bool(
        Delivery.objects.filter(
            pk=delivery_id,
            claimed_at__isnull=True,
            sent_at__isnull=True,
            skipped_at__isnull=True,
            failed_at__isnull=True,
            due_at__lte=now,
        ).update(claimed_at=now)
    )


def _skip_reason(delivery: Delivery, now: datetime) -> str | None:
    booking = delivery.booking
    if delivery.kind in REMINDERS:
        if booking.is_cancelled:
            return "cancelled"
        if booking.starts_at <= now:
            return "started"  # a reminder that comes too late says nothing useful
        recipient = (
            booking.client if delivery.role == Booking.Role.CLIENT else booking.professional.user
        )
        if recipient is not None and not preferences_for(user=recipient).email_reminders:
            return "turned off"
    if delivery.kind in (Delivery.Kind.CONFIRMATION, Delivery.Kind.CHANGE) and (
        booking.is_cancelled or booking.is_past(now)
    ):
        return "no longer relevant"
    return None


def _message(delivery: Delivery) -> EmailMultiAlternatives:
    booking = delivery.booking
    role = delivery.role
    to, language, time_zone = booking_recipient(booking, role)
    for_professional = role == Booking.Role.PROFESSIONAL
    has_invitation = hasattr(booking, "invitation")
    if delivery.kind == Delivery.Kind.CONFIRMATION and has_invitation and not for_professional:
        link = invitation_link_new(invitation=booking.invitation)
    else:
        link = settings.SITE_URL + reverse("bookings:detail", kwargs={"code": booking.code})
        if booking.client is None and not for_professional:
            # Only the invitation link reaches an address without an account.
            link = invitation_link_new(invitation=booking.invitation)
    context = {
        "booking": booking,
        "professional": booking.professional.user,
        "has_account": booking.client is not None,
        "link": link,
        "for_professional": for_professional,
        # The professional sees the client's name only once the client is known to them.
        "other_name": booking.client_label if for_professional else booking.professional.user.name,
        "hours_before": int(REMINDERS.get(delivery.kind, timedelta()).total_seconds() // 3600),
        "by_name": booking.professional.user.name
        if booking.cancelled_by == Booking.Role.PROFESSIONAL
        else (booking.client_label if booking.client else ""),
        "by_recipient": booking.cancelled_by == role,
        # A change: who moved the session (before clients could, only the professional).
        "moved_by_recipient": delivery.context.get("by", Booking.Role.PROFESSIONAL) == role,
        "booked_by_client": not has_invitation,
        "settlement": delivery.context.get("settlement", Settlement.NONE),
        "Settlement": Settlement,
    }
    if "previous_starts_at" in delivery.context:
        context["previous_starts_at"] = datetime.fromisoformat(
            delivery.context["previous_starts_at"]
        )
    subject, text, html = email_render(
        template=TEMPLATES.get((delivery.kind, role), TEMPLATES[delivery.kind]),
        context=context,
        language=language,
        time_zone=time_zone,
    )
    message = email_message(
        to=to, subject=subject, text=text, html=html, local_id=f"delivery-{delivery.pk}"
    )
    if delivery.kind in (
        Delivery.Kind.CONFIRMATION,
        Delivery.Kind.CHANGE,
        Delivery.Kind.CANCELLATION,
    ):
        message.attach(
            "invite.ics",
            booking_ics(booking, role=role),
            "text/calendar; method=" + ("CANCEL" if booking.is_cancelled else "REQUEST"),
        )
    return message


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one e-mail if it is due and nobody has taken it; say what happened.

    Claim first, then send: a worker that dies after claiming never has its
    e-mail sent again (at most once); an error while sending puts the claim
    back for a later attempt, so a failure is not a loss.
    """
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "taken"
    booking_id = Delivery.objects.values_list("booking_id", flat=True).get(pk=delivery_id)
    with transaction.atomic():
        # The session is held while its e-mail is checked and sent: a cancellation
        # under way is waited for (and the reminder then skipped), and one that
        # starts now waits until the e-mail has gone. Nothing the send decides is
        # written before it; the claim above is already committed.
        Booking.objects.select_for_update(no_key=True).filter(pk=booking_id).values_list(
            "pk"
        ).first()
        delivery = Delivery.objects.select_related(
            "booking__professional__user",
            "booking__client",
            "booking__session_type",
            "booking__invitation",
        ).get(pk=delivery_id)
        return _send_claimed(delivery, now)


def _send_claimed(delivery: Delivery, now: datetime) -> str:
    reason = _skip_reason(delivery, now)
    if reason:
        Delivery.objects.filter(pk=delivery.pk).update(skipped_at=now, last_error=reason)
        return "skipped"
    try:
        message = _message(delivery)
        message.send()
    except Exception as error:  # SMTP down, a bad address, anything: retry later
        logger.warning("delivery %s failed: %s", delivery.pk, error)
        attempts = delivery.attempts + 1
        if attempts > len(BACKOFF):
            Delivery.objects.filter(pk=delivery.pk).update(
                attempts=attempts, last_error=repr(error)[:2000], failed_at=now
            )
            return "failed"
        due_at = now + BACKOFF[attempts - 1]
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, last_error=repr(error)[:2000], claimed_at=None, due_at=due_at
        )
        transaction.on_commit(lambda: _enqueue(delivery.pk, due_at))
        return "retry"
    Delivery.objects.filter(pk=delivery.pk).update(
        sent_at=timezone.now(), attempts=delivery.attempts + 1
    )
    if delivery.kind in REMINDERS and delivery.role == Booking.Role.CLIENT:
        _notify(delivery.booking.client, Notification.Kind.UPCOMING, delivery.booking)
    return "sent"


def deliveries_sweep(
    *, now: datetime | None = None, grace: timedelta = timedelta(minutes=2)
) -> int:
    """Enqueue again every e-mail that is overdue and untaken: its task may have
    been lost (a worker killed mid-task, a failed enqueue). Claiming makes a
    second task for the same row harmless. Returns how many were enqueued."""
    now = now or timezone.now()
    overdue = Delivery.objects.filter(
        claimed_at__isnull=True,
        sent_at__isnull=True,
        skipped_at__isnull=True,
        failed_at__isnull=True,
        due_at__lte=now - grace,
    ).values_list("pk", "due_at")
    count = 0
    for delivery_id, due_at in overdue.iterator():
        _enqueue(delivery_id, due_at)
        count += 1
    unconfirmed = Delivery.objects.filter(
        claimed_at__lte=now - timedelta(minutes=15),
        sent_at__isnull=True,
        skipped_at__isnull=True,
        failed_at__isnull=True,
    ).count()
    if unconfirmed:
        # A worker died between claiming and recording: sent or not, it is not resent.
        logger.warning("%s deliveries were claimed but never confirmed", unconfirmed)
    return count


# ------------------------------------------------------------------ in-app list


def notifications_mark_read(*, user: User, code: str | None = None) -> int:
    """Mark one (by code) or all of the user's notifications read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if code is not None:
        unread = unread.filter(code=code)
    return unread.update(read_at=timezone.now())


def preferences_update(*, user: User, email_reminders: bool) -> None:
    preferences_for(user=user)
    Preferences.objects.filter(user=user).update(email_reminders=email_reminders)
