"""Invoices, cards and payments. A payment is taken at most once per invoice:
retries share an idempotency key, the invoice row is locked while a payment
starts, the database allows one successful payment per invoice, and each
provider event is processed once."""

import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.billing.models import (
    Invoice,
    InvoiceCounter,
    LocalIntent,
    Payment,
    PaymentMethod,
    ProviderEvent,
)
from tengja.billing.providers import ChargeResult, ChargeStatus, ProviderError, get_provider
from tengja.bookings.events import BookingEvent, Kind
from tengja.bookings.models import Booking
from tengja.lib.emails import email_send

logger = logging.getLogger(__name__)


class BillingError(Exception):
    """A refusal with a message meant for the person paying; `field` as in ProviderError."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------ invoices


def invoice_issue(*, booking: Booking) -> Invoice | None:
    """The invoice for a booked session that is not paid with credits: the next
    number of the professional's series, without gaps (the counter row is locked)."""
    if booking.paid_with != Booking.PaidWith.INVOICE or booking.price_amount == 0:
        return None
    with transaction.atomic():
        counter, _ = InvoiceCounter.objects.get_or_create(professional=booking.professional)
        counter = InvoiceCounter.objects.select_for_update().get(pk=counter.pk)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        return Invoice.objects.create(
            professional=booking.professional,
            number=counter.last_number,
            booking=booking,
            description=booking.session_type.name,
            session_starts_at=booking.starts_at,
            amount=booking.price_amount,
            currency=booking.currency,
        )


def invoice_after_cancellation(*, booking: Booking) -> None:
    """A cancellation within policy voids the invoice, or refunds it if paid; a late
    one by the client leaves it payable."""
    invoice = Invoice.objects.select_for_update().filter(booking=booking).first()
    if invoice is None or booking.late_cancellation:
        return
    now = timezone.now()
    if invoice.status == Invoice.Status.OPEN:
        invoice.status, invoice.voided_at = Invoice.Status.VOID, now
        invoice.save(update_fields=["status", "voided_at"])
        # A payment still waiting for the bank is dropped; if the bank says yes
        # later, _succeed refunds it.
        invoice.payments.filter(
            status__in=[Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION]
        ).update(status=Payment.Status.FAILED, failure_message="The session was cancelled.")
    elif invoice.status == Invoice.Status.PAID:
        payment = invoice.payments.filter(status=Payment.Status.SUCCEEDED).first()
        if payment is not None:
            get_provider(payment.provider).refund(
                payment_ref=payment.provider_ref, idempotency_key=f"refund-{payment.code}"
            )
            payment.status = Payment.Status.REFUNDED
            payment.save(update_fields=["status"])
        invoice.status, invoice.refunded_at = Invoice.Status.REFUNDED, now
        invoice.save(update_fields=["status", "refunded_at"])


def on_booking_event(event: BookingEvent) -> None:
    """Told of each booking change (see tengja.bookings.events)."""
    if event.kind == Kind.BOOKED:
        invoice_issue(booking=event.booking)
    elif event.kind == Kind.CANCELLED:
        invoice_after_cancellation(booking=event.booking)


# ------------------------------------------------------------------ cards


def card_add(*, user: User, data: dict) -> PaymentMethod:
    provider = get_provider()
    try:
        card = provider.card_save(user=user, data=data)
    except ProviderError as error:
        raise BillingError(str(error), field=error.field) from None
    with transaction.atomic():
        has_default = PaymentMethod.objects.filter(
            user=user, is_default=True, removed_at__isnull=True
        ).exists()
        return PaymentMethod.objects.create(
            user=user,
            provider=provider.name,
            provider_ref=card.provider_ref,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            is_default=not has_default,
        )


