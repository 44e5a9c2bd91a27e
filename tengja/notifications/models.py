from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking, BookingRequest
from tengja.lib.codes import public_code
from tengja.measures.models import MeasureRequest


class Notification(models.Model):
    """An in-app notification. Its text is written when shown, in the reader's language."""

    class Kind(models.TextChoices):
        BOOKED = "booked", _("New booking")
        MOVED = "moved", _("Session moved")
        CANCELLED = "cancelled", _("Session cancelled")
        UPCOMING = "upcoming", _("Upcoming session")
        PAYMENT_DUE = "payment_due", _("Payment due")
        PAYMENT_RECEIVED = "payment_received", _("Payment received")
        REFUNDED = "refunded", _("Refund")
        DISPUTE_OPENED = "dispute_opened", _("Payment disputed")
        DISPUTE_CLOSED = "dispute_closed", _("Dispute closed")
        REQUEST_MADE = "request_made", _("New request")
        REQUEST_DECLINED = "request_declined", _("Request declined")
        REQUEST_EXPIRED = "request_expired", _("Request expired")
        MEASURE_SENT = "measure_sent", _("New questionnaire")
        MEASURE_ATTENTION = "measure_attention", _("An answer needs your attention")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # For the notices about a bill: opening one leads to the bill.
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # For the notices about a session request: opening one leads to the request.
    booking_request = models.ForeignKey(
        BookingRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # For the notices about a questionnaire (tengja.notifications.measures): opening
    # one leads to it (the client) or to the client's page (the professional).
    measure_request = models.ForeignKey(
        MeasureRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "created_at"]),  # the unread count
            # The list, newest first: read from the index and stop at the page's end.
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class Delivery(models.Model):
    """One e-mail to send, exactly once (see services.deliveries_send_due).

    A worker claims a batch of due rows with one conditional UPDATE before any
    e-mail goes out, so two workers never send one twice, and sends them in id
    order, recording each as it goes: a worker that dies mid-batch leaves one
    e-mail in doubt (given up on, never resent) and the rest to send again, once
    its claim (a lease the live worker renews) runs out, within a minute. A
    failure to send puts the claim back with a later due time (backoff) and
    records the error.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Booking confirmation")
        CHANGE = "change", _("Change of time")
        CANCELLATION = "cancellation", _("Cancellation")
        REMINDER_24H = "reminder_24h", _("Reminder 24 hours before")
        REMINDER_1H = "reminder_1h", _("Reminder 1 hour before")
        REQUEST_MADE = "request_made", _("New session request")
        REQUEST_DECLINED = "request_declined", _("Session request declined")
        REQUEST_EXPIRED = "request_expired", _("Session request expired")

    # About a session, or (for the REQUEST_ kinds) about a session request: one of the two.
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    booking_request = models.ForeignKey(
        BookingRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    kind = models.CharField(max_length=20, choices=Kind)
    role = models.CharField(max_length=12, choices=Booking.Role)
    # What the e-mail needs beyond the booking, e.g. the time before a move.
    context = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which batch took it: the rows one worker claimed at once.
    claim = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(booking__isnull=False, booking_request__isnull=True)
                | models.Q(booking__isnull=True, booking_request__isnull=False),
                name="delivery_of_booking_or_request",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="delivery_open_due",
                condition=models.Q(claimed_at__isnull=True, failed_at__isnull=True),
            ),
            # The batches being sent now, whose leases the sweep and every sending
            # task check: a handful of rows, however many e-mails were ever sent.
            models.Index(
                fields=["claimed_at"],
                name="delivery_claimed_unfinished",
                condition=models.Q(
                    claimed_at__isnull=False,
                    sent_at__isnull=True,
                    skipped_at__isnull=True,
                    failed_at__isnull=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.role} of {self.booking_id or self.booking_request_id}"


class Preferences(models.Model):
    """Which e-mails a user wants, and the version of their calendar feed address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    email_reminders = models.BooleanField(_("E-mail reminders before sessions"), default=True)
    feed_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
