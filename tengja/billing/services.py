"""Invoices, cards and payments. A payment is taken at most once per invoice:
retries share an idempotency key, the invoice row is locked while a payment
starts, the database allows one successful payment per invoice, and each
provider event is processed once."""

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.billing import events as billing_events
from tengja.billing.models import (
    MANUAL,
    Invoice,
    InvoiceCounter,
    LocalIntent,
    Payment,
    PaymentMethod,
    ProviderEvent,
    Refund,
)
from tengja.billing.providers import (
    CardAuthentication,
    CardDetails,
    ChargeResult,
    ChargeStatus,
    ProviderError,
    get_provider,
)
from tengja.billing.selectors import invoice_standing, payment_in_progress
from tengja.bookings.events import BookingEvent, Kind
from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError
from tengja.lib.emails import email_send

logger = logging.getLogger(__name__)


class BillingError(Exception):
    """A refusal with a message meant for the person paying; `field` as in ProviderError."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------ invoices


def _next_number(professional) -> int:
    """The next number of the professional's series, without gaps (the counter row
    stays locked until the caller's transaction ends)."""
    counter, _ = InvoiceCounter.objects.get_or_create(professional=professional)
    counter = InvoiceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def invoice_issue(*, booking: Booking) -> Invoice | None:
    """The invoice for a booked session that is not paid with credits."""
    if booking.paid_with != Booking.PaidWith.INVOICE or booking.price_amount == 0:
        return None
    with transaction.atomic():
        invoice = Invoice.objects.create(
            professional=booking.professional,
            number=_next_number(booking.professional),
            booking=booking,
            description=booking.session_type.name,
            session_starts_at=booking.starts_at,
            amount=booking.price_amount,
            currency=booking.currency,
        )
        billing_events.publish(
            billing_events.BillingEvent(billing_events.Kind.PAYMENT_DUE, invoice)
        )
        return invoice


def invoice_after_cancellation(*, booking: Booking) -> None:
    """A cancellation within policy voids the invoice, or refunds it if paid; a late
    one by the client leaves it payable."""
    invoice = invoice_standing(booking=booking, lock=True)
    if invoice is None or booking.late_cancellation:
        return
    if invoice.status == Invoice.Status.OPEN:
        _invoice_void(invoice, reason=Payment.CancelReason.SESSION_CANCELLED)
    elif invoice.status == Invoice.Status.PAID:
        # The refund is recorded here and asked of the provider after commit: a
        # provider that fails cannot undo the cancellation, and a cancellation
        # that rolls back asks for nothing.
        paid = invoice.payments.filter(status=Payment.Status.SUCCEEDED).first()
        if paid is not None:
            refund_request(invoice=invoice, payment=paid, reason=Refund.Reason.CANCELLED)


def _invoice_void(invoice: Invoice, *, reason: str) -> None:
    """Void an open bill (locked). A payment still waiting for the bank is
    cancelled, at the provider too once this commits; if the bank says yes all
    the same, it is refunded."""
    invoice.status, invoice.voided_at = Invoice.Status.VOID, timezone.now()
    invoice.save(update_fields=["status", "voided_at"])
    for payment in invoice.payments.select_for_update().filter(status__in=IN_PROGRESS):
        payment_cancel_recorded(payment, reason=reason)
        transaction.on_commit(
            partial(payment_cancel_at_provider, payment_id=payment.pk), robust=True
        )


def invoice_after_done(*, booking: Booking) -> None:
    """A session marked done with its payment skipped (Booking.payment_skipped_reason)
    is not billed: its open bill is voided. A bill already paid cannot be skipped:
    the professional refunds it instead, so marking done is refused (and rolled back)."""
    if not booking.payment_skipped_reason:
        return
    invoice = invoice_standing(booking=booking, lock=True)
    if invoice is None or invoice.status in (Invoice.Status.VOID, Invoice.Status.REFUNDED):
        return
    if invoice.status != Invoice.Status.OPEN:
        raise BookingError(
            _("This session's bill is %(status)s, so its payment cannot be skipped.")
            % {"status": invoice.get_status_display().lower()}
        )
    _invoice_void(invoice, reason=Payment.CancelReason.PAYMENT_SKIPPED)


def invoice_correct_after_move(*, booking: Booking) -> Invoice | None:
    """A moved session's bill still named the old time. An issued bill never
    changes: a credit note cancels it, and a new bill names the new time. What was
    paid (or is being paid) moves to the new bill with its payments."""
    invoice = invoice_standing(booking=booking, lock=True)
    if invoice is None or invoice.session_starts_at == booking.starts_at:
        return None
    if invoice.status not in (Invoice.Status.OPEN, Invoice.Status.PAID):
        return None  # void or refunded: nothing is billed any more
    Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        corrects=invoice,
        professional=invoice.professional,
        number=_next_number(invoice.professional),
        booking=booking,
        description=invoice.description,
        session_starts_at=invoice.session_starts_at,
        amount=invoice.amount,
        currency=invoice.currency,
        status=Invoice.Status.ISSUED,
    )
    was = invoice.status
    invoice.status = Invoice.Status.CREDITED
    invoice.save(update_fields=["status"])
    corrected = Invoice.objects.create(
        professional=invoice.professional,
        number=_next_number(invoice.professional),
        booking=booking,
        description=invoice.description,
        session_starts_at=booking.starts_at,
        amount=invoice.amount,
        currency=invoice.currency,
        status=was,
        paid_at=invoice.paid_at,
    )
    invoice.payments.update(invoice=corrected)
    return corrected


