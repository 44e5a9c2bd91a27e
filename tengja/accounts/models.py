import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from tengja.lib.codes import public_code
from tengja.lib.tokens import token_hash


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone we know. Choose one from the list."),
            code="invalid_time_zone",
            params={"value": value},
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # E-mail addresses are compared without regard to case.
        return self.get(email=(username or "").lower())

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


# The plugin cannot see RecoveryCodes' manager: its base, django_otp's Device, is untyped.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    # Names a client in a professional's addresses (/practice/clients/<code>/).
    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    picture = models.ImageField(_("picture"), upload_to="pictures/", blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    terms_version = models.CharField(_("terms version accepted"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set when the person deleted their account: the row stays (bookings and
    # invoices point to it), everything that names them is erased.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name to show others: after deletion, "Deleted account" in the
        reader's language, never the old name."""
        return str(_("Deleted account")) if self.erased_at else self.name

    def get_short_name(self) -> str:
        return self.name.split()[0] if self.name else self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()

    @property
    def initials(self) -> str:
        parts = self.name.split()
        return "".join(part[0] for part in parts[:2]).upper() or self.email[:1].upper()


class EmailChange(models.Model):
    """A pending change of address, confirmed by a link sent to the new one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.new_email}"


class RecoveryCodes(Device):
    """A person's recovery codes for two-step sign-in, as a django-otp device (so a
    sign-in with one is recorded like one with the app). Each code is shown once,
    kept only as a SHA-256 hash (they are random, 50 bits each) and works once."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def verify_token(self, token: str) -> bool:
        # One conditional UPDATE: of two sign-ins with the same code, one wins.
        return bool(
            self.codes.filter(
                code_hash=token_hash(recovery_code_normalise(token)), used_at=None
            ).update(used_at=timezone.now())
        )


def recovery_code_normalise(value: str) -> str:
    """What a person types ("ABCDE-FGHIJ", "abcde fghij") as the code was made."""
    return "".join(value.split()).replace("-", "").lower()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.device_id}"
