from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking
from tengja.lib.codes import public_code
from tengja.lib.money import CURRENCIES
from tengja.professionals.models import Professional


class PaymentMethod(models.Model):
    """A saved card. Only what a person needs to recognise it is kept here; the
    card itself lives with the provider (provider_ref)."""

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    provider = models.CharField(max_length=10)
    provider_ref = models.CharField(max_length=100)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="one_default_card_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"


class InvoiceCounter(models.Model):
    """The last invoice number a professional issued; locked while issuing the next."""

    professional = models.OneToOneField(Professional, on_delete=models.CASCADE)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.professional_id}: {self.last_number}"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    REFUND_PENDING = "refund_pending", _("Refund pending")
    REFUNDED = "refunded", _("Refunded")
    CREDITED = "credited", _("Credited")  # cancelled by a credit note, and reissued
    ISSUED = "issued", _("Issued")  # a credit note's only status


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class Invoice(models.Model):
    """From a professional to a client for one session. Immutable once issued:
    only its status moves on (open → paid → refund pending → refunded, or
    open → void)."""

    Status = InvoiceStatus
    Kind = InvoiceKind

    IMMUTABLE = (
        "number",
        "kind",
        "corrects_id",
        "professional_id",
        "booking_id",
        "amount",
        "currency",
        "description",
        "session_starts_at",
        "issued_at",
    )

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.PositiveIntegerField()
    # A credit note cancels the invoice it `corrects` (in full), as bookkeeping
    # wants when an issued bill was wrong: a moved session gets a credit note for
    # its old bill and a new bill for its new time. Both share the number series.
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.INVOICE)
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    # The client is the booking's (who may create their account after the invoice).
    # A session has one standing bill; a corrected one keeps its place in the books.
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="invoices")
    description = models.CharField(max_length=200)
    session_starts_at = models.DateTimeField(null=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN)
    issued_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-number"]
        indexes = [
            # A professional's open bills (a client's page lists them), however
            # many they have had paid.
            models.Index(
                fields=["professional", "session_starts_at"],
                condition=Q(status=InvoiceStatus.OPEN),
                name="invoice_open_by_professional",
            ),
            # The same, where the status is a parameter of a prepared statement
            # (which a partial index cannot serve): a professional's open bills
            # by client (dashboard.selectors.PracticeClients).
            models.Index(fields=["professional", "status"], name="invoice_professional_status"),
            # A professional's paid bills by their session's month: the practice
            # page's twelve months (bookings.chart), without reading older years.
            models.Index(
                fields=["professional", "status", "session_starts_at"],
                name="invoice_status_by_session",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "number"], name="invoice_number_unique_per_professional"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind=InvoiceKind.INVOICE) & ~Q(status=InvoiceStatus.CREDITED),
                name="one_standing_invoice_per_session",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, corrects__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, corrects__isnull=False),
                name="credit_notes_correct_an_invoice",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = Invoice.objects.filter(pk=self.pk).values(*self.IMMUTABLE).first()
            if stored and any(stored[f] != getattr(self, f) for f in self.IMMUTABLE):
                raise ValueError("An issued invoice cannot be changed; void or refund it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Invoices are never deleted; void or refund them instead.")

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def due_at(self) -> datetime | None:
        """When the bill is to be paid: by the session's start (a bill issued
        later, when it was issued). A credit note asks for no payment."""
        if self.is_credit_note:
            return None
        if self.session_starts_at is None:
            return self.issued_at
        return max(self.issued_at, self.session_starts_at)

    @property
    def paid_manually_display(self) -> str:
        """How it was paid outside Tengja, where a selector annotated
        `paid_manually` (billing.selectors.invoices_for_client)."""
        method = getattr(self, "paid_manually", None)
        return str(ManualMethod(method).label) if method else ""

    @property
    def display_number(self) -> str:
        return f"{self.issued_at:%Y}-{self.number:05d}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    REQUIRES_ACTION = "requires_action", _("Needs authentication")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    # Stopped before it was taken: a payment in progress belongs to the card it was
    # started with, and ends (at the provider too) when that no longer holds.
    CANCELLED = "cancelled", _("Cancelled")