def on_booking_event(event: BookingEvent) -> None:
    """Told of each booking change (see tengja.bookings.events)."""
    if event.kind == Kind.BOOKED:
        invoice_issue(booking=event.booking)
    elif event.kind == Kind.CANCELLED:
        invoice_after_cancellation(booking=event.booking)
    elif event.kind == Kind.MOVED:
        invoice_correct_after_move(booking=event.booking)
    elif event.kind == Kind.DONE:
        invoice_after_done(booking=event.booking)


# ------------------------------------------------------------------ cards


def card_add(*, user: User, data: dict) -> PaymentMethod | CardAuthentication:
    """Save a card; or, when its bank wants the holder to authenticate first, what
    to show them (the card is saved once they have: card_setup_authenticated)."""
    provider = get_provider()
    try:
        card = provider.card_save(user=user, data=data)
    except ProviderError as error:
        raise BillingError(str(error), field=error.field) from None
    if isinstance(card, CardAuthentication):
        return card
    return _card_keep(user=user, provider=provider.name, card=card)


def _card_keep(*, user: User, provider: str, card: CardDetails) -> PaymentMethod:
    """What we keep of a card: enough to recognise it. The first one is the default."""
    with transaction.atomic():
        has_default = PaymentMethod.objects.filter(
            user=user, is_default=True, removed_at__isnull=True
        ).exists()
        kept = PaymentMethod.objects.create(
            user=user,
            provider=provider,
            provider_ref=card.provider_ref,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            is_default=not has_default,
        )
        return kept


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
    """Remove a saved card. A payment it was paying that the bank has not taken yet
    is cancelled (at the provider too): a removed card is never charged."""
    processing = Payment.objects.filter(method=method, status=Payment.Status.PENDING).exclude(
        provider_ref=""
    )
    if processing.exists():
        # The bank is deciding and the provider cannot stop it now.
        raise BillingError(
            _(
                "Your %(card)s is paying a bill that the bank is still processing. You can "
                "remove it once the bank has decided."
            )
            % {"card": method}
        )
    try:
        get_provider(method.provider).card_remove(provider_ref=method.provider_ref)
    except ProviderError as error:
        raise BillingError(str(error)) from None
    with transaction.atomic():
        # Alone in its transaction: invoice_pay locks a card after its invoice,
        # and the payments below are locked after theirs.
        locked = PaymentMethod.objects.select_for_update().get(pk=method.pk)
        was_default = locked.is_default
        method.removed_at, method.is_default = timezone.now(), False
        method.save(update_fields=["removed_at", "is_default"])
        if was_default:
            successor = PaymentMethod.objects.filter(
                user=method.user, removed_at__isnull=True
            ).first()
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
    # Any payment started with the card before it was marked removed is seen here.
    for payment_id in Payment.objects.filter(method=method, status__in=IN_PROGRESS).values_list(
        "pk", flat=True
    ):
        payment_cancel(payment_id=payment_id, reason=Payment.CancelReason.CARD_REMOVED)


def card_make_default(*, method: PaymentMethod) -> None:
    with transaction.atomic():
        PaymentMethod.objects.filter(user=method.user, is_default=True).update(is_default=False)
        PaymentMethod.objects.filter(pk=method.pk).update(is_default=True)


# ------------------------------------------------------------------ payments


def new_payment_key() -> str:
    """Put in the pay form once: a double click or a retried request sends it again."""
    return uuid.uuid4().hex


IN_PROGRESS = [Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION]