def card_update_expiry(*, method: PaymentMethod, exp_month: int, exp_year: int) -> None:
    try:
        get_provider(method.provider).card_update_expiry(
            provider_ref=method.provider_ref, exp_month=exp_month, exp_year=exp_year
        )
    except ProviderError as error:
        raise BillingError(str(error), field=error.field) from None
    method.exp_month, method.exp_year = exp_month, exp_year
    method.save(update_fields=["exp_month", "exp_year"])


def card_remove(*, method: PaymentMethod) -> None:
    try:
        get_provider(method.provider).card_remove(provider_ref=method.provider_ref)
    except ProviderError as error:
        raise BillingError(str(error)) from None
    with transaction.atomic():
        was_default = method.is_default
        method.removed_at, method.is_default = timezone.now(), False
        method.save(update_fields=["removed_at", "is_default"])
        if was_default:
            successor = PaymentMethod.objects.filter(
                user=method.user, removed_at__isnull=True
            ).first()
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default"])


def card_make_default(*, method: PaymentMethod) -> None:
    with transaction.atomic():
        PaymentMethod.objects.filter(user=method.user, is_default=True).update(is_default=False)
        PaymentMethod.objects.filter(pk=method.pk).update(is_default=True)


# ------------------------------------------------------------------ payments


def new_payment_key() -> str:
    """Put in the pay form once: a double click or a retried request sends it again."""
    return uuid.uuid4().hex


def invoice_pay(*, invoice: Invoice, method: PaymentMethod, payment_key: str) -> Payment:
    """Charge the invoice once. The same `payment_key` always gives the same payment."""
    if len(payment_key) != 32 or not payment_key.isalnum():
        raise BillingError(_("This payment form has expired. Open the bill and try again."))
    key = f"pay-{invoice.code}-{payment_key}"
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is None:
            existing = invoice.payments.filter(
                status__in=[Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION]
            ).first()
        if existing is not None:
            payment = existing  # the same request again, or one already under way
        elif invoice.status != Invoice.Status.OPEN:
            raise BillingError(
                _("This bill is not open for payment (it is %(status)s).")
                % {"status": invoice.get_status_display().lower()}
            )
        else:
            payment = Payment.objects.create(
                invoice=invoice,
                method=method,
                amount=invoice.amount,
                currency=invoice.currency,
                idempotency_key=key,
                provider=method.provider,
            )
    if payment.status != Payment.Status.PENDING:
        return payment  # settled, or waiting for the bank: no second charge
    # New, or left pending by a lost answer: ask the provider with the same key,
    # which gives back the same charge rather than a new one.
    return payment_charge(payment=payment)


def payment_charge(*, payment: Payment) -> Payment:
    """Ask the provider (again, with the same idempotency key) and record the answer."""
    method = payment.method
    if method is None:
        raise BillingError(_("That card has been removed. Choose another."))
    return_url = settings.SITE_URL + reverse(
        "billing:invoice", kwargs={"code": payment.invoice.code}
    )
    try:
        result = get_provider(payment.provider).charge(
            user=method.user,
            provider_ref=method.provider_ref,
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=payment.idempotency_key,
            return_url=return_url,
        )
    except ProviderError as error:
        # Left pending: the provider's event, or a retry with the same key, settles it.
        Payment.objects.filter(pk=payment.pk).update(failure_message=str(error)[:300])
        raise BillingError(str(error)) from None
    return payment_record(payment_id=payment.pk, result=result)


def payment_record(*, payment_id: int, result: ChargeResult) -> Payment:
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("invoice")
            .get(pk=payment_id)
        )
        if result.provider_ref and not payment.provider_ref:
            payment.provider_ref = result.provider_ref
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            payment.save(update_fields=["provider_ref"])
            return payment  # settled already (an event came first): never undone
        if result.status == ChargeStatus.SUCCEEDED:
            _succeed(payment)
        elif result.status == ChargeStatus.REQUIRES_ACTION:
            payment.status, payment.action_url = Payment.Status.REQUIRES_ACTION, result.action_url
            payment.save(update_fields=["status", "action_url", "provider_ref"])
        elif result.status == ChargeStatus.FAILED:
            payment.status = Payment.Status.FAILED
            payment.failure_message = result.message[:300]
            payment.save(update_fields=["status", "failure_message", "provider_ref"])
        else:
            payment.save(update_fields=["provider_ref"])
    return payment


