import datetime as dt
import zoneinfo
from datetime import UTC, datetime, time, timedelta

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


def default_min_notice_hours() -> int:
    return settings.SLOT_MIN_NOTICE_HOURS


BUFFER_CHOICES = [
    (0, _("No buffer")),
    (5, _("5 minutes")),
    (10, _("10 minutes")),
    (15, _("15 minutes")),
    (20, _("20 minutes")),
    (30, _("30 minutes")),
    (45, _("45 minutes")),
    (60, _("60 minutes")),
]
INTERVAL_CHOICES = [
    (15, _("Every 15 minutes")),
    (30, _("Every 30 minutes")),
    (60, _("Every hour")),
]
# The longest a bookable period may be: Tengja books no further ahead (bookings'
# BOOKING_HORIZON is two years of 366 days).
MAX_BOOKABLE_DAYS = 2 * 366
MAX_NOTICE_HOURS = 30 * 24


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
    # Calendar rules: which of their free times clients are offered (hub
    # browse, moving a session; bookings.slots). The defaults are what Tengja
    # offered before there were rules.
    bookable_days = models.PositiveSmallIntegerField(
        _("bookable period (days)"),
        null=True,
        blank=True,
        help_text=_("How far ahead clients may book. Leave empty for no limit (up to two years)."),
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"),
        default=default_min_notice_hours,
        help_text=_("How long before a start clients may still book it or move a session to it."),
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between sessions"), choices=BUFFER_CHOICES, default=0
    )
    slot_interval_minutes = models.PositiveSmallIntegerField(
        _("start times"), choices=INTERVAL_CHOICES, default=30
    )
    # Goes up with every change of hours, time off or rules: part of the cache
    # key of their next free time, so a kept time never outlives the change.
    calendar_version = models.PositiveIntegerField(default=0, editable=False)
    # Their own booking page (issue 29): a short, stable address they can put on
    # their website, shown only while it is on.
    booking_slug = models.SlugField(
        _("booking page address"), max_length=40, unique=True, null=True, blank=True
    )
    booking_page_on = models.BooleanField(_("booking page on"), default=False)
    # Limits on what clients may book themselves (the booking page; not
    # invitations the professional sends). Empty means no limit.
    max_sessions_per_day = models.PositiveSmallIntegerField(
        _("at most sessions a day"), null=True, blank=True
    )
    max_sessions_per_week = models.PositiveSmallIntegerField(
        _("at most sessions a week"), null=True, blank=True
    )
    same_day_booking = models.BooleanField(_("clients may book for the same day"), default=True)
    # What a new client must give before their first session (tengja.intake):
    # a list of tengja.intake.models.Detail values.
    required_details = models.JSONField(_("required client details"), default=list, blank=True)

    class Meta:
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def min_notice(self) -> timedelta:
        return timedelta(hours=self.min_notice_hours)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    @property
    def slot_interval(self) -> timedelta:
        return timedelta(minutes=self.slot_interval_minutes)

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

    class BookingMode(models.TextChoices):
        INSTANT = "instant", _("Bookable at once")
        REQUEST = "request", _("By request")

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
    # On the professional's booking page: booked at once, or asked for and
    # answered by the professional (bookings.BookingRequest).
    booking_mode = models.CharField(
        _("on the booking page"), max_length=10, choices=BookingMode, default=BookingMode.REQUEST
    )
    existing_clients_only = models.BooleanField(_("existing clients only"), default=False)

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
    """Extra hours on one date, or time off (a block): whole days or hours,
    once or every week, in the professional's own time zone.

    Time off runs from `date` at `starts` (the day's start when empty) until
    `ends_on` (the same date when empty) at `ends` (that day's end when empty):
    a day off is just a date. Weekly time off comes back every 7 days, its last
    time starting on `repeat_until` (for ever when empty). Its `label` is the
    professional's own: clients are only ever offered fewer free times."""

    class Kind(models.TextChoices):
        OFF = "off", _("Time off")
        EXTRA = "extra", _("Extra hours")

    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind)
    starts = models.TimeField(_("from"), null=True, blank=True)
    ends = models.TimeField(_("until"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    repeats_weekly = models.BooleanField(_("every week"), default=False)
    repeat_until = models.DateField(_("repeat until"), null=True, blank=True)

    class Meta:
        ordering = ["date", "starts"]
        indexes = [models.Index(fields=["professional", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("date")),
                name="exception_ends_on_after_date",
                violation_error_message=_("The end must come after the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"

    @property
    def last_day(self) -> dt.date:
        return self.ends_on or self.date

    @property
    def span(self) -> tuple[datetime, datetime]:
        """The first time off's start and end, as naive local wall times."""
        start = datetime.combine(self.date, self.starts or time.min)
        if self.ends is None:
            end = datetime.combine(self.last_day + timedelta(days=1), time.min)
        else:
            end = datetime.combine(self.last_day, self.ends)
        return start, end

    def occurrences(
        self, zone: zoneinfo.ZoneInfo, first: dt.date, last: dt.date
    ) -> list[tuple[datetime, datetime]]:
        """Each time off (UTC start, end) that touches a local date from `first`
        to `last`. Wall times hold across clock changes: every Monday 09:00 is
        09:00 in summer and in winter."""
        start, end = self.span
        length = end - start
        if not self.repeats_weekly:
            weeks = range(1)
        else:
            # The first repeat that may still reach `first`, to the last that
            # starts by `last` (and by repeat_until).
            lead = (first - self.date).days - length.days - 1
            until = min(last, self.repeat_until or last)
            weeks = range(max(0, lead // 7), (until - self.date).days // 7 + 1)
        result = []
        for week in weeks:
            wall_start = start + timedelta(weeks=week)
            wall_end = wall_start + length
            if wall_start.date() > last or wall_end.date() < first:
                continue
            result.append(
                (
                    wall_start.replace(tzinfo=zone).astimezone(UTC),
                    wall_end.replace(tzinfo=zone).astimezone(UTC),
                )
            )
        return result