def invoice_pay(
    *, invoice: Invoice, method: PaymentMethod, payment_key: str, off_session: bool = False
) -> Payment:
    """Charge the invoice once. The same `payment_key` always gives the same payment.

    A payment in progress belongs to the card it was started with: paying with
    that card again continues it (its bank page), while another card cancels it,
    at the provider too, and starts a new one."""
    if len(payment_key) != 32 or not payment_key.isalnum():
        raise BillingError(_("This payment form has expired. Open the bill and try again."))
    key = f"pay-{invoice.code}-{payment_key}"
    cancelled = None
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is None:
            # Locked after the invoice; card_remove marks a card removed holding only
            # the card, so a payment is either started before that (and then
            # cancelled by it) or sees the card removed.
            usable = (
                PaymentMethod.objects.select_for_update()
                .filter(pk=method.pk, removed_at__isnull=True)
                .values_list("pk")
                .first()
            )
            if usable is None:
                raise BillingError(_("That card has been removed. Choose another."))
            in_progress = (
                invoice.payments.select_for_update(of=("self",))
                .select_related("method")
                .filter(status__in=IN_PROGRESS)
                .first()
            )
            if in_progress is not None and in_progress.method_id == method.pk:
                existing = in_progress  # under way with this card: continue it
            elif in_progress is not None:
                if in_progress.status == Payment.Status.PENDING and in_progress.provider_ref:
                    raise BillingError(
                        _(
                            "Your payment with %(card)s is still being processed by the bank "
                            "and cannot be stopped now. This bill shows the result when it "
                            "is known."
                        )
                        % {"card": in_progress.method or _("another card")}
                    )
                payment_cancel_recorded(in_progress, reason=Payment.CancelReason.CARD_CHANGED)
                cancelled = in_progress
        if existing is not None:
            payment = existing  # the same request again, or one already under way
        elif invoice.status != Invoice.Status.OPEN:
            raise BillingError(bill_not_open_message(invoice))
        else:
            payment = Payment.objects.create(
                invoice=invoice,
                method=method,
                amount=invoice.amount,
                currency=invoice.currency,
                idempotency_key=key,
                provider=method.provider,
                off_session=off_session,
            )
    if cancelled is not None:
        # Before the new card is charged: the old page can no longer take money.
        payment_cancel_at_provider(payment_id=cancelled.pk)
    if payment.status != Payment.Status.PENDING:
        return payment  # settled, or waiting for the bank: no second charge
    # New, or left pending by a lost answer: ask the provider with the same key,
    # which gives back the same charge rather than a new one.
    return payment_charge(payment=payment)


def bill_not_open_message(invoice: Invoice) -> str:
    if invoice.status == Invoice.Status.VOID:
        if invoice.booking.payment_skipped_reason:
            return _(
                "The professional chose not to charge for this session, so this bill is void: "
                "there is nothing to pay."
            )
        return _("The session was cancelled, so this bill is void: there is nothing to pay.")
    return _("This bill is not open for payment (it is %(status)s).") % {
        "status": invoice.get_status_display().lower()
    }


def charge_refusal(*, booking: Booking, by: User) -> str | None:
    """Why `by` cannot charge the client's card for the session now, or None:
    only its professional, for a session marked done (and not cancelled) or one
    cancelled late or missed that stays payable (Booking.late_cancellation).
    Whether its bill is open is asked under the lock (invoice_pay)."""
    if booking.role_of(by) != Booking.Role.PROFESSIONAL:
        return _("Only the session's professional can charge for it.")
    if booking.paid_with_credits:
        return _("This session is paid with credits: there is nothing to charge.")
    if booking.is_cancelled and not booking.late_cancellation:
        return _("This session was cancelled, so there is nothing to charge.")
    if not booking.is_cancelled and booking.completed_at is None:
        return _("Mark the session done before charging for it.")
    return None


def _ask_client_to_pay(invoice: Invoice) -> None:
    """The client is told their bill is waiting (the in-app notice a new bill gives)."""
    with transaction.atomic():
        billing_events.publish(
            billing_events.BillingEvent(billing_events.Kind.PAYMENT_DUE, invoice)
        )


def invoice_charge_now(*, booking: Booking, by: User, payment_key: str) -> Payment:
    """The professional charges the session's open bill to the client's default
    saved card, without the client there ("Charge now"). The same path as the
    client's own Pay (invoice_pay): one payment per `payment_key`, the invoice
    locked before the card and the payment, the provider asked after commit with
    one idempotency key, so a double click or two requests at once charge once.

    With no card to charge, nothing is started; when the bank wants the client to
    confirm (3-D Secure) or declines, the bill stays open. Either way the client is
    told to pay it, and BillingError (no card) or the payment returned says so."""
    refusal = charge_refusal(booking=booking, by=by)
    if refusal:
        raise BillingError(refusal)
    invoice = invoice_standing(booking=booking)
    if invoice is None:
        raise BillingError(_("This session has no bill to charge."))
    card = (
        PaymentMethod.objects.filter(
            user_id=booking.client_id, is_default=True, removed_at__isnull=True
        ).first()
        if booking.client_id is not None
        else None
    )
    if card is None:
        if invoice.status != Invoice.Status.OPEN:
            raise BillingError(bill_not_open_message(invoice))
        if booking.client_id is None:
            raise BillingError(
                _(
                    "%(email)s has not accepted the invitation yet, so there is no card to "
                    "charge. The bill stays open."
                )
                % {"email": booking.client_label}
            )
        _ask_client_to_pay(invoice)
        raise BillingError(
            _(
                "%(name)s has no saved card, so nothing was charged. The bill stays open, "
                "and we have asked them to pay it."
            )
            % {"name": booking.client_label}
        )
    under_way = payment_in_progress(invoice=invoice)
    if under_way is not None and under_way.method_id != card.pk:
        # The client is paying it with another card (invoice_pay would cancel that).
        raise BillingError(
            _(
                "%(name)s is paying this bill with another card right now, so nothing was "
                "charged. The bill shows the result when it is known."
            )
            % {"name": booking.client_label}
        )
    # A bill no longer open is refused there, unless this is the same request
    # again (the same key): then it gives back the same payment.
    payment = invoice_pay(invoice=invoice, method=card, payment_key=payment_key, off_session=True)
    if payment.status in (Payment.Status.REQUIRES_ACTION, Payment.Status.FAILED):
        _ask_client_to_pay(invoice)
    return payment