def _succeed(payment: Payment) -> None:
    now = timezone.now()
    payment.status, payment.succeeded_at, payment.action_url = Payment.Status.SUCCEEDED, now, ""
    payment.failure_message = ""
    payment.save()
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("booking__client", "professional__user")
        .get(pk=payment.invoice_id)
    )
    if invoice.status != Invoice.Status.OPEN:
        # The bill was voided (the session cancelled in time) while the bank was
        # still confirming: give the money back rather than keep it unbilled.
        get_provider(payment.provider).refund(
            payment_ref=payment.provider_ref, idempotency_key=f"refund-{payment.code}"
        )
        payment.status = Payment.Status.REFUNDED
        payment.save(update_fields=["status"])
        return
    invoice.status, invoice.paid_at = Invoice.Status.PAID, now
    invoice.save(update_fields=["status", "paid_at"])
    client = invoice.booking.client
    if client is not None:
        email_send(
            template="payment-receipt",
            to=client.email,
            context={
                "invoice": invoice,
                "payment": payment,
                "url": settings.SITE_URL
                + reverse("billing:invoice", kwargs={"code": invoice.code}),
            },
            language=client.language,
            time_zone=client.time_zone,
        )


# ------------------------------------------------------------------ provider events


def event_process(*, provider: str, event_id: str, type: str, payload: dict) -> str:
    """Apply a provider event once. A repeat is acknowledged and ignored; an event
    that arrives late (a failure after the success) never undoes a payment."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ProviderEvent.objects.create(
                    provider=provider, event_id=event_id, type=type, payload=payload
                )
        except IntegrityError:
            return "duplicate"
        intent = (payload.get("data") or {}).get("object") or {}
        intent_id = intent.get("payment_intent") if type.startswith("charge.") else intent.get("id")
        payment = (
            Payment.objects.filter(provider=provider, provider_ref=intent_id).first()
            if intent_id
            else None
        )
        if payment is None and intent.get("metadata", {}).get("idempotency_key"):
            payment = Payment.objects.filter(
                idempotency_key=intent["metadata"]["idempotency_key"]
            ).first()
        outcome = "ignored"
        if payment is not None:
            if type == "payment_intent.succeeded":
                payment_record(
                    payment_id=payment.pk, result=ChargeResult(ChargeStatus.SUCCEEDED, intent_id)
                )
                outcome = "succeeded"
            elif type == "payment_intent.payment_failed":
                error = intent.get("last_payment_error") or {}
                message = error.get("message") or _("Your card was declined.")
                payment_record(
                    payment_id=payment.pk,
                    result=ChargeResult(ChargeStatus.FAILED, intent_id, message=message),
                )
                outcome = "failed"
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
        return outcome


def local_authenticate(*, intent_id: str, approve: bool) -> None:
    """The local provider's stand-in for the bank's 3-D Secure page: settles the
    charge, then tells us through the same event path Stripe's webhooks use."""
    updated = LocalIntent.objects.filter(
        intent_id=intent_id, status=LocalIntent.Status.REQUIRES_ACTION
    ).update(status=LocalIntent.Status.SUCCEEDED if approve else LocalIntent.Status.FAILED)
    if not updated:
        return
    event_process(
        provider="local",
        event_id=f"evt_local_{uuid.uuid4().hex}",
        type="payment_intent.succeeded" if approve else "payment_intent.payment_failed",
        payload={
            "data": {
                "object": {
                    "id": intent_id,
                    "last_payment_error": {
                        "message": _("The authentication failed. Try again or use another card.")
                    },
                }
            }
        },
    )
