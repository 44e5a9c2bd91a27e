"""A notification's sentence, in the reader's language and time zone, as a
filter: `{% load notification_text %}{{ notification|text }}`.

The list shows twenty; as included templates of conditions and translations
they cost more to render than the rest of the page."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tengja.bookings.models import Booking
from tengja.lib.money import money_format
from tengja.notifications.models import Notification

register = template.Library()


@register.filter
def text(notification: Notification) -> str:
    """ "New booking: Couples session with Anna Jónsdóttir, 07/12/2026 15:00": the
    session's type, the other person (the invited address until a client is
    known to the professional), its time, and for a bill its amount."""
    if notification.booking_request is not None:
        return _request_text(notification)
    if notification.measure_request is not None:
        return _measure_text(notification)
    booking = notification.booking
    if booking is None:
        return notification.get_kind_display()
    if booking.professional.user_id == notification.user_id:
        name = booking.client_label
    else:
        name = booking.professional.user.name
    invoice = notification.invoice
    values = {
        "kind": booking.session_type.name,
        "name": name,
        "when": date_format(timezone.localtime(booking.starts_at), "SHORT_DATETIME_FORMAT"),
        "amount": money_format(invoice.amount, invoice.currency) if invoice else "",
    }
    kinds = Notification.Kind
    match notification.kind:
        case kinds.BOOKED if booking.from_request:
            sentence = _("Request accepted: %(kind)s with %(name)s, %(when)s")
        case kinds.BOOKED:
            sentence = _("New booking: %(kind)s with %(name)s, %(when)s")
        case kinds.MOVED:
            sentence = _("Moved: %(kind)s with %(name)s is now %(when)s")
        case kinds.CANCELLED if booking.cancel_reason == Booking.CancelReason.NO_SHOW:
            sentence = _("No-show: %(kind)s, %(when)s")
        case kinds.CANCELLED if booking.cancel_reason == Booking.CancelReason.MISTAKE:
            sentence = _("Void, entered by mistake: %(kind)s, %(when)s")
        case kinds.CANCELLED:
            sentence = _("Cancelled: %(kind)s, %(when)s")
        case kinds.UPCOMING:
            sentence = _("Coming up: %(kind)s with %(name)s, %(when)s")
        case kinds.PAYMENT_DUE:
            sentence = _("Payment due: %(amount)s for %(kind)s with %(name)s, %(when)s")
        case kinds.PAYMENT_RECEIVED:
            sentence = _("Payment received: %(amount)s for %(kind)s, %(when)s")
        case kinds.REFUNDED:
            sentence = _("Refunded: %(amount)s for %(kind)s, %(when)s")
        case kinds.DISPUTE_OPENED:
            sentence = _("Payment disputed: %(amount)s for %(kind)s, %(when)s")
        case kinds.DISPUTE_CLOSED:
            sentence = _("Dispute closed: %(amount)s for %(kind)s, %(when)s")
        case _:
            return f"{notification.get_kind_display()}: {values['kind']}, {values['when']}"
    return sentence % values


def _request_text(notification: Notification) -> str:
    """ "New request: Couples session from Anna Jónsdóttir, 07/12/2026 15:00"."""
    booking_request = notification.booking_request
    assert booking_request is not None
    values = {
        "kind": booking_request.session_type.name,
        "name": booking_request.client.display_name,
        "professional": booking_request.professional.user.name,
        "when": date_format(timezone.localtime(booking_request.starts_at), "SHORT_DATETIME_FORMAT"),
    }
    kinds = Notification.Kind
    match notification.kind:
        case kinds.REQUEST_MADE:
            sentence = _("New request: %(kind)s from %(name)s, %(when)s")
        case kinds.REQUEST_DECLINED:
            sentence = _("Request declined: %(kind)s with %(professional)s, %(when)s")
        case kinds.REQUEST_EXPIRED:
            sentence = _("Request expired, unanswered: %(kind)s with %(professional)s, %(when)s")
        case _:
            return notification.get_kind_display()
    return sentence % values


def _measure_text(notification: Notification) -> str:
    """ "New questionnaire from Helga Sigurðardóttir" for the client; "An answer
    from Anna Jónsdóttir needs your attention" for the professional. Never which
    questionnaire's question, the answers or the score: the page it leads to says."""
    measure = notification.measure_request
    assert measure is not None
    match notification.kind:
        case Notification.Kind.MEASURE_SENT:
            return _("New questionnaire from %(professional)s") % {
                "professional": measure.professional.user.name
            }
        case Notification.Kind.MEASURE_ATTENTION:
            return _("An answer from %(name)s needs your attention") % {
                "name": measure.client.display_name
            }
    return notification.get_kind_display()