def payment_charge(*, payment: Payment) -> Payment:
    """Ask the provider (again, with the same idempotency key) and record the answer."""
    method = payment.method
    if method is None or method.removed_at is not None:
        raise BillingError(_("That card has been removed. Choose another."))
    payment.refresh_from_db(fields=["status", "provider_ref", "action_url"])
    if payment.status != Payment.Status.PENDING:
        # Cancelled (or settled) since it was started: never charged now. A charge
        # already on its way is cancelled or refunded when its answer comes.
        return payment
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
            off_session=payment.off_session,
        )
    except ProviderError as error:
        # Left pending: the provider's event, or a retry with the same key, settles it.
        Payment.objects.filter(pk=payment.pk).update(failure_message=str(error)[:300])
        raise BillingError(str(error)) from None
    return payment_record(payment_id=payment.pk, result=result)


def payment_cancel_recorded(payment: Payment, *, reason: str) -> None:
    """Mark a payment in progress cancelled (it is locked, after its invoice). The
    caller asks the provider to cancel it too once this commits
    (payment_cancel_at_provider): never inside the transaction."""
    payment.status, payment.cancel_reason = Payment.Status.CANCELLED, reason
    payment.cancelled_at, payment.action_url = timezone.now(), ""
    payment.save(update_fields=["status", "cancel_reason", "cancelled_at", "action_url"])


def payment_cancel(*, payment_id: int, reason: str) -> None:
    """Cancel a payment in progress: recorded first, then asked of the provider."""
    with transaction.atomic():
        _invoice, payment = _lock_invoice_then_payment(payment_id)
        if not payment.is_in_progress:
            return
        payment_cancel_recorded(payment, reason=reason)
    payment_cancel_at_provider(payment_id=payment_id)


