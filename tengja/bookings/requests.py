"""Sessions asked for on a professional's booking page, for a session type
booked by request (issue 29): made here, answered by the professional.

The booking page (which checks that the time is one of the professional's free
times, for this client) calls `request_create`; the professional's Requests page
accepts or declines; a request nobody answers expires before its time.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import BOOKING_HORIZON, BookingRequest
from tengja.bookings.services import BookingError
from tengja.professionals.models import Professional, SessionType

# An unanswered request expires this long before its start at the latest (and
# never later than the professional's minimum notice before it).
REQUEST_EXPIRES_BEFORE = timedelta(hours=1)


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
        if BookingRequest.objects.filter(
            client=client,
            professional=professional,
            starts_at=starts_at,
            status=BookingRequest.Status.OPEN,
        ).exists():
            raise BookingError(_("You have already asked for this time."))
        return BookingRequest.objects.create(
            professional=professional,
            session_type=session_type,
            client=client,
            starts_at=starts_at,
            message=message.strip(),
            expires_at=expires_at,
        )
