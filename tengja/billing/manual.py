"""Payments the professional records themselves: the client paid them by bank
transfer, in cash or at their own card terminal, outside Tengja.

Such a payment is a Payment row (provider MANUAL), so that a bill still has at
most one successful payment whatever else is tried, and it takes the same locks
as a card payment: the session, the bill, then its payments. No provider is ever
asked about it: not to charge, cancel or refund. Taking one back (recorded by
mistake) is recorded too; nothing is deleted."""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.billing.models import MANUAL, Invoice, Payment, Refund
from tengja.billing.services import (
    IN_PROGRESS,
    BillingError,
    _succeed,
    bill_not_open_message,
    payment_cancel_at_provider,
    payment_cancel_recorded,
    payment_email_client,
    refund_succeeded,
)
from tengja.bookings.models import Booking

# How long before its bill a payment may have been made: a client may pay ahead,
# e.g. a month's sessions at once before each bill is issued.
EARLIEST_BEFORE_ISSUE = timedelta(days=60)


def professional_today(invoice: Invoice) -> date:
    """Today where the professional is: the day a payment they record is dated in."""
    zone = zoneinfo.ZoneInfo(invoice.professional.user.time_zone)
    return timezone.localtime(timezone.now(), zone).date()


def paid_on_range(invoice: Invoice) -> tuple[date, date]:
    """The days a manual payment of this bill may be dated (both included)."""
    zone = zoneinfo.ZoneInfo(invoice.professional.user.time_zone)
    issued = timezone.localtime(invoice.issued_at, zone).date()
    return issued - EARLIEST_BEFORE_ISSUE, professional_today(invoice)


def _lock(invoice: Invoice) -> Invoice:
    """The session, then its bill (the order of every money path)."""
    Booking.objects.select_for_update().filter(pk=invoice.booking_id).values_list("pk").first()
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("booking__client", "professional__user")
        .get(pk=invoice.pk)
    )


def _check_key(form_key: str) -> None:
    if len(form_key) != 32 or not form_key.isalnum():
        raise BillingError(_("This form has expired. Open the bill and try again."))


def invoice_mark_paid(
    *,
    invoice: Invoice,
    by: User,
    method: str,
    paid_on: date,
    reference: str = "",
    form_key: str,
) -> Payment:
    """Record that the client paid the professional themselves; the bill is paid
    as of `paid_on` and the client gets a receipt. The same `form_key` always
    gives the same payment (a double submit records once).

    A card payment the bank is deciding is never crossed: refused until it has
    an answer. One waiting for the client at their bank's page is cancelled (at
    the provider too, after commit); if the bank says yes all the same, that
    money goes back (services.payment_record)."""
    _check_key(form_key)
    if method not in Payment.ManualMethod.values or not method:
        raise BillingError(_("Choose how the client paid."), field="method")
    reference = reference.strip()
    if len(reference) > Payment._meta.get_field("reference").max_length:  # type: ignore[operator]
        raise BillingError(_("The reference is too long."), field="reference")
    key = f"manual-{invoice.code}-{form_key}"
    stopped = None
    with transaction.atomic():
        invoice = _lock(invoice)
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing  # the same form sent again
        if invoice.status != Invoice.Status.OPEN:
            raise BillingError(bill_not_open_message(invoice))
        earliest, latest = paid_on_range(invoice)
        if paid_on > latest:
            raise BillingError(_("The date cannot be in the future."), field="paid_on")
        if paid_on < earliest:
            raise BillingError(
                _("The date cannot be before %(date)s.")
                % {"date": date_format(earliest, "DATE_FORMAT")},
                field="paid_on",
            )
        in_progress = (
            invoice.payments.select_for_update(of=("self",))
            .select_related("method")
            .filter(status__in=IN_PROGRESS)
            .first()
        )
        if in_progress is not None and in_progress.status == Payment.Status.PENDING:
            raise BillingError(
                _(
                    "The client's card payment for this bill is being processed by their "
                    "bank. Wait for its answer: if it goes through, the bill is paid; if not, "
                    "you can then mark it paid."
                )
            )
        if in_progress is not None:
            payment_cancel_recorded(in_progress, reason=Payment.CancelReason.PAID_OTHERWISE)
            stopped = in_progress
        zone = zoneinfo.ZoneInfo(invoice.professional.user.time_zone)
        # Midday of that day where the professional is, so that the day reads the
        # same in nearby zones; never later than now.
        paid_at = min(
            timezone.make_aware(datetime.combine(paid_on, time(12)), zone), timezone.now()
        )
        payment = Payment.objects.create(
            invoice=invoice,
            amount=invoice.amount,
            currency=invoice.currency,
            idempotency_key=key,
            provider=MANUAL,
            manual_method=method,
            paid_on=paid_on,
            reference=reference,
            recorded_by=by,
        )
        _succeed(invoice, payment, paid_at=paid_at)
    if stopped is not None:
        payment_cancel_at_provider(payment_id=stopped.pk)
    return payment


def invoice_mark_paid_undo(*, invoice: Invoice, by: User) -> Payment:
    """Take back a manual payment recorded by mistake: kept, marked cancelled (who
    and when), and the bill is open again. The client, who had a receipt, is told
    by e-mail that it no longer stands."""
    with transaction.atomic():
        invoice = _lock(invoice)
        payment = (
            invoice.payments.select_for_update(of=("self",))
            .filter(provider=MANUAL, status=Payment.Status.SUCCEEDED)
            .first()
        )
        if payment is None or invoice.status != Invoice.Status.PAID:
            raise BillingError(_("This bill has no payment you recorded that can be undone."))
        now = timezone.now()
        payment.status, payment.cancel_reason = (
            Payment.Status.CANCELLED,
            Payment.CancelReason.MISTAKE,
        )
        payment.cancelled_at, payment.cancelled_by = now, by
        payment.save(update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by"])
        invoice.status, invoice.paid_at = Invoice.Status.OPEN, None
        invoice.save(update_fields=["status", "paid_at"])
        payment_email_client(invoice, payment, template="payment-withdrawn")
    return payment


def refund_mark_returned(*, invoice: Invoice, by: User) -> Refund:
    """The professional has given back a manual payment themselves (its session was
    cancelled in time): the refund, the payment and the bill say so."""
    refund = (
        Refund.objects.filter(
            payment__invoice=invoice,
            payment__provider=MANUAL,
            status__in=[Refund.Status.PENDING, Refund.Status.FAILED],
        )
        .only("pk")
        .first()
    )
    if refund is None:
        raise BillingError(_("There is no payment on this bill for you to return."))
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(returned_by=by)
        refund_succeeded(refund_id=refund.pk)
    refund.refresh_from_db()
    return refund