def payment_cancel_at_provider(*, payment_id: int) -> None:
    """Ask the provider to cancel a payment we have recorded as cancelled, with an
    idempotency key, and record what it says: too late (the bank said yes) means
    the money goes back. If the provider cannot be reached, the charge stays
    cancelled here, and a yes that comes later is refunded (payment_record)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.CANCELLED or payment.is_manual:
        return  # a manual payment was never at a provider
    try:
        result = get_provider(payment.provider).cancel(
            payment_ref=payment.provider_ref, idempotency_key=payment.idempotency_key
        )
    except ProviderError as error:
        logger.warning("payment %s: cancel at the provider failed: %r", payment.code, error)
        return
    payment_record(payment_id=payment_id, result=result)


def _lock_invoice_then_payment(payment_id: int) -> tuple[Invoice, Payment]:
    """The one lock order of the money paths: the session, its invoice, then the
    payment (a cancellation takes them in this order too), so that no two of them
    wait for each other. The session comes first because what a payment writes
    (a notice naming the session) must wait for a cancellation holding it."""
    invoice_id, booking_id = Payment.objects.values_list("invoice_id", "invoice__booking_id").get(
        pk=payment_id
    )
    Booking.objects.select_for_update().filter(pk=booking_id).values_list("pk").first()
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("booking__client", "professional__user")
        .get(pk=invoice_id)
    )
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.invoice = invoice
    return invoice, payment


def payment_record(*, payment_id: int, result: ChargeResult) -> Payment:
    with transaction.atomic():
        invoice, payment = _lock_invoice_then_payment(payment_id)
        if result.provider_ref and not payment.provider_ref:
            payment.provider_ref = result.provider_ref
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            payment.save(update_fields=["provider_ref"])
            return payment  # settled already (an event came first): never undone
        if payment.status == Payment.Status.CANCELLED or (
            result.status == ChargeStatus.SUCCEEDED
            and invoice.payments.filter(
                status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED]
            ).exists()
        ):
            _settle_unwanted(invoice, payment, result)
        elif result.status == ChargeStatus.SUCCEEDED:
            _succeed(invoice, payment)
        elif result.status == ChargeStatus.REQUIRES_ACTION:
            payment.status, payment.action_url = Payment.Status.REQUIRES_ACTION, result.action_url
            payment.save(update_fields=["status", "action_url", "provider_ref"])
        elif result.status == ChargeStatus.FAILED:
            payment.status = Payment.Status.FAILED
            payment.failure_message = result.message[:300]
            payment.save(update_fields=["status", "failure_message", "provider_ref"])
        elif result.status == ChargeStatus.CANCELLED and payment.is_in_progress:
            # Cancelled at the provider without us (its dashboard, or it gave up).
            payment_cancel_recorded(payment, reason=Payment.CancelReason.PROVIDER)
            payment.save(update_fields=["provider_ref"])
        else:
            payment.save(update_fields=["provider_ref"])
    return payment


def _settle_unwanted(invoice: Invoice, payment: Payment, result: ChargeResult) -> None:
    """What the provider says of a payment that must not be kept: one we cancelled
    (another card chosen, the card removed, the session cancelled), or a second
    one for a bill already paid. Money it took goes back; a charge still waiting
    for the bank is cancelled there too."""
    if result.status == ChargeStatus.SUCCEEDED and payment.succeeded_at is None:
        now = timezone.now()
        if payment.status != Payment.Status.CANCELLED:
            payment.status, payment.cancelled_at = Payment.Status.CANCELLED, now
        payment.succeeded_at, payment.action_url = now, ""
        payment.save(
            update_fields=["status", "cancelled_at", "succeeded_at", "action_url", "provider_ref"]
        )
        refund_request(invoice=invoice, payment=payment, reason=Refund.Reason.PAYMENT_CANCELLED)
        client = invoice.booking.client
        if client is not None:
            # Their statement shows a charge: say at once why, and that it goes back.
            email_send(
                template="payment-returned",
                to=client.email,
                context={
                    "invoice": invoice,
                    "payment": payment,
                    "session_cancelled": invoice.status == Invoice.Status.VOID,
                    "url": settings.SITE_URL
                    + reverse("billing:invoice", kwargs={"code": invoice.code}),
                },
                language=client.language,
                time_zone=client.time_zone,
            )
        return
    payment.save(update_fields=["provider_ref"])
    if result.status == ChargeStatus.REQUIRES_ACTION and payment.status == Payment.Status.CANCELLED:
        # A charge call that was on its way when we cancelled: its bank page is live.
        transaction.on_commit(
            lambda: payment_cancel_at_provider(payment_id=payment.pk), robust=True
        )


def _succeed(invoice: Invoice, payment: Payment, *, paid_at: datetime | None = None) -> None:
    """Both rows locked, invoice first (_lock_invoice_then_payment). `paid_at`: when
    a payment the professional records was made (billing.manual), else now."""
    now = paid_at or timezone.now()
    payment.status, payment.succeeded_at, payment.action_url = Payment.Status.SUCCEEDED, now, ""
    payment.failure_message = ""
    payment.save()
    if invoice.status != Invoice.Status.OPEN:
        # The bill was voided (the session cancelled in time) while the bank was
        # still confirming: give the money back rather than keep it unbilled.
        refund_request(invoice=invoice, payment=payment, reason=Refund.Reason.LATE_PAYMENT)
        return
    invoice.status, invoice.paid_at = Invoice.Status.PAID, now
    invoice.save(update_fields=["status", "paid_at"])
    billing_events.publish(
        billing_events.BillingEvent(billing_events.Kind.PAYMENT_RECEIVED, invoice, payment=payment)
    )
    payment_email_client(invoice, payment, template="payment-receipt")


# ------------------------------------------------------------------ refunds

# Waits after the 1st, 2nd, ... failed attempt to refund; then an operator is needed.
REFUND_BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
]
# A refund claimed this long ago without an answer was lost with its worker: as the
# provider refunds once per idempotency key, asking again is safe. It is longer than
# one call to the provider can take (providers.stripe.STRIPE_TIMEOUT, three tries),
# so a live worker's call is not asked twice at once; the periodic sweep (every
# minute) then finds it, so a dead worker's refund goes out within about 3 minutes.
REFUND_CLAIM_TIMEOUT = timedelta(minutes=2)


def payment_email_client(invoice: Invoice, payment: Payment, *, template: str) -> None:
    """E-mail the bill's client about its payment (a receipt, or one withdrawn),
    with a link to the bill; a client without an account yet has no bill page."""
    client = invoice.booking.client
    if client is None:
        return
    email_send(
        template=template,
        to=client.email,
        context={
            "invoice": invoice,
            "payment": payment,
            "url": settings.SITE_URL + reverse("billing:invoice", kwargs={"code": invoice.code}),
        },
        language=client.language,
        time_zone=client.time_zone,
    )


def refund_request(*, invoice: Invoice, payment: Payment, reason: str) -> Refund:
    """Record that a payment is to be given back (in the caller's transaction, the
    invoice and payment locked); refund_send asks the provider after commit."""
    refund, _created = Refund.objects.get_or_create(
        idempotency_key=f"refund-{payment.code}",
        defaults={
            "payment": payment,
            "amount": payment.amount,
            "currency": payment.currency,
            "reason": reason,
        },
    )
    if invoice.status == Invoice.Status.PAID and payment.status == Payment.Status.SUCCEEDED:
        invoice.status = Invoice.Status.REFUND_PENDING
        invoice.save(update_fields=["status"])
    if payment.is_manual:
        # Paid to the professional outside Tengja: theirs to give back, and to
        # mark returned (billing.manual.refund_mark_returned). No provider is asked.
        return refund
    transaction.on_commit(lambda: _enqueue_refund(refund.pk, refund.due_at))
    return refund


def _enqueue_refund(refund_id: int, due_at: datetime) -> None:
    from tengja.billing.tasks import refund_send_task

    try:
        if refund_send_task.get_backend().supports_defer:
            refund_send_task.using(run_after=due_at).enqueue(refund_id=refund_id)
        elif due_at <= timezone.now():
            refund_send_task.enqueue(refund_id=refund_id)
    except Exception:
        # The refund stays recorded; refunds_sweep finds it.
        logger.exception("could not enqueue refund %s", refund_id)


def refund_send(*, refund_id: int, now: datetime | None = None) -> str:
    """Ask the provider for a recorded refund, once it is due and nobody else is
    asking; record the answer, or try again later with backoff."""
    now = now or timezone.now()
    if Refund.objects.filter(pk=refund_id, payment__provider=MANUAL).exists():
        # Paid to the professional outside Tengja: never a provider's to refund.
        return "manual"
    claimed = Refund.objects.filter(
        pk=refund_id, status=Refund.Status.PENDING, claimed_at__isnull=True, due_at__lte=now
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "taken"
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    payment = refund.payment
    try:
        provider_ref = get_provider(payment.provider).refund(
            payment_ref=payment.provider_ref, idempotency_key=refund.idempotency_key
        )
    except ProviderError as error:
        # For the operator: what the provider said, not the message for clients.
        detail = repr(error.__cause__ or error)[:2000]
        logger.warning("refund %s failed: %s", refund.code, detail)
        if refund.attempts > len(REFUND_BACKOFF):
            Refund.objects.filter(pk=refund.pk).update(
                status=Refund.Status.FAILED, claimed_at=None, last_error=detail
            )
            logger.error("refund %s gave up after %s attempts", refund.code, refund.attempts)
            return "failed"
        due_at = now + REFUND_BACKOFF[refund.attempts - 1]
        Refund.objects.filter(pk=refund.pk).update(
            claimed_at=None, due_at=due_at, last_error=detail
        )
        _enqueue_refund(refund.pk, due_at)
        return "retry"
    refund_succeeded(refund_id=refund.pk, provider_ref=provider_ref or "")
    return "refunded"


def refund_succeeded(*, refund_id: int, provider_ref: str = "") -> None:
    """The provider has given the money back: the refund, the payment and the bill
    say so (invoice first, then payment, as everywhere)."""
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    with transaction.atomic():
        invoice, payment = _lock_invoice_then_payment(payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SUCCEEDED:
            return
        now = timezone.now()
        refund.status, refund.succeeded_at, refund.claimed_at = Refund.Status.SUCCEEDED, now, None
        refund.provider_ref = provider_ref or refund.provider_ref
        refund.save(update_fields=["status", "succeeded_at", "claimed_at", "provider_ref"])
        # Money a cancelled payment took: the bill is not this payment's.
        if payment.status != Payment.Status.CANCELLED:
            payment.status = Payment.Status.REFUNDED
            payment.save(update_fields=["status"])
            if invoice.status in (Invoice.Status.PAID, Invoice.Status.REFUND_PENDING):
                invoice.status, invoice.refunded_at = Invoice.Status.REFUNDED, now
                invoice.save(update_fields=["status", "refunded_at"])
        billing_events.publish(
            billing_events.BillingEvent(
                billing_events.Kind.REFUNDED, invoice, payment=payment, refund=refund
            )
        )


def refunds_sweep(*, now: datetime | None = None) -> int:
    """Enqueue again the refunds whose task was lost: due and unclaimed, or claimed
    so long ago that their worker must have died. Returns how many."""
    now = now or timezone.now()
    Refund.objects.filter(
        status=Refund.Status.PENDING, claimed_at__lte=now - REFUND_CLAIM_TIMEOUT
    ).update(claimed_at=None)
    due = (
        Refund.objects.filter(
            status=Refund.Status.PENDING, claimed_at__isnull=True, due_at__lte=now
        )
        .exclude(payment__provider=MANUAL)  # the professional's to return
        .values_list("pk", "due_at")
    )
    count = 0
    for refund_id, due_at in due:
        _enqueue_refund(refund_id, due_at)
        count += 1
    return count


# ------------------------------------------------------------------ provider events


class EventError(ValueError):
    """A provider event we cannot read (even if signed): refused with 400."""


def _text(value: object, name: str, limit: int | None) -> str:
    assert limit is not None  # the max_length of a CharField
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise EventError(f"{name} must be text of 1 to {limit} characters")
    return value


def event_check(payload: object) -> tuple[str, str, dict]:
    """The event's id, type and object, or EventError for a malformed one."""
    if not isinstance(payload, dict):
        raise EventError("an event is a JSON object")
    event_id = _text(payload.get("id"), "id", ProviderEvent._meta.get_field("event_id").max_length)
    kind = _text(payload.get("type"), "type", ProviderEvent._meta.get_field("type").max_length)
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise EventError("data.object must be an object")
    if not isinstance(obj.get("metadata", {}), dict):
        raise EventError("metadata must be an object")
    for key in ("id", "payment_intent", "charge", "currency", "status"):
        if obj.get(key) is not None:
            _text(obj[key], key, 255)
    for key in ("amount", "amount_received", "amount_refunded"):
        value = obj.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise EventError(f"{key} must be a whole number")
    return event_id, kind, obj


