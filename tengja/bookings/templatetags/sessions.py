"""A session's time, state and Cost line, as filters: `{% load sessions %}`, then
`{{ booking|when }}`, `{{ booking|state }}` and `{{ booking|cost }}`.

Lists show them on every row (a calendar month on up to 126), and as included
templates of filters and conditions they cost more to render than the rest of
the row."""

from urllib.parse import urlencode

from django import template
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tengja.bookings.models import Booking
from tengja.lib.money import money_format

register = template.Library()


@register.filter
def when(booking: Booking) -> SafeString:
    """The session's date, start and end in the active time zone, in a `<time>`
    element: "7 December 2026, 15:00 to 15:50, with an en dash"."""
    starts = timezone.localtime(booking.starts_at)
    return format_html(
        '<time datetime="{}">{}, {}–{}</time>',
        starts.isoformat(),
        date_format(starts, "DATE_FORMAT"),
        time_format(starts, "TIME_FORMAT"),
        time_format(timezone.localtime(booking.ends_at), "TIME_FORMAT"),
    )


@register.filter
def state(booking: Booking) -> SafeString:
    """Where the session stands (Booking.State), as a label its class can colour."""
    current = booking.state()
    return format_html('<span class="state state--{}">{}</span>', current, current.label)


@register.filter
def cost(booking: Booking) -> str:
    """What the session costs, or cost: credits spent, kept or given back; or
    its price, and for a cancelled one what became of the payment (`bill_status`,
    where the selector read it: bookings.selectors._with_bill_status)."""
    credits = booking.credits
    if booking.paid_with_credits and credits:
        if not booking.is_cancelled:
            text = ngettext(
                "Paid with %(credits)s credit", "Paid with %(credits)s credits", credits
            )
        elif booking.late_cancellation and booking.cancel_reason == Booking.CancelReason.NO_SHOW:
            text = ngettext(
                "Paid with %(credits)s credit, kept: no-show",
                "Paid with %(credits)s credits, kept: no-show",
                credits,
            )
        elif booking.late_cancellation:
            text = ngettext(
                "Paid with %(credits)s credit, kept: cancelled late",
                "Paid with %(credits)s credits, kept: cancelled late",
                credits,
            )
        else:
            text = ngettext(
                "%(credits)s credit, given back", "%(credits)s credits, given back", credits
            )
        return text % {"credits": credits}
    price = money_format(booking.price_amount, booking.currency)
    if booking.payment_skipped_reason and not booking.is_cancelled:
        no_charge = _("No charge")
        return f"{price} · {no_charge}"
    if not (booking.is_cancelled and booking.price_amount):
        return price
    bill_status = getattr(booking, "bill_status", None)
    if bill_status == "refund_pending":
        what = _("payment being refunded")
    elif bill_status == "refunded":
        what = _("payment refunded")
    elif booking.late_cancellation:
        what = _("still payable")
    else:
        what = _("nothing to pay")
    return f"{price} · {what}"


def _one_line(address: str) -> str:
    return ", ".join(address.splitlines())


@register.filter
def where(session) -> str:
    """Where a session (a Booking, from the place it was booked with) or a
    session type meets, on one line: "Video", or "On site, Laugavegur 1, 101
    Reykjavík"."""
    location = session.location
    if not location:
        return _("Video")
    return _("On site, %(address)s") % {"address": _one_line(location)}


@register.filter
def one_line(address: str) -> str:
    """An address's lines joined by commas, for a line of text (a subject, a row)."""
    return _one_line(address)


@register.filter
def map_url(address: str) -> str:
    """A link that opens the address in OpenStreetMap's search (a plain link:
    no map, script or request is loaded by Tengja's own page)."""
    return "https://www.openstreetmap.org/search?" + urlencode({"query": _one_line(address)})


@register.filter
def time_left(at) -> str:
    """How long until `at`, roughly, as a request's expiry says it: "3 days",
    "5 hours", "less than an hour" (Django's timeuntil has no Icelandic)."""
    seconds = (at - timezone.now()).total_seconds()
    if seconds >= 2 * 86400:
        days = int(seconds // 86400)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if seconds >= 3600:
        hours = int(seconds // 3600)
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return _("less than an hour")
