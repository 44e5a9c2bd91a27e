"""Sessions asked for on a professional's booking page, for a session type
booked by request (issue 29): made here, answered by the professional.

The booking page (which checks that the time is one of the professional's free
times, for this client) calls `request_create`; the professional's Requests page
accepts or declines; a request nobody answers expires before its time
(`requests_expire_due`, a periodic job); the client may withdraw it while open.

Each change locks the request's row first, so a second click (or a second
worker) finds it answered and does nothing more; accepting then locks the
professional (booking_create), the order every path here takes. Who is told is
up to the subscribers of the RequestEvent each change publishes.
"""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.events import RequestEvent, RequestKind, publish_request
from tengja.bookings.models import BOOKING_HORIZON, Booking, BookingRequest
from tengja.bookings.services import BookingError, booking_create
from tengja.professionals.models import Professional, SessionType

# An unanswered request expires this long before its start at the latest (and
# never later than the professional's minimum notice before it).
REQUEST_EXPIRES_BEFORE = timedelta(hours=1)
# How many unanswered requests a client may have with one professional at once.
OPEN_REQUESTS_MAX = 3
EXPIRE_BATCH = 200


def request_expires_at(*, professional: Professional, starts_at: datetime) -> datetime:
    """When a request for `starts_at` expires if nobody answers it."""
    return starts_at - max(REQUEST_EXPIRES_BEFORE, professional.min_notice)


def request_create(
    *, client: User, session_type: SessionType, starts_at: datetime, message: str = ""
) -> BookingRequest:
    """An open request from `client` for a session of `session_type` at
    `starts_at`. The caller has checked that the time is free for them."""
    professional = session_type.professional
    now = timezone.now()
    if session_type.booking_mode != SessionType.BookingMode.REQUEST or not session_type.is_active:
        raise BookingError(_("This session type is not offered by request."))
    if professional.user_id == client.pk:
        raise BookingError(_("You cannot ask yourself for a session."))
    expires_at = request_expires_at(professional=professional, starts_at=starts_at)
    if expires_at <= now or starts_at > now + BOOKING_HORIZON:
        raise BookingError(_("Choose a later time: this one is too soon to ask for."))
    with transaction.atomic():
        waiting = list(
            BookingRequest.objects.filter(
                client=client, professional=professional, status=BookingRequest.Status.OPEN
            ).values_list("starts_at", flat=True)[: OPEN_REQUESTS_MAX + 1]
        )
        if starts_at in waiting:
            raise BookingError(_("You have already asked for this time."))
        if len(waiting) >= OPEN_REQUESTS_MAX:
            # Each request e-mails the professional: a client cannot flood them.
            raise BookingError(
                _(
                    "You have %(count)s requests waiting for %(name)s's answer. Wait for an "
                    "answer, or withdraw one, before you ask for another time."
                )
                % {"count": len(waiting), "name": professional.user.name}
            )
        booking_request = BookingRequest.objects.create(
            professional=professional,
            session_type=session_type,
            client=client,
            starts_at=starts_at,
            message=message.strip(),
            expires_at=expires_at,
        )
        publish_request(RequestEvent(RequestKind.MADE, booking_request))
    return booking_request


def _locked(booking_request: BookingRequest) -> BookingRequest:
    """The request read again under its row's lock (inside a transaction)."""
    return (
        BookingRequest.objects.select_for_update(of=("self",))
        .select_related("professional__user", "session_type", "client")
        .get(pk=booking_request.pk)
    )


def _answered_already(booking_request: BookingRequest) -> BookingError:
    messages = {
        BookingRequest.Status.ACCEPTED: _("This request has already been accepted."),
        BookingRequest.Status.DECLINED: _("This request has already been declined."),
        BookingRequest.Status.EXPIRED: _("This request has expired: nobody answered it in time."),
        BookingRequest.Status.WITHDRAWN: _("The client has withdrawn this request."),
    }
    return BookingError(messages[BookingRequest.Status(booking_request.status)])