def _payment_for(provider: str, obj: dict, *, intent_key: str) -> Payment | None:
    """The payment an event is about: by the provider and its intent id; or, when
    our charge call's answer was lost, by the idempotency key we sent with it."""
    intent_id = obj.get(intent_key)
    payment = None
    if intent_id:
        payment = Payment.objects.filter(provider=provider, provider_ref=intent_id).first()
    key = (obj.get("metadata") or {}).get("idempotency_key")
    if payment is None and isinstance(key, str):
        payment = Payment.objects.filter(
            provider=provider, idempotency_key=key, provider_ref__in=["", intent_id or ""]
        ).first()
    return payment


def _mismatch(payment: Payment, obj: dict, amount_key: str) -> str:
    """Why the event's money is not this payment's, or "" if it is."""
    amount = obj.get(amount_key, obj.get("amount"))
    currency = str(obj.get("currency") or "").lower()
    if currency != payment.currency.lower():
        return f"currency {currency!r}, the payment's is {payment.currency.lower()!r}"
    if amount_key != "amount_refunded" and amount != payment.amount:
        return f"amount {amount!r}, the payment's is {payment.amount}"
    if amount_key == "amount_refunded" and not 0 < (amount or 0) <= payment.amount:
        return f"refunded {amount!r} of {payment.amount}"
    return ""


