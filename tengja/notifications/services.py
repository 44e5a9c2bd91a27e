"""What clients and professionals are told, in the app and by e-mail.

The booking services tell this module of each change (tengja.bookings.events,
after hubs and billing, so the bill or credit is settled), inside the same transaction: the in-app
notifications and the e-mails to send (Delivery rows) are written with the
change or not at all. A background task then sends what is due, a batch at a
time over one mail connection (deliveries_send_due), each e-mail exactly once.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, models, transaction
from django.db.models import Min, Q
from django.utils import timezone

from tengja.accounts.models import User
from tengja.billing.events import BillingEvent
from tengja.billing.events import Kind as BillingKind
from tengja.billing.models import MANUAL, Invoice, Payment
from tengja.billing.selectors import invoice_standing
from tengja.bookings.events import BookingEvent, Kind
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_recipient, invitation_link_new
from tengja.lib.codes import public_code
from tengja.lib.emails import email_message, email_render
from tengja.notifications.feed import preferences_for
from tengja.notifications.ics import booking_ics, booking_url, bookings_ics
from tengja.notifications.models import Delivery, Notification, Preferences
from tengja.notifications.requests import request_message, request_skip_reason

logger = logging.getLogger(__name__)

REMINDERS: dict[str, timedelta] = {
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


# Not sent, skipped or given up on; OPEN ones are not taken by a worker either.
UNFINISHED = Q(sent_at__isnull=True, skipped_at__isnull=True, failed_at__isnull=True)
OPEN = UNFINISHED & Q(claimed_at__isnull=True)
BATCH_SIZE = 100
# A claim is a lease: a worker sending a batch moves its claim's time on at least
# every HEARTBEAT (between e-mails), and a claim not moved on for LEASE is its dead
# worker's: given back (see _claims_release_dead), so the rest of the batch goes
# out within a minute of the worker's death, not when it restarts.
HEARTBEAT = timedelta(seconds=10)
LEASE = timedelta(seconds=30)
# What may have changed since the batch was read, read again under the session's lock.
FRESH_FIELDS = (
    "status",
    "starts_at",
    "ends_at",
    "sequence",
    "cancelled_at",
    "cancelled_by",
    "late_cancellation",
    "cancel_reason",
    "client_told",
)


def _deliver(booking: Booking, kind: str, role: str, due_at: datetime, **context) -> Delivery:
    delivery = Delivery.objects.create(
        booking=booking, kind=kind, role=role, due_at=due_at, context=context
    )
    transaction.on_commit(lambda: _enqueue(due_at))
    return delivery


def _enqueue(due_at: datetime) -> None:
    """Have a worker send what is due by `due_at`. One task per second of due
    times, not one per e-mail: the 10,000 reminders due at 9:00 are one task,
    which sends them in batches (and asks for help: deliveries_send_due)."""
    from tengja.notifications.tasks import deliveries_send_task

    try:
        if not deliveries_send_task.get_backend().supports_defer:
            if due_at <= timezone.now():
                deliveries_send_task.enqueue()
            return  # a backend that cannot wait leaves it to the sweep, once it is due
        # Called after commit, so the task never runs before the row is there to see.
        now = timezone.now()
        slot = max(due_at, now).replace(microsecond=0) + timedelta(seconds=1)
        try:
            first = cache.add(
                f"deliveries-send:{slot.timestamp():.0f}",
                True,
                timeout=(slot - now).total_seconds() + 60,
            )
        except Exception:
            first = True  # the cache away a moment: a second task is harmless, a lost one is not
        # (django-redis answers None, not False, when Redis is away: the same case.)
        if first is not False:
            try:
                deliveries_send_task.using(run_after=slot).enqueue()
            except Exception:
                cache.delete(f"deliveries-send:{slot.timestamp():.0f}")  # the next one tries again
                raise
    except Exception:
        # The booking stands; the sweep (deliveries_sweep) finds the e-mail later.
        logger.exception("could not enqueue the e-mails due at %s", due_at)


# For the e-mails of session requests (tengja.notifications.requests).
enqueue_due = _enqueue


def _notify(
    user: User | None, kind: Notification.Kind, booking: Booking, invoice: Invoice | None = None
) -> None:
    if user is not None:
        Notification.objects.create(user=user, kind=kind, booking=booking, invoice=invoice)


def reminders_plan(*, booking: Booking, now: datetime | None = None) -> None:
    """(Re)plan the reminders of a booking from its start time; unsent ones go.

    One a worker has taken but not sent yet is marked skipped: the worker then
    leaves it (and if it is being sent this very moment, this waits for it: see
    _send_claimed)."""
    now = now or timezone.now()
    unsent = Delivery.objects.filter(UNFINISHED, booking=booking, kind__in=list(REMINDERS))
    unsent.filter(claimed_at__isnull=True).delete()
    unsent.update(skipped_at=now, last_error="cancelled" if booking.is_cancelled else "moved")
    if booking.is_cancelled:
        return
    for kind, before in REMINDERS.items():
        due_at = booking.starts_at - before
        if due_at <= now:
            continue  # booked too late for this one; the confirmation says it all
        for role in Booking.Role.values:
            _deliver(booking, kind, role, due_at)


def _group_context(group: tuple[int, ...]) -> dict:
    """A Delivery's context for the e-mail that tells of a group of sessions at
    once (a series: see BookingEvent.group)."""
    return {"group": list(group)} if group else {}


def notify_booked(
    *, booking: Booking, by: Booking.Role | None = None, group: tuple[int, ...] = ()
) -> None:
    """A new booking: the client gets the confirmation (with its link) and a
    notification. When the client booked it themselves (in a Wellbeing Hub), the
    professional is told too; an invitation they sent needs no telling.

    Of a series (`group`), the first session's confirmation and notice tell of
    all of them, one e-mail with every date; each has its own reminders."""
    now = timezone.now()
    if group and group[0] != booking.pk:
        reminders_plan(booking=booking, now=now)
        return
    _deliver(booking, Delivery.Kind.CONFIRMATION, Booking.Role.CLIENT, now, **_group_context(group))
    _notify(booking.client, Notification.Kind.BOOKED, booking)
    if by == Booking.Role.CLIENT:
        _deliver(booking, Delivery.Kind.CONFIRMATION, Booking.Role.PROFESSIONAL, now)
        _notify(booking.professional.user, Notification.Kind.BOOKED, booking)
    reminders_plan(booking=booking, now=now)


def notify_invitation_resent(*, booking: Booking) -> None:
    _deliver(booking, Delivery.Kind.CONFIRMATION, Booking.Role.CLIENT, timezone.now())


def notify_moved(
    *,
    booking: Booking,
    previous_starts_at: datetime,
    by: Booking.Role | None = None,
    group: tuple[int, ...] = (),
) -> None:
    """The client is always e-mailed the change (their calendar's copy, from the
    confirmation, needs its update). When the client moved it themselves, the
    professional is told too, by e-mail (with the update for their calendar) and
    in the app; a move the professional made needs no telling them."""
    now = timezone.now()
    by = by or Booking.Role.PROFESSIONAL
    if group and group[0] != booking.pk:
        # The group's e-mail (on its first session) tells of this one too.
        _changes_skip(booking, now, kinds=[Delivery.Kind.CHANGE])
        reminders_plan(booking=booking, now=now)
        return
    context = {"previous_starts_at": previous_starts_at.isoformat(), "by": by}
    context.update(_group_context(group))
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
    # Paid to the professional outside Tengja: theirs to give back (billing.manual).
    RETURNED_BY_PROFESSIONAL = "returned_by_professional"
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
    if (
        invoice.status == Invoice.Status.REFUND_PENDING
        and invoice.payments.filter(provider=MANUAL, status=Payment.Status.SUCCEEDED).exists()
    ):
        return Settlement.RETURNED_BY_PROFESSIONAL
    return {
        Invoice.Status.VOID: Settlement.VOIDED,
        Invoice.Status.REFUND_PENDING: Settlement.REFUNDED,  # asked of the bank after commit
        Invoice.Status.REFUNDED: Settlement.REFUNDED,
        Invoice.Status.OPEN: Settlement.PAYABLE,
        Invoice.Status.PAID: Settlement.PAID,
    }.get(Invoice.Status(invoice.status), Settlement.NONE)


def _changes_skip(booking: Booking, now: datetime, kinds: list[str]) -> None:
    """Drop the session's unsent e-mails of these kinds, but not one that tells of
    a whole group (a series' invitation): it still goes, naming those still on."""
    Delivery.objects.filter(UNFINISHED, booking=booking, kind__in=kinds).exclude(
        context__has_key="group"
    ).update(skipped_at=now, last_error="cancelled")


def notify_cancelled(*, booking: Booking, group: tuple[int, ...] = ()) -> None:
    """Both are e-mailed (with the calendar's CANCEL), the one who cancelled first;
    the other also in the app; the client neither when the professional chose not
    to tell them (client_told). The reminders that were not sent are dropped.
    Sessions cancelled together (`group`) are told of in one e-mail each.
    Nothing here carries the professional's private note (cancel_note)."""
    now = timezone.now()
    settlement = cancellation_settlement(booking=booking)
    by_professional = booking.cancelled_by == Booking.Role.PROFESSIONAL
    other = Booking.Role.CLIENT if by_professional else Booking.Role.PROFESSIONAL
    _changes_skip(booking, now, kinds=[Delivery.Kind.CONFIRMATION, Delivery.Kind.CHANGE])
    if group and group[0] != booking.pk:
        reminders_plan(booking=booking, now=now)
        return
    # The professional may cancel (or record a no-show) without telling the
    # client: then only their own copy goes.
    roles = [booking.cancelled_by, other] if booking.client_told else [Booking.Role.PROFESSIONAL]
    for role in roles:
        _deliver(
            booking,
            Delivery.Kind.CANCELLATION,
            role,
            now,
            settlement=settlement,
            **_group_context(group),
        )
    if not by_professional:
        _notify(booking.professional.user, Notification.Kind.CANCELLED, booking)
    elif booking.client_told:
        _notify(booking.client, Notification.Kind.CANCELLED, booking)
    reminders_plan(booking=booking, now=now)


def on_booking_event(event: BookingEvent) -> None:
    """Told of each booking change (see tengja.bookings.events)."""
    if event.kind == Kind.BOOKED:
        notify_booked(booking=event.booking, by=event.by, group=event.group)
    elif event.kind == Kind.INVITATION_RESENT:
        notify_invitation_resent(booking=event.booking)
    elif event.kind == Kind.MOVED:
        assert event.previous_starts_at is not None  # a MOVED event says from when
        notify_moved(
            booking=event.booking,
            previous_starts_at=event.previous_starts_at,
            by=event.by,
            group=event.group,
        )
    elif event.kind == Kind.CANCELLED:
        notify_cancelled(booking=event.booking, group=event.group)


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


def _claim_due(now: datetime, limit: int) -> tuple[str, list[int]]:
    """Take up to `limit` due e-mails for this worker, oldest first: one UPDATE
    marks them with a new claim ("a sort of optimistic lock", as healthchecks'
    sendalerts puts it). On PostgreSQL, SKIP LOCKED lets two workers take two
    different batches at once instead of queueing for the same rows."""
    claim = public_code()
    due = Delivery.objects.filter(OPEN, due_at__lte=now).order_by("due_at", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        # Two statements: PostgreSQL may run an IN (... LIMIT n FOR UPDATE) subquery
        # more than once per UPDATE, claiming more than n.
        ids = list(due.values_list("pk", flat=True)[:limit])
        # Conditional, for SQLite (no row locks): of two workers, one gets each row.
        Delivery.objects.filter(OPEN, pk__in=ids).update(claimed_at=now, claim=claim)
    ids = list(Delivery.objects.filter(UNFINISHED, claim=claim).values_list("pk", flat=True))
    return claim, sorted(ids)


def _skip_reason(delivery: Delivery, now: datetime, reminders_off: set[int]) -> str | None:
    booking = delivery.booking
    assert booking is not None  # a request's e-mail: request_skip_reason
    if delivery.kind in REMINDERS:
        if booking.is_cancelled:
            return "cancelled"
        if booking.starts_at <= now:
            return "started"  # a reminder that comes too late says nothing useful
        recipient = (
            booking.client if delivery.role == Booking.Role.CLIENT else booking.professional.user
        )
        if recipient is not None and recipient.pk in reminders_off:
            return "turned off"
    if delivery.kind in (Delivery.Kind.CONFIRMATION, Delivery.Kind.CHANGE):
        if "group" in delivery.context:
            if not _group_told(delivery, now):
                return "no longer relevant"
        elif booking.is_cancelled or booking.is_past(now):
            return "no longer relevant"
    return None


def _group_told(delivery: Delivery, now: datetime) -> list[Booking]:
    """The sessions a group's e-mail tells of, in order: for a confirmation or a
    change those still on and to come, for a cancellation all of them. Read once
    per e-mail (kept on the delivery)."""
    if "_group_told" not in delivery.__dict__:
        bookings = list(
            Booking.objects.filter(pk__in=delivery.context["group"])
            .select_related("professional__user", "client", "session_type", "invitation")
            .order_by("starts_at")
        )
        if delivery.kind != Delivery.Kind.CANCELLATION:
            bookings = [b for b in bookings if not b.is_cancelled and not b.is_past(now)]
        delivery.__dict__["_group_told"] = bookings
    return delivery.__dict__["_group_told"]


def _writes_invitation(delivery: Delivery) -> bool:
    """Whether _message makes the invitation a new link for this e-mail. A session
    of a series keeps the link of the series' invitation working: only a
    confirmation (the series' own, or one sent again) makes a new one."""
    booking = delivery.booking
    assert booking is not None
    return (
        delivery.role == Booking.Role.CLIENT
        and hasattr(booking, "invitation")
        and (
            delivery.kind == Delivery.Kind.CONFIRMATION
            or (booking.client_id is None and booking.series_id is None)
        )
    )


def _message(delivery: Delivery) -> EmailMultiAlternatives:
    if "group" in delivery.context:
        return _group_message(delivery)
    booking = delivery.booking
    assert booking is not None
    role = delivery.role
    to, language, time_zone = booking_recipient(booking, role)
    for_professional = role == Booking.Role.PROFESSIONAL
    has_invitation = hasattr(booking, "invitation")
    if _writes_invitation(delivery):
        # A confirmation carries the invitation's link, and only that link reaches
        # an address without an account.
        link = invitation_link_new(invitation=booking.invitation)
    else:
        link = booking_url(booking)
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
        # Why it was cancelled (a no-show, a mistake): never the private note.
        "reason": booking.cancel_reason,
        # A change: who moved the session (before clients could, only the professional).
        "moved_by_recipient": delivery.context.get("by", Booking.Role.PROFESSIONAL) == role,
        "booked_by_client": not has_invitation,
        # A session booked by accepting the client's request (tengja.bookings.requests).
        "from_request": hasattr(booking, "request"),
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


GROUP_TEMPLATES: dict[str, str] = {
    Delivery.Kind.CONFIRMATION: "booking-series-invitation",
    Delivery.Kind.CHANGE: "booking-series-moved",
    Delivery.Kind.CANCELLATION: "booking-series-cancelled",
}


def _group_message(delivery: Delivery) -> EmailMultiAlternatives:
    """One e-mail for sessions booked, moved or cancelled together (a series):
    every date, in the recipient's language and zone, and one calendar file
    holding each as its own event (its own UID, as a single session's e-mails
    and the feed have it, so a later change to one session updates just it)."""
    role = delivery.role
    bookings = _group_told(delivery, timezone.now())
    booking = bookings[0] if bookings else delivery.booking
    assert booking is not None
    to, language, time_zone = booking_recipient(booking, role)
    for_professional = role == Booking.Role.PROFESSIONAL
    if delivery.kind == Delivery.Kind.CONFIRMATION and _writes_invitation(delivery):
        # The link accepts the whole series (bookings.services._series_accept).
        link = invitation_link_new(invitation=booking.invitation)
    else:
        link = booking_url(booking)
    by = delivery.context.get("by", Booking.Role.PROFESSIONAL)
    if delivery.kind == Delivery.Kind.CANCELLATION:
        by = booking.cancelled_by
    context = {
        "booking": booking,
        "bookings": bookings,
        "professional": booking.professional.user,
        "has_account": booking.client is not None,
        "link": link,
        "for_professional": for_professional,
        "other_name": booking.client_label if for_professional else booking.professional.user.name,
        "by_recipient": by == role,
        "by_name": booking.professional.user.name
        if by == Booking.Role.PROFESSIONAL
        else (booking.client_label if booking.client else ""),
        # Each session with what its cancellation did to its bill or credit.
        "rows": [
            {
                "booking": b,
                "settlement": cancellation_settlement(booking=b)
                if delivery.kind == Delivery.Kind.CANCELLATION
                else Settlement.NONE,
            }
            for b in bookings
        ],
        "Settlement": Settlement,
    }
    subject, text, html = email_render(
        template=GROUP_TEMPLATES[delivery.kind],
        context=context,
        language=language,
        time_zone=time_zone,
    )
    message = email_message(
        to=to, subject=subject, text=text, html=html, local_id=f"delivery-{delivery.pk}"
    )
    cancelling = delivery.kind == Delivery.Kind.CANCELLATION
    message.attach(
        "invite.ics",
        bookings_ics(bookings, role=role),
        "text/calendar; method=" + ("CANCEL" if cancelling else "REQUEST"),
    )
    return message


def deliveries_send_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Counter:
    """Send every e-mail that is due, a batch at a time, until none is left; count
    what happened to them ("sent", "skipped", "retry", "failed", "taken").

    When a whole batch was due there may be thousands (the top of the hour), so
    the first full batch asks the queue for one more task: a second worker joins
    in, takes its own batches, and asks in turn. It also has a task look at the
    batches being sent when their leases run out (_leases_watch), so that if this
    worker dies mid-way, its batch goes on without it within LEASE.

    It starts by giving back what a dead worker left (_claims_release_dead).
    """
    outcomes: Counter = Counter()
    helped = False
    try:
        _claims_release_dead(now=now or timezone.now())
    except Exception:
        logger.exception("could not give back the e-mails of a stopped worker")
    while True:
        claim, ids = _claim_due(now or timezone.now(), batch_size)
        if not ids:
            _leases_watch()  # other workers' batches, still being sent
            return outcomes
        if len(ids) == batch_size and not helped:
            helped = True
            _ask_for_help()
            _leases_watch()
        outcomes.update(_send_batch(claim, ids, now or timezone.now()))


def _ask_for_help() -> None:
    from tengja.notifications.tasks import deliveries_send_task

    try:
        if deliveries_send_task.get_backend().supports_defer:  # a queue, not this thread
            deliveries_send_task.enqueue()
    except Exception:
        logger.exception("could not ask for another worker")


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send this one e-mail if it is due and nobody has taken it; say what happened."""
    now = now or timezone.now()
    claim = public_code()
    if not Delivery.objects.filter(OPEN, pk=delivery_id, due_at__lte=now).update(
        claimed_at=now, claim=claim
    ):
        return "taken"
    return next(iter(_send_batch(claim, [delivery_id], now)), "taken")


def _send_batch(claim: str, ids: list[int], now: datetime) -> Counter:
    """Send a claimed batch over one mail connection, in id order, each e-mail
    recorded in its own transaction with its sending.

    Claim first, then send: a worker that dies after claiming never has an e-mail
    sent twice. Sending in order, one record each, is what lets the sweep tell
    the one e-mail that may have been on its way when a worker died (the first
    unrecorded) from the rest of its batch (surely not sent: they go again).
    """
    deliveries: Iterable[Delivery] = (
        Delivery.objects.filter(UNFINISHED, pk__in=ids, claim=claim)
        .select_related(
            "booking__professional__user",
            "booking__client",
            "booking__session_type",
            "booking__invitation",
            "booking__request",  # a confirmation says when it answers a request
            "booking_request__professional__user",
            "booking_request__client",
            "booking_request__session_type",
        )
        .order_by("pk")
    )
    deliveries = list(deliveries)
    bookings = [d.booking for d in deliveries if d.booking is not None]
    recipients = {b.client_id for b in bookings} | {b.professional.user_id for b in bookings}
    reminders_off = set(
        Preferences.objects.filter(user__in=recipients - {None}, email_reminders=False).values_list(
            "user_id", flat=True
        )
    )
    outcomes: Counter = Counter()
    upcoming = []
    mail = get_connection()
    alive = timezone.now()
    try:
        for delivery in deliveries:
            if timezone.now() - alive >= HEARTBEAT:
                alive = timezone.now()
                Delivery.objects.filter(UNFINISHED, claim=claim).update(claimed_at=alive)
            outcome = _send_claimed(delivery, claim, now, mail, reminders_off)
            outcomes[outcome] += 1
            if outcome == "unconfirmed":
                # Gone but not recorded: it must stay the first unrecorded e-mail of
                # its claim, the one its lapsed lease gives up (the rest go again).
                break
            if (
                outcome == "sent"
                and delivery.kind in REMINDERS
                and delivery.role == Booking.Role.CLIENT
                and delivery.booking is not None
            ):
                upcoming.append(delivery.booking)
    finally:
        mail.close()
        # The client's in-app notice of each reminder sent, in one write.
        notified = [b for b in upcoming if b.client_id]
        Notification.objects.bulk_create(
            Notification(user_id=cast(int, b.client_id), kind=Notification.Kind.UPCOMING, booking=b)
            for b in notified
        )
    return outcomes


def _column(name: str) -> str:
    field = Delivery._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column  # a concrete field
    return field.column


# Only quoted column names are formatted in; the values are parameters.
_MARK_SENT = (  # noqa: S608
    "UPDATE {table} SET {sent_at} = %s, {attempts} = {attempts} + 1"
    " WHERE {id} = %s AND {claim} = %s"
    " AND {sent_at} IS NULL AND {skipped_at} IS NULL AND {failed_at} IS NULL"
).format(
    table=connection.ops.quote_name(Delivery._meta.db_table),
    **{
        name: connection.ops.quote_name(_column(name))
        for name in ("id", "sent_at", "attempts", "claim", "skipped_at", "failed_at")
    },
)


def _mark_sent(delivery: Delivery, claim: str) -> bool:
    """Record the e-mail as sent, if it is still this claim's and unfinished.

    The one statement run for every e-mail (10,000 at the top of the hour),
    written once: the ORM would compile the same UPDATE each time, which here
    took as long as PostgreSQL takes to run and commit it. Its condition is
    UNFINISHED's, column by column (test_batches checks the two agree)."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SENT, [timezone.now(), delivery.pk, claim])
        return cursor.rowcount == 1


def _send_claimed(
    delivery: Delivery, claim: str, now: datetime, mail, reminders_off: set[int]
) -> str:
    sent = False
    try:
        with transaction.atomic():
            if delivery.kind in (Delivery.Kind.CONFIRMATION, Delivery.Kind.CHANGE):
                _refresh_booking(delivery)
            if delivery.booking_request_id is not None:
                reason = request_skip_reason(delivery)
            else:
                reason = _skip_reason(delivery, now, reminders_off)
            if reason:
                mine = Delivery.objects.filter(UNFINISHED, pk=delivery.pk, claim=claim)
                return "skipped" if mine.update(skipped_at=now, last_error=reason) else "taken"
            # Recorded first, sent second, committed third: the row stays locked
            # while the e-mail goes. A cancellation or a move (which mark the
            # session's taken e-mails skipped: reminders_plan, notify_cancelled)
            # waits for it, or it for them and then finds itself skipped; so does
            # the sweep. If the worker dies before the commit, the record goes too.
            if not _mark_sent(delivery, claim):
                return "taken"
            if delivery.booking_request_id is not None:
                message = request_message(delivery)
            else:
                message = _message(delivery)
            message.connection = mail
            message.send()
            sent = True
    except Exception as error:  # SMTP down, a bad address, anything: retry later
        if sent:
            # Gone, but its record was not committed: never sent again (its batch
            # stops here; the lapsed lease gives it up as the first unrecorded).
            logger.exception("delivery %s was sent but could not be recorded", delivery.pk)
            return "unconfirmed"
        logger.warning("delivery %s failed: %s", delivery.pk, error)
        mail.close()  # the next e-mail opens a fresh connection
        return _send_failed(delivery, claim, error, now)
    return "sent"


def _refresh_booking(delivery: Delivery) -> None:
    """Read the session again, so a confirmation or change says what is true now
    (it may have moved since the batch was read). One that writes the invitation
    (its new link) locks the session first, as every change to a session does
    (booking_cancel, booking_move: the session, then its invitation, then its
    e-mails): one order, no deadlock."""
    assert delivery.booking is not None
    fresh = Booking.objects.filter(pk=delivery.booking.pk)
    if _writes_invitation(delivery):
        fresh = fresh.select_for_update(no_key=True)
    for field, value in (fresh.values(*FRESH_FIELDS).first() or {}).items():
        setattr(delivery.booking, field, value)


def _send_failed(delivery: Delivery, claim: str, error: Exception, now: datetime) -> str:
    """Record a failed attempt (its transaction was rolled back): again later, or
    given up on after the last."""
    mine = Delivery.objects.filter(UNFINISHED, pk=delivery.pk, claim=claim)
    attempts = delivery.attempts + 1
    if attempts > len(BACKOFF):
        mine.update(attempts=attempts, last_error=repr(error)[:2000], failed_at=now)
        return "failed"
    due_at = now + BACKOFF[attempts - 1]
    mine.update(
        attempts=attempts,
        last_error=repr(error)[:2000],
        claimed_at=None,
        claim="",
        due_at=due_at,
    )
    transaction.on_commit(lambda: _enqueue(due_at))
    return "retry"


def _claims_release_dead(*, now: datetime) -> tuple[int, int]:
    """Give back the batches whose worker stopped: claims not moved on for LEASE.
    Returns (given up, given back).

    The first unrecorded e-mail of such a claim may have been on its way when its
    worker died (sent, its record rolled back with the dead connection): it is
    given up, never sent twice. The others were surely not sent: any worker may
    take them again. Taking them again is safe even if the worker was only slow:
    its next e-mail is marked sent only while the claim is still its own.

    On PostgreSQL the e-mail being sent is a locked row until its send is
    recorded, and a dead worker's connection lets go of it at once. A late claim
    whose first unrecorded e-mail is locked is a live worker's, waiting on one
    slow mail server: it is left alone.
    """
    expired = Delivery.objects.filter(UNFINISHED, claimed_at__lte=now - LEASE).exclude(claim="")
    if not expired.exists():  # the usual answer, read without taking a lock
        return 0, 0
    with transaction.atomic():
        lockable = expired.order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            lockable = lockable.select_for_update(skip_locked=True)
        rows = dict(lockable.values_list("pk", "claim"))
        firsts = (
            Delivery.objects.filter(UNFINISHED, claim__in=set(rows.values()))
            .values("claim")
            .annotate(first=Min("pk"))
            .values_list("claim", "first")
        )
        in_doubt = {claim: first for claim, first in firsts if first in rows}
        given_up = Delivery.objects.filter(pk__in=in_doubt.values()).update(
            failed_at=now, last_error="its worker stopped while sending it: not sent again"
        )
        given_back = (
            Delivery.objects.filter(pk__in=[pk for pk, claim in rows.items() if claim in in_doubt])
            .exclude(pk__in=in_doubt.values())
            .update(claimed_at=None, claim="")
        )
    if given_up or given_back:
        logger.warning(
            "%s e-mails were being sent when their worker stopped: %s given up on, %s to send again",
            given_up + given_back,
            given_up,
            given_back,
        )
    return given_up, given_back


def deliveries_sweep(
    *, now: datetime | None = None, grace: timedelta = timedelta(minutes=2)
) -> int:
    """Find what lost tasks and stopped workers left behind, and have a task
    take it up; returns how many e-mails that task is for.

    Run every minute (the periodic command). A batch whose worker stopped
    (_claims_release_dead) is given back and a task enqueued at once. A batch
    still being sent gets a task for the moment its lease runs out
    (_leases_watch): if its worker dies now, that task finds the batch within
    LEASE, not at the next sweep.
    """
    now = now or timezone.now()
    _given_up, given_back = _claims_release_dead(now=now)
    unconfirmed = Delivery.objects.filter(UNFINISHED, claim="", claimed_at__lte=now - LEASE).count()
    if unconfirmed:
        # Claimed one at a time before batches (no claim token): sent or not, not resent.
        logger.warning("%s deliveries were claimed but never confirmed", unconfirmed)
    overdue = Delivery.objects.filter(OPEN, due_at__lte=now - grace).count()
    if overdue or given_back:
        from tengja.notifications.tasks import deliveries_send_task

        try:
            deliveries_send_task.enqueue()
        except Exception:
            logger.exception("could not enqueue the overdue e-mails")
    _leases_watch()
    return overdue + given_back


def _leases_watch() -> None:
    """Have a task look again when the oldest lease of a batch being sent runs out.
    If its worker has died by then, that task gives the batch back and sends it;
    if not, that task's own end asks for the next look. No batch, no task.

    Never sooner than HEARTBEAT from now: a late lease kept by a live worker (one
    slow e-mail) is looked at again in a while, not in a loop."""
    try:
        renewed = (
            Delivery.objects.filter(UNFINISHED, claimed_at__isnull=False)
            .exclude(claim="")
            .aggregate(oldest=Min("claimed_at"))["oldest"]
        )
        if renewed is not None:
            _enqueue(max(renewed + LEASE, timezone.now() + HEARTBEAT))
    except Exception:
        logger.exception("could not plan a look at the batches being sent")


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
