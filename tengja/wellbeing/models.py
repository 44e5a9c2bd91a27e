"""A hub member's WHO-5 answers and session ratings (issue 30).

Each row hangs on a `Respondent`: one per member and hub, with a random key.
Deleting an account cuts the respondent's link to the user and keeps the rows
(SECURITY.md): HR's figures for ended months are de-identified aggregates that
must not move when one person leaves (nor may a deletion be told apart from a
change of mind), and what is left names nobody."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking
from tengja.hubs.models import Hub
from tengja.lib.codes import public_code
from tengja.professionals.models import Professional
from tengja.wellbeing.instruments import BAND_NAMES, band, percentage


class Respondent(models.Model):
    """A member answering in one hub: what HR's counts of "distinct respondents"
    count, and what stays of them once their account is deleted (user empty)."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="respondents")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wellbeing_respondents",
    )
    key = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("respondent")
        verbose_name_plural = _("respondents")
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "user"],
                condition=models.Q(user__isnull=False),
                name="respondent_one_per_hub_and_user",
            )
        ]

    def __str__(self) -> str:
        return self.key


class Checkin(models.Model):
    """One WHO-5 answer, kept as given with its raw score (0-25)."""

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="checkins")
    answers = models.JSONField(default=dict)
    raw = models.PositiveSmallIntegerField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("wellbeing answer")
        verbose_name_plural = _("wellbeing answers")
        ordering = ["answered_at", "pk"]
        indexes = [models.Index(fields=["respondent", "answered_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(raw__lte=25), name="checkin_raw_at_most_25")
        ]

    def __str__(self) -> str:
        return f"{self.percentage} %"

    @property
    def percentage(self) -> int:
        return percentage(self.raw)

    # measures' chart (Series) draws `total` out of its max_total.
    total = percentage

    @property
    def band(self) -> str:
        return band(self.raw)

    @property
    def band_name(self) -> str:
        return str(BAND_NAMES[self.band])


class Rating(models.Model):
    """A member's rating of their working bond after one hub session: answered
    (score, the mean of the items) or put aside (no score). Once per session."""

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="ratings")
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="wellbeing_rating"
    )
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="wellbeing_ratings"
    )
    answers = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("session rating")
        verbose_name_plural = _("session ratings")
        indexes = [
            models.Index(fields=["professional", "rated_at"]),
            models.Index(fields=["respondent", "rated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="rating_score_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return str(self.score) if self.score is not None else "-"


class Share(models.Model):
    """The member shares their wellbeing index with a professional they have had
    sessions with; revoked by deleting the row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wellbeing_shares"
    )
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="wellbeing_shares"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shared wellbeing index")
        verbose_name_plural = _("shared wellbeing indexes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "professional"], name="wellbeing_share_one_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.professional_id}"