def _on_intent_succeeded(provider: str, obj: dict) -> str:
    payment = _payment_for(provider, obj, intent_key="id")
    if payment is None:
        return "ignored: no such payment"
    problem = _mismatch(payment, obj, "amount_received")
    if problem:
        return f"refused: {problem}"
    payment = payment_record(
        payment_id=payment.pk, result=ChargeResult(ChargeStatus.SUCCEEDED, obj["id"])
    )
    if payment.status == Payment.Status.CANCELLED:
        return "refunded: the payment had been cancelled"
    return "succeeded"


def _on_intent_failed(provider: str, obj: dict) -> str:
    payment = _payment_for(provider, obj, intent_key="id")
    if payment is None:
        return "ignored: no such payment"
    problem = _mismatch(payment, obj, "amount")
    if problem:
        return f"refused: {problem}"
    error = obj.get("last_payment_error")
    message = error.get("message") if isinstance(error, dict) else None
    result = ChargeResult(
        ChargeStatus.FAILED, obj["id"], message=str(message or _("Your card was declined."))
    )
    payment_record(payment_id=payment.pk, result=result)
    return "failed"


def _on_intent_canceled(provider: str, obj: dict) -> str:
    """Stripe's word that an intent is cancelled: ours (already recorded), or one
    cancelled in its dashboard, which ends the payment in progress here too."""
    payment = _payment_for(provider, obj, intent_key="id")
    if payment is None:
        return "ignored: no such payment"
    payment = payment_record(
        payment_id=payment.pk, result=ChargeResult(ChargeStatus.CANCELLED, obj["id"])
    )
    return "cancelled" if payment.status == Payment.Status.CANCELLED else "ignored: settled"


def _on_charge_refunded(provider: str, obj: dict) -> str:
    """A refund the provider made: ours confirmed, or one made in its dashboard
    (in full, or in part)."""
    payment = _payment_for(provider, obj, intent_key="payment_intent")
    if payment is None:
        return "ignored: no such payment"
    problem = _mismatch(payment, obj, "amount_refunded")
    if problem:
        return f"refused: {problem}"
    refunded = obj["amount_refunded"]
    invoice, payment = _lock_invoice_then_payment(payment.pk)
    ours = payment.refunds.exclude(status=Refund.Status.SUCCEEDED).first()
    if refunded >= payment.amount and ours is not None:
        refund_succeeded(refund_id=ours.pk, provider_ref=str(obj.get("id", "")))
        return "refunded"
    already = sum(r.amount for r in payment.refunds.filter(status=Refund.Status.SUCCEEDED))
    if refunded <= already:
        return "ignored: already recorded"
    now = timezone.now()
    refund = Refund.objects.create(
        payment=payment,
        amount=refunded - already,
        currency=payment.currency,
        reason=Refund.Reason.PROVIDER,
        status=Refund.Status.SUCCEEDED,
        idempotency_key=f"provider-{obj.get('id', payment.code)}-{refunded}",
        provider_ref=str(obj.get("id", "")),
        succeeded_at=now,
    )
    if refunded >= payment.amount and payment.status != Payment.Status.CANCELLED:
        payment.status = Payment.Status.REFUNDED
        payment.save(update_fields=["status"])
        if invoice.status in (Invoice.Status.PAID, Invoice.Status.REFUND_PENDING):
            invoice.status, invoice.refunded_at = Invoice.Status.REFUNDED, now
            invoice.save(update_fields=["status", "refunded_at"])
    billing_events.publish(
        billing_events.BillingEvent(
            billing_events.Kind.REFUNDED, invoice, payment=payment, refund=refund
        )
    )
    return "refunded" if refunded >= payment.amount else "partly refunded"