# A payment that took the bill's money (and may have given it back since).
PAID = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


class CancelReason(models.TextChoices):
    NONE = "", "-"
    CARD_CHANGED = "card_changed", _("Another card was chosen")
    CARD_REMOVED = "card_removed", _("The card was removed")
    SESSION_CANCELLED = "session_cancelled", _("The session was cancelled")
    PAYMENT_SKIPPED = "payment_skipped", _("The professional chose not to charge")
    PROVIDER = "provider", _("Cancelled at the payment provider")
    # A payment the professional recorded (ManualMethod) and then withdrew.
    MISTAKE = "mistake", _("Recorded by mistake")
    # A card payment waiting for the client's bank page, stopped because the
    # professional recorded the bill paid another way.
    PAID_OTHERWISE = "paid_otherwise", _("The bill was paid another way")


class ManualMethod(models.TextChoices):
    """How a client paid the professional outside Tengja (recorded by them)."""

    NONE = "", "-"
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    CASH = "cash", _("cash")
    CARD_TERMINAL = "card_terminal", _("card terminal")


# The provider name of payments the professional records (no provider is asked).
MANUAL = "manual"


class Payment(models.Model):
    """A charge by card through a provider; or, with provider MANUAL, money the
    professional says they received themselves (bank transfer, cash, their own
    card terminal), recorded so the one-successful-payment rule still holds."""

    Status = PaymentStatus
    CancelReason = CancelReason
    ManualMethod = ManualMethod

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # Sent with every provider call, so a retried call never charges twice.
    idempotency_key = models.CharField(max_length=80, unique=True)
    # Charged by the professional without the client there ("Charge now"): the
    # provider is told, so a bank that wants the holder to confirm declines it
    # rather than waiting for someone who is not at the page.
    off_session = models.BooleanField(default=False)
    provider = models.CharField(max_length=10)
    provider_ref = models.CharField(max_length=100, blank=True, db_index=True)
    action_url = models.URLField(max_length=1000, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(
        max_length=20, choices=CancelReason, blank=True, default=CancelReason.NONE
    )
    # A manual payment: how and on which day (in the professional's zone) it was
    # paid, their reference, and who recorded it; and who withdrew it, if anyone.
    manual_method = models.CharField(
        max_length=20, choices=ManualMethod, blank=True, default=ManualMethod.NONE
    )
    paid_on = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Dispute(models.TextChoices):
        NONE = "", _("None")
        OPEN = "open", _("Disputed by the bank")
        WON = "won", _("Dispute closed: the payment stands")
        LOST = "lost", _("Dispute closed: the money went back")

    # The client's bank disputing the payment (a chargeback), as the provider tells it.
    dispute = models.CharField(max_length=10, choices=Dispute, blank=True, default="")
    dispute_ref = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one successful payment per invoice, whatever is retried.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED]),
                name="one_successful_payment_per_invoice",
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=[PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION]),
                name="one_payment_in_progress_per_invoice",
            ),
            # A manual payment says how and when; a card payment says neither.
            models.CheckConstraint(
                condition=(Q(provider=MANUAL) & ~Q(manual_method="") & Q(paid_on__isnull=False))
                | (~Q(provider=MANUAL) & Q(manual_method="") & Q(paid_on__isnull=True)),
                name="manual_payments_say_how_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.status}"

    @property
    def is_in_progress(self) -> bool:
        return self.status in (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION)

    @property
    def is_manual(self) -> bool:
        return self.provider == MANUAL

    @property
    def withdrawn(self) -> bool:
        """A manual payment the professional took back as a mistake."""
        return self.is_manual and self.cancel_reason == CancelReason.MISTAKE

    def paid_sentence(self) -> str:
        """A manual payment as the bill says it: "Paid by bank transfer on 3
        December 2026" (a sentence per method: languages word each differently)."""
        sentences = {
            ManualMethod.BANK_TRANSFER: _("Paid by bank transfer on %(date)s"),
            ManualMethod.CASH: _("Paid in cash on %(date)s"),
            ManualMethod.CARD_TERMINAL: _("Paid by card terminal on %(date)s"),
        }
        if not self.is_manual or self.paid_on is None:
            return ""
        # "3 December 2026" ("3. desember 2026"): no weekday, which Icelandic would
        # have to decline after "on".
        day = f"{date_format(self.paid_on, 'MONTH_DAY_FORMAT')} {self.paid_on.year}"
        return str(sentences[ManualMethod(self.manual_method)]) % {"date": day}

    def cancel_message(self) -> str:
        """Why this payment was stopped, said to the client (in their language)."""
        card = str(self.method) if self.method_id else _("your card")
        messages: dict[str, object] = {
            CancelReason.CARD_CHANGED: _(
                "This payment with %(card)s was cancelled because you chose to pay with "
                "another card. Nothing was taken from %(card)s."
            ),
            CancelReason.CARD_REMOVED: _(
                "This payment with %(card)s was cancelled because you removed the card. "
                "Nothing was taken from it."
            ),
            CancelReason.PAID_OTHERWISE: _(
                "This payment with %(card)s was cancelled because your professional recorded "
                "the bill as paid another way. Nothing was taken from %(card)s."
            ),
            CancelReason.SESSION_CANCELLED: _(
                "This payment was cancelled because the session was cancelled. Nothing was "
                "taken from %(card)s."
            ),
            CancelReason.PAYMENT_SKIPPED: _(
                "This payment was cancelled because the professional chose not to charge for "
                "the session. Nothing was taken from %(card)s."
            ),
        }
        message = messages.get(
            self.cancel_reason,
            _("This payment with %(card)s was cancelled. Nothing was taken from it."),
        )
        return str(message) % {"card": card}


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Refund pending")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refund failed")