def request_accept(*, booking_request: BookingRequest) -> Booking:
    """Book the session asked for, for the client, billed by invoice; the request
    becomes ACCEPTED with its booking. Accepting it again returns that booking.

    BookingError (the request stays open) when the time is no longer free or the
    type no longer offered; an expired request is refused (and expired now)."""
    expired = False
    with transaction.atomic():
        locked = _locked(booking_request)
        if locked.status == BookingRequest.Status.ACCEPTED and locked.booking is not None:
            return locked.booking
        if not locked.is_open:
            raise _answered_already(locked)
        now = timezone.now()
        if locked.expires_at <= now:
            expired = True
        else:
            try:
                booking = booking_create(
                    professional=locked.professional,
                    session_type=locked.session_type,
                    starts_at=locked.starts_at,
                    client=locked.client,
                    paid_with=Booking.PaidWith.INVOICE,
                    by=Booking.Role.PROFESSIONAL,
                )
            except BookingError as error:
                raise BookingError(
                    _("%(error)s The request is still open: decline it, or ask the client.")
                    % {"error": error}
                ) from None
            locked.status = BookingRequest.Status.ACCEPTED
            locked.answered_at = now
            locked.booking = booking
            locked.save(update_fields=["status", "answered_at", "booking"])
            publish_request(RequestEvent(RequestKind.ACCEPTED, locked))
    if expired:
        requests_expire_due(ids=[locked.pk])
        raise BookingError(_("This request has expired: nobody answered it in time."))
    booking_request.status, booking_request.booking = locked.status, booking
    return booking


def request_decline(*, booking_request: BookingRequest, reason: str = "") -> BookingRequest:
    """Decline it, with the reason the client is told (if any). Declining it again
    changes nothing."""
    with transaction.atomic():
        locked = _locked(booking_request)
        if locked.status == BookingRequest.Status.DECLINED:
            return locked
        if not locked.is_open:
            raise _answered_already(locked)
        locked.status = BookingRequest.Status.DECLINED
        locked.decline_reason = reason.strip()
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "answered_at"])
        publish_request(RequestEvent(RequestKind.DECLINED, locked))
    return locked


def request_withdraw(*, booking_request: BookingRequest) -> BookingRequest:
    """The client takes back their open request. Doing it again changes nothing."""
    with transaction.atomic():
        locked = _locked(booking_request)
        if locked.status == BookingRequest.Status.WITHDRAWN:
            return locked
        if not locked.is_open:
            raise _answered_already(locked)
        locked.status = BookingRequest.Status.WITHDRAWN
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "answered_at"])
        publish_request(RequestEvent(RequestKind.WITHDRAWN, locked))
    return locked


def requests_expire_due(*, now: datetime | None = None, ids: list[int] | None = None) -> int:
    """Expire the open requests past their `expires_at` (or just those of `ids`)
    and tell their clients, each once: a request is taken under its row's lock
    (others' locked rows skipped, on PostgreSQL) and only while still open.
    Returns how many expired. Run by the periodic command."""
    expired = 0
    while True:
        with transaction.atomic():
            now_ = now or timezone.now()
            due = BookingRequest.objects.filter(
                status=BookingRequest.Status.OPEN, expires_at__lte=now_
            ).order_by("expires_at", "pk")
            if ids is not None:
                due = due.filter(pk__in=ids)
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            batch = list(
                due.select_related("client", "professional__user", "session_type")[:EXPIRE_BATCH]
            )
            for booking_request in batch:
                # Conditional, for SQLite (no row locks): of two runs, one tells.
                if BookingRequest.objects.filter(
                    pk=booking_request.pk, status=BookingRequest.Status.OPEN
                ).update(status=BookingRequest.Status.EXPIRED, answered_at=now_):
                    booking_request.status = BookingRequest.Status.EXPIRED
                    booking_request.answered_at = now_
                    publish_request(RequestEvent(RequestKind.EXPIRED, booking_request))
                    expired += 1
        if len(batch) < EXPIRE_BATCH:
            return expired


def requests_close_for_account(*, user: User) -> None:
    """An account being deleted (tengja.privacy): its open requests are withdrawn,
    telling nobody (the professional is told nothing that the client did not
    do), and what its requests said is erased."""
    BookingRequest.objects.filter(client=user, status=BookingRequest.Status.OPEN).update(
        status=BookingRequest.Status.WITHDRAWN, answered_at=timezone.now()
    )
    BookingRequest.objects.filter(client=user).update(message="")
