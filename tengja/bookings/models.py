import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tengja.lib.money import CURRENCIES
from tengja.professionals.models import Professional, SessionType


def booking_code() -> str:
    """The booking's name in URLs: random, so it says nothing about other bookings."""
    return secrets.token_urlsafe(9)


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    class PaidWith(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDITS = "credits", _("Credits")

    code = models.CharField(max_length=16, unique=True, default=booking_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, related_name="bookings"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bookings",
        null=True,
        blank=True,
        help_text=_("Empty until an invited client creates an account."),
    )
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.CONFIRMED)
    # A snapshot of the price when booked: later price changes do not alter it.
    price_amount = models.PositiveIntegerField(_("price (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    paid_with = models.CharField(
        _("paid with"), max_length=10, choices=PaidWith, default=PaidWith.INVOICE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["professional", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_order"),
        ]

    def __str__(self) -> str:
        return f"{self.session_type} {self.starts_at:%Y-%m-%d %H:%M}"
