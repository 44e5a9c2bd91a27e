import zoneinfo
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.accounts.models import validate_time_zone
from tengja.lib.codes import public_code
from tengja.lib.dates import add_months


class Company(models.Model):
    name = models.CharField(_("name"), max_length=150)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="administered_companies",
        blank=True,
        verbose_name=_("HR admins"),
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Hub(models.Model):
    """A company's Wellbeing Hub, reached through its public link."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="hubs")
    name = models.CharField(_("name"), max_length=150)
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    welcome_text = models.TextField(_("welcome text"), blank=True)
    # Credit policy: each member gets this many credits per period, which expire
    # at the end of it.
    credits_per_period = models.PositiveSmallIntegerField(_("credits per member"), default=6)
    period_months = models.PositiveSmallIntegerField(_("period (months)"), default=12)
    # One price for every session in the hub: with a price per professional, a
    # jump in the credits used would tell HR whom a member saw.
    credits_per_session = models.PositiveSmallIntegerField(_("credits per session"), default=1)
    # Where the hub's months begin and end for what HR sees: the same for every
    # viewer, or moving one's own zone would move single spends between months.
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    # The zones months were cut in before: [{"zone": ..., "until": "YYYY-MM-01"}],
    # appended by `time_zone_set` only. A change applies from the next month, so a
    # month is cut once, in one zone: changing the hub's zone back and forth
    # cannot move a single spend between months HR sees either.
    time_zone_history = models.JSONField(default=list, blank=True, editable=False)
    # How often members are asked for the WHO-5 Wellbeing Index (tengja.wellbeing):
    # every 2 or 3 weeks, or never (0).
    wellbeing_every_weeks = models.PositiveSmallIntegerField(
        _("Wellbeing Index every"),
        choices=[(2, _("2 weeks")), (3, _("3 weeks")), (0, _("Off"))],
        default=2,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Wellbeing Hub")
        verbose_name_plural = _("Wellbeing Hubs")

    def __str__(self) -> str:
        return self.name

    def zone_of_month(self, first_day: date) -> zoneinfo.ZoneInfo:
        """The zone the month beginning on `first_day` begins in."""
        for past in self.time_zone_history:  # oldest first
            if first_day < date.fromisoformat(past["until"]):
                return zoneinfo.ZoneInfo(past["zone"])
        return zoneinfo.ZoneInfo(self.time_zone)

    def month_boundary(self, first_day: date) -> datetime:
        """The moment the hub's month beginning on `first_day` begins."""
        return datetime.combine(first_day, time(), tzinfo=self.zone_of_month(first_day))

    def month_start(self, now: datetime | None = None) -> datetime:
        """When the hub's current month began, in the hub's zone (never the viewer's)."""
        now = now or timezone.now()
        month = now.astimezone(UTC).date().replace(day=1)
        # Any zone is within a day of UTC: the month began at one of these.
        return max(
            boundary
            for boundary in (self.month_boundary(add_months(month, k)) for k in (-1, 0, 1))
            if boundary <= now
        )

    def time_zone_set(self, zone: str, *, now: datetime | None = None) -> list[str]:
        """Cut the hub's months in `zone` from the next month on (the months begun
        keep theirs). Returns the fields changed, to save."""
        if zone == self.time_zone:
            return []
        following = add_months(self.month_start(now).date(), 1)
        self.time_zone_history = [
            *self.time_zone_history,
            {"zone": self.time_zone, "until": following.isoformat()},
        ]
        self.time_zone = zone
        return ["time_zone", "time_zone_history"]

    @property
    def time_zone_now(self) -> str:
        """The zone this month is cut in (`time_zone` unless a change waits)."""
        return self.zone_of_month(self.month_start().date()).key

    @property
    def time_zone_from(self) -> date | None:
        """The first day of the first month cut in `time_zone`, if that is still to
        come (a change waiting for the next month); else None."""
        if not self.time_zone_history:
            return None
        until = date.fromisoformat(self.time_zone_history[-1]["until"])
        return until if until > self.month_start().date() else None


def domain_normalise(value: str) -> str:
    """The domain of an address, or a domain as HR types it: "@Acme.IS " is "acme.is"."""
    return value.strip().lower().rsplit("@", 1)[-1]


class HubDomain(models.Model):
    """An e-mail domain whose addresses may join the hub."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253)

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        constraints = [
            models.UniqueConstraint(fields=["hub", "domain"], name="hubdomain_unique_per_hub")
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.domain = domain_normalise(self.domain)
        super().save(*args, **kwargs)


class HubInvitedAddress(models.Model):
    """An address that may join the hub whatever its domain."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="invited_addresses")
    email = models.EmailField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "email"], name="hubinvited_unique_per_hub")
        ]

    def __str__(self) -> str:
        return self.email


class OfferStatus(models.TextChoices):
    ASKED = "asked", _("Waiting for the professional")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class HubProfessional(models.Model):
    """A professional offered in a hub. HR asks; the professional accepts (choosing
    the session type members book) or declines. Only accepted offers are shown."""

    Status = OfferStatus

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="offers")
    professional = models.ForeignKey(
        "professionals.Professional", on_delete=models.CASCADE, related_name="hub_offers"
    )
    session_type = models.ForeignKey(
        "professionals.SessionType", on_delete=models.CASCADE, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=OfferStatus, default=OfferStatus.ASKED)
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "professional"], name="hub_offers_professional_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=OfferStatus.ACCEPTED)
                | models.Q(session_type__isnull=False),
                name="hub_offer_accepted_with_a_session_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional} in {self.hub}"

    @property
    def credits(self) -> int:
        """What a session costs in this hub (the same for every professional)."""
        return self.hub.credits_per_session


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for e-mail confirmation")
    ACTIVE = "active", _("Active")
    REMOVED = "removed", _("Removed")


class Membership(models.Model):
    Status = MembershipStatus

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_memberships"
    )
    # The work address that proves eligibility (may differ from the login e-mail).
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    verify_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    verify_expires_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "user"], name="one_membership_per_hub_and_user"),
            # One work address claims the hub's credits once, whoever else asks with it.
            models.UniqueConstraint(
                fields=["hub", "email"],
                condition=models.Q(status=MembershipStatus.ACTIVE),
                name="one_active_membership_per_work_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.hub_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class CreditKind(models.TextChoices):
    GRANT = "grant", _("Granted")
    SPEND = "spend", _("Spent")
    REFUND = "refund", _("Refunded")
    EXPIRE = "expire", _("Expired")


class CreditEntry(models.Model):
    """The credit ledger: append-only. The balance is the sum of the entries."""

    Kind = CreditKind

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=6, choices=Kind)
    # Signed: grants and refunds add, spending and expiry take away.
    amount = models.IntegerField()
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # For a grant: when what is left of it expires.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=[CreditKind.GRANT, CreditKind.REFUND], amount__gt=0)
                    | models.Q(kind__in=[CreditKind.SPEND, CreditKind.EXPIRE], amount__lt=0)
                ),
                name="credit_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("The credit ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The credit ledger is append-only.")


class CreditRequest(models.Model):
    """A professional asks the company for more credits for a member, from one of
    their sessions; HR decides without learning who the member is. A request
    still waiting closes by itself when its session is cancelled or the member
    deletes their account (services.credit_requests_close): there is nobody
    left to give the credits to."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Closed")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE)
    # The session it was asked from (empty only for requests made before it was kept).
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credits = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.credits} for {self.membership_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED
