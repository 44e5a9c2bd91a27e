"""Outcome measures a professional sends a client, and the client's answers
(issue 30). Clinical data: only the client, the professional who sent the
measure, and professionals the client chooses to share their scores with
(Share). Never HR. SECURITY.md says what a deletion does to it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking
from tengja.lib.codes import public_code
from tengja.measures.instruments import BAND_NAMES, GAD7, INSTRUMENTS, PHQ9
from tengja.measures.instruments import Instrument as Questionnaire
from tengja.professionals.models import Professional


class MeasureRequest(models.Model):
    """A professional asks a client to answer a questionnaire: once, or before
    every session (each confirmed session with them asks for one answer in the
    DUE_DAYS before it)."""

    class Instrument(models.TextChoices):
        PHQ9 = PHQ9, "PHQ-9"
        GAD7 = GAD7, "GAD-7"

    class Mode(models.TextChoices):
        ONCE = "once", _("Once")
        EVERY_SESSION = "every_session", _("Before every session")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="measure_requests"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="measure_requests"
    )
    instrument = models.CharField(_("questionnaire"), max_length=10, choices=Instrument)
    mode = models.CharField(_("how often"), max_length=16, choices=Mode, default=Mode.ONCE)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("measure request")
        verbose_name_plural = _("measure requests")
        indexes = [
            models.Index(fields=["client", "active"]),
            models.Index(fields=["professional", "client"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} ({self.get_mode_display()})"

    @property
    def questionnaire(self) -> Questionnaire:
        return INSTRUMENTS[self.instrument]


class MeasureResponse(models.Model):
    """One answer to a request, kept exactly as given, scored when saved. For a
    request before every session, one per session (`booking`)."""

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    request = models.ForeignKey(MeasureRequest, on_delete=models.CASCADE, related_name="responses")
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="measure_responses"
    )
    answers = models.JSONField(default=dict)
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20)
    item9 = models.BooleanField(default=False)
    answered_at = models.DateTimeField(default=timezone.now)
    # Item 9 above 0 flags the answer for the professional who sent the
    # questionnaire until they mark it seen (measures.services.flag_seen): when,
    # and by whom. The answer keeps item 9 for good.
    flag_seen_at = models.DateTimeField(null=True, blank=True)
    flag_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("measure response")
        verbose_name_plural = _("measure responses")
        ordering = ["answered_at", "pk"]
        indexes = [
            models.Index(fields=["request", "answered_at"]),
            # A professional's flags still to see: a handful of rows, however many answers.
            models.Index(
                fields=["request", "-answered_at"],
                name="measureresponse_flag_open",
                condition=models.Q(item9=True, flag_seen_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "booking"],
                condition=models.Q(booking__isnull=False),
                name="measureresponse_one_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.total} ({self.band})"

    @property
    def flag_open(self) -> bool:
        """Flagged for the professional who sent it, and not yet marked seen."""
        return self.item9 and self.flag_seen_at is None

    @property
    def band_name(self) -> str:
        return str(BAND_NAMES.get(self.band, self.band))


class Share(models.Model):
    """The client shares their scores with a professional they have sessions with."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="measure_shares"
    )
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="measure_shares"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shared scores")
        verbose_name_plural = _("shared scores")
        constraints = [
            models.UniqueConstraint(fields=["client", "professional"], name="share_one_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.professional_id}"