def _on_dispute(provider: str, obj: dict) -> str:
    """The client's bank disputes a payment (a chargeback), and later decides."""
    payment = _payment_for(provider, obj, intent_key="payment_intent")
    if payment is None:
        return "ignored: no such payment"
    problem = _mismatch(payment, obj, "amount")
    if problem:
        return f"refused: {problem}"
    invoice, payment = _lock_invoice_then_payment(payment.pk)
    status = obj.get("status")
    payment.dispute_ref = str(obj.get("id", ""))
    if status in ("won", "warning_closed"):
        payment.dispute, kind = Payment.Dispute.WON, billing_events.Kind.DISPUTE_CLOSED
    elif status == "lost":
        payment.dispute, kind = Payment.Dispute.LOST, billing_events.Kind.DISPUTE_CLOSED
        if payment.status != Payment.Status.CANCELLED:  # a cancelled one never paid the bill
            payment.status = Payment.Status.REFUNDED
        now = timezone.now()
        Refund.objects.get_or_create(
            idempotency_key=f"dispute-{payment.dispute_ref or payment.code}",
            defaults={
                "payment": payment,
                "amount": payment.amount,
                "currency": payment.currency,
                "reason": Refund.Reason.DISPUTE,
                "status": Refund.Status.SUCCEEDED,
                "provider_ref": payment.dispute_ref,
                "succeeded_at": now,
            },
        )
        if payment.status != Payment.Status.CANCELLED and invoice.status in (
            Invoice.Status.PAID,
            Invoice.Status.REFUND_PENDING,
        ):
            invoice.status, invoice.refunded_at = Invoice.Status.REFUNDED, now
            invoice.save(update_fields=["status", "refunded_at"])
    else:
        payment.dispute, kind = Payment.Dispute.OPEN, billing_events.Kind.DISPUTE_OPENED
    payment.save(update_fields=["dispute", "dispute_ref", "status"])
    billing_events.publish(billing_events.BillingEvent(kind, invoice, payment=payment))
    return f"dispute {payment.dispute}"


# One handler for each event type we act on; others are acknowledged and ignored.
EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "payment_intent.canceled": _on_intent_canceled,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute,
    "charge.dispute.closed": _on_dispute,
}


def event_process(*, provider: str, payload: dict) -> str:
    """Apply a provider event once (EventError if it is malformed). A repeat is
    acknowledged and ignored; an event that arrives late (a failure after the
    success) never undoes a payment; one whose money does not match its payment
    is recorded and refused, and never marks a bill paid."""
    event_id, kind, obj = event_check(payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ProviderEvent.objects.create(
                    provider=provider, event_id=event_id, type=kind, payload=payload
                )
        except IntegrityError:
            return "duplicate"
        handler = EVENT_HANDLERS.get(kind)
        outcome = handler(provider, obj) if handler else "ignored"
        if outcome.startswith("refused"):
            logger.error("provider event %s %s %s", event_id, kind, outcome)
        event.processed_at, event.outcome = timezone.now(), outcome[:200]
        event.save(update_fields=["processed_at", "outcome"])
        return outcome.split(":")[0]


def local_authenticate(*, intent_id: str, approve: bool) -> PaymentMethod | None:
    """The local provider's stand-in for the bank's 3-D Secure page. A card being
    saved is kept once authenticated (and returned); a charge is settled, then
    reported through the same event path Stripe's webhooks use."""
    from tengja.billing.providers.local import card_of, decline_message

    intent = LocalIntent.objects.filter(intent_id=intent_id).first()
    if intent is None:
        return None
    outcome = LocalIntent.Status.SUCCEEDED if approve else LocalIntent.Status.FAILED
    card = card_of(intent.payment_method_ref)
    if approve and intent.kind == LocalIntent.Kind.PAYMENT and card.after_authentication != "ok":
        outcome = LocalIntent.Status.FAILED  # authenticated, then declined (4000 0082 6000 3178)
    updated = LocalIntent.objects.filter(
        pk=intent.pk, status=LocalIntent.Status.REQUIRES_ACTION
    ).update(status=outcome)
    if not updated:
        return None
    if intent.kind == LocalIntent.Kind.SETUP:
        if outcome != LocalIntent.Status.SUCCEEDED:
            return None
        assert intent.user is not None  # a card is set up for a user
        details = CardDetails(provider_ref=intent.payment_method_ref, **intent.card)
        return _card_keep(user=intent.user, provider="local", card=details)
    failure = (
        decline_message(card.after_authentication)
        if approve
        else _("The authentication failed. Try again or use another card.")
    )
    event_process(
        provider="local",
        payload={
            "id": f"evt_local_{uuid.uuid4().hex}",
            "type": "payment_intent.succeeded"
            if outcome == LocalIntent.Status.SUCCEEDED
            else "payment_intent.payment_failed",
            "data": {
                "object": {
                    "id": intent_id,
                    "amount": intent.amount,
                    "amount_received": intent.amount
                    if outcome == LocalIntent.Status.SUCCEEDED
                    else 0,
                    "currency": intent.currency.lower(),
                    "last_payment_error": {"message": failure},
                }
            },
        },
    )
    return None
