from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.lib.codes import public_code
from tengja.lib.money import CURRENCIES


class Language(models.Model):
    """A language a professional holds sessions in (ISO 639-1 code)."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Specialty(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Professional(models.Model):
    """The public side of a user who offers sessions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="professional"
    )
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    title = models.CharField(_("title"), max_length=100, help_text=_("For example Psychologist."))
    bio = models.TextField(_("short bio"), blank=True, max_length=2000)
    # Until there is messaging, how a client reaches them (to arrange another time):
    # shown to anyone who sees their page, only if they give one.
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # Their own terms and cancellation policy, in each language a client may read
    # Tengja in: shown before a client books or accepts an invitation, on each
    # session page and in the warning before a late cancellation (`policy_for`).
    policy_en = models.TextField(
        _("terms and cancellation policy, in English"), max_length=2000, blank=True
    )
    policy_is = models.TextField(
        _("terms and cancellation policy, in Icelandic"), max_length=2000, blank=True
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="professionals", verbose_name=_("languages")
    )
    specialties = models.ManyToManyField(
        Specialty, blank=True, related_name="professionals", verbose_name=_("specialties")
    )
    # Who bills the client: printed on every invoice (bookkeeping law wants the
    # seller's name, address and ID number; a VAT number where registered).
    business_name = models.CharField(_("business name"), max_length=150, blank=True)
    business_address = models.TextField(_("business address"), max_length=500, blank=True)
    business_id = models.CharField(_("ID number"), max_length=32, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    # An operator can stop a professional taking new bookings (invitations, hub
    # bookings, hub offers); the sessions already booked go on as they are.
    is_active = models.BooleanField(_("taking new bookings"), default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")

    def __str__(self) -> str:
        return str(self.user)

    def policy_for(self, language: str) -> str:
        """The terms in `language` ("is", "en"), else in the other: a client
        reading Tengja in Icelandic sees the English terms rather than none."""
        texts = {"en": self.policy_en, "is": self.policy_is}
        first = texts.pop(language.split("-")[0], "")
        return (first or next(iter(texts.values()), "")).strip()

    # The set-up checklist on a new professional's Home. has_session_types and
    # has_hours are annotated by selectors.professional_of (no extra queries).

    @property
    def profile_ready(self) -> bool:
        return bool(self.title.strip() and self.bio.strip())

    @property
    def is_set_up(self) -> bool:
        """Ready to be booked: a public profile, a session type offered, weekly hours."""
        has_types = getattr(self, "has_session_types", None)
        if has_types is None:
            has_types = self.session_types.filter(is_active=True).exists()
        has_hours = getattr(self, "has_hours", None)
        if has_hours is None:
            has_hours = self.weekly_availability.exists()
        return self.profile_ready and has_types and has_hours


class ProfessionalInvitation(models.Model):
    """An operator's invitation to join Tengja as a professional.

    The link is made when the e-mail is sent (only its hash is kept, and a resend
    replaces it); it works once, until it expires. A new address creates its
    account through it; an address that already has one signs in and accepts.
    """

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    email = models.EmailField(_("email"))
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    professional = models.ForeignKey(
        Professional, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("professional invitation")
        verbose_name_plural = _("professional invitations")
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address: inviting again means sending it again.
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_professional_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


# The longest address an on-site session type may give (a street, a postcode
# and town, a floor or room: a few short lines).
ADDRESS_MAX_LENGTH = 300


class SessionType(models.Model):
    class Mode(models.TextChoices):
        """Where the session happens. A video session has its call in Tengja; an
        on-site one at the type's address, with no call. (A PHONE mode existed
        without any meaning behind it and was never offered: a stored "phone"
        reads as video, as it always did.)"""

        VIDEO = "video", _("Video")
        IN_PERSON = "in_person", _("On site")

    class Notice(models.IntegerChoices):
        NONE = 0, _("No notice")
        DAY = 24, _("24 hours")
        TWO_DAYS = 48, _("48 hours")
        THREE_DAYS = 72, _("72 hours")

    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="session_types"
    )
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    name = models.CharField(_("name"), max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    price_amount = models.PositiveIntegerField(_("price (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode, default=Mode.VIDEO)
    # Where an on-site session takes place; empty for video. Booked sessions keep
    # the address they were booked with (Booking.location).
    address = models.CharField(_("address"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        _("cancellation notice"), choices=Notice, default=Notice.DAY
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("session type")
        verbose_name_plural = _("session types")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0),
                name="sessiontype_duration_positive",
                violation_error_message=_("Choose a duration between 5 and 480 minutes."),
            ),
            models.UniqueConstraint(
                fields=["professional", "name"],
                name="sessiontype_name_unique_per_professional",
                violation_error_message=_("You already have a session type with this name."),
            ),
            models.CheckConstraint(
                condition=~Q(mode="in_person") | ~Q(address=""),
                name="sessiontype_on_site_has_address",
                violation_error_message=_("Give the address where on-site sessions take place."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_on_site(self) -> bool:
        return self.mode == self.Mode.IN_PERSON

    @property
    def location(self) -> str:
        """What a session booked now keeps as its place (Booking.location): the
        address of an on-site type, nothing for video."""
        return self.address if self.is_on_site else ""

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


class WeeklyAvailability(models.Model):
    """A recurring window, in the professional's own time zone, when sessions may start."""

    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="weekly_availability"
    )
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts__lt=F("ends")),
                name="availability_order",
                violation_error_message=_("The end must come after the start."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6),
                name="availability_weekday",
                violation_error_message=_("Choose a day of the week."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AvailabilityException(models.Model):
    """A day off, or extra hours, on one date, in the professional's own time zone."""

    class Kind(models.TextChoices):
        OFF = "off", _("Day off")
        EXTRA = "extra", _("Extra hours")

    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind)
    starts = models.TimeField(_("from"), null=True, blank=True)
    ends = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["date", "starts"]
        indexes = [models.Index(fields=["professional", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"