class Refund(models.Model):
    """Money given back for a payment. Decided inside the transaction that decides
    it (a cancellation, a payment that came after its bill was voided); asked of
    the provider after commit by a task, with the refund's idempotency key, and
    retried with backoff until the provider says yes (services.refund_send)."""

    Status = RefundStatus

    class Reason(models.TextChoices):
        CANCELLED = "cancelled", _("The session was cancelled in time.")
        LATE_PAYMENT = "late_payment", _("The payment came after the bill was voided.")
        PROVIDER = "provider", _("Refunded through the payment provider.")
        DISPUTE = "dispute", _("The client's bank reversed the payment.")
        # The bank confirmed a payment after it had been cancelled (another card
        # chosen, the card removed, the session cancelled): it is never kept.
        PAYMENT_CANCELLED = "payment_cancelled", _("The payment had been cancelled.")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    reason = models.CharField(max_length=20, choices=Reason)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    # The same key on every attempt: the provider refunds once, however often asked.
    idempotency_key = models.CharField(max_length=80, unique=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # A refund of a manual payment is the professional's to make (Tengja never
    # held the money): they say when they have, and who did is kept.
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="refund_pending_due",
                condition=Q(status=RefundStatus.PENDING),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.status}"


class ProviderEvent(models.Model):
    """A webhook event, stored once: a repeat of the same id is acknowledged and ignored."""

    provider = models.CharField(max_length=10)
    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # What came of it: applied, ignored (not ours), or refused and why.
    outcome = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class StripeCustomer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    customer_id = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.customer_id


class LocalIntent(models.Model):
    """The local test provider's own record of a charge or of saving a card, as
    Stripe keeps its PaymentIntents and SetupIntents: one per idempotency key, so
    a retried charge is the same charge."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "PaymentIntent"
        SETUP = "setup", "SetupIntent"

    class Status(models.TextChoices):
        NEW = "new", "new"
        REQUIRES_ACTION = "requires_action", "requires_action"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        REFUNDED = "refunded", "refunded"
        CANCELED = "canceled", "canceled"

    intent_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    payment_method_ref = models.CharField(max_length=100)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # Stripe's own names for a PaymentIntent's states (this is its stand-in).
    status = models.CharField(max_length=20, choices=Status)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.PAYMENT)
    # A card being saved, until its holder authenticates: whose, and what to keep.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    card = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.intent_id} {self.status}"
