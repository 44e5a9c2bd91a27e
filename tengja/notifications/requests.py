"""What people are told of session requests (tengja.bookings.requests): the
professional of a new one, the client of one declined or expired, each by e-mail
(a Delivery row, sent exactly once as every e-mail here: services) and in the app.

An accepted request needs nothing of its own: its session's BOOKED event (made
by the professional) sends the client the confirmation, which says the request
was accepted. A withdrawn one tells nobody; its unsent e-mail to the professional
is dropped when its turn comes (request_skip_reason).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.events import RequestEvent, RequestKind
from tengja.bookings.models import Booking, BookingRequest
from tengja.lib.emails import email_message, email_render
from tengja.notifications.models import Delivery, Notification

TEMPLATES: dict[str, str] = {
    Delivery.Kind.REQUEST_MADE: "request-made",
    Delivery.Kind.REQUEST_DECLINED: "request-closed",
    Delivery.Kind.REQUEST_EXPIRED: "request-closed",
}
# The Delivery kinds about a request (their `booking` is empty).
KINDS = frozenset(TEMPLATES)


def _tell(
    booking_request: BookingRequest,
    user: User,
    role: str,
    delivery_kind: str,
    notification_kind: str,
) -> None:
    now = timezone.now()
    Delivery.objects.create(
        booking_request=booking_request, kind=delivery_kind, role=role, due_at=now
    )
    Notification.objects.create(user=user, kind=notification_kind, booking_request=booking_request)
    # Imported here: services sends these e-mails with the rest, through this module.
    from tengja.notifications.services import enqueue_due

    transaction.on_commit(lambda: enqueue_due(now))


def on_request_event(event: RequestEvent) -> None:
    """Told of each change to a request, inside its transaction."""
    booking_request = event.booking_request
    if event.kind == RequestKind.MADE:
        _tell(
            booking_request,
            booking_request.professional.user,
            Booking.Role.PROFESSIONAL,
            Delivery.Kind.REQUEST_MADE,
            Notification.Kind.REQUEST_MADE,
        )
    elif event.kind == RequestKind.DECLINED:
        _tell(
            booking_request,
            booking_request.client,
            Booking.Role.CLIENT,
            Delivery.Kind.REQUEST_DECLINED,
            Notification.Kind.REQUEST_DECLINED,
        )
    elif event.kind == RequestKind.EXPIRED:
        _tell(
            booking_request,
            booking_request.client,
            Booking.Role.CLIENT,
            Delivery.Kind.REQUEST_EXPIRED,
            Notification.Kind.REQUEST_EXPIRED,
        )


def request_skip_reason(delivery: Delivery) -> str | None:
    """The professional's e-mail of a request answered or withdrawn before it went
    says nothing useful (and of a withdrawn one, nothing that still holds)."""
    booking_request = delivery.booking_request
    assert booking_request is not None
    if delivery.kind == Delivery.Kind.REQUEST_MADE:
        fresh = BookingRequest.objects.filter(pk=booking_request.pk).values_list(
            "status", flat=True
        )
        if fresh.first() != BookingRequest.Status.OPEN:
            return "no longer open"
    return None


def request_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The e-mail of a request, in its recipient's language and time zone. Only
    the professional's carries the client's message; the client's own carries
    the professional's reason for declining."""
    booking_request = delivery.booking_request
    assert booking_request is not None
    for_professional = delivery.role == Booking.Role.PROFESSIONAL
    recipient = booking_request.professional.user if for_professional else booking_request.client
    if for_professional:
        link = reverse("bookings:requests")
    else:
        link = reverse("bookings:request", kwargs={"code": booking_request.code})
    subject, text, html = email_render(
        template=TEMPLATES[delivery.kind],
        context={
            "booking_request": booking_request,
            "client_name": booking_request.client.display_name,
            "professional_name": booking_request.professional.user.name,
            "expired": delivery.kind == Delivery.Kind.REQUEST_EXPIRED,
            "zone": recipient.time_zone or settings.TIME_ZONE,
            "link": settings.SITE_URL + link,
        },
        language=recipient.language,
        time_zone=recipient.time_zone,
    )
    return email_message(
        to=recipient.email,
        subject=subject,
        text=text,
        html=html,
        local_id=f"delivery-{delivery.pk}",
    )
