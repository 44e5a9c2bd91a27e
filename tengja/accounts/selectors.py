from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tengja.accounts.models import EmailChange, RecoveryCode, User


def email_change_waiting(*, user: User) -> EmailChange | None:
    """The change of address still waiting for its confirmation link, if any."""
    return (
        EmailChange.objects.filter(
            user=user, confirmed_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )


@dataclass(frozen=True)
class TwoFactorState:
    enabled: bool
    since: datetime | None
    recovery_codes_left: int
    required: bool


def two_factor_state(*, user: User) -> TwoFactorState:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).only("created_at").first()
    left = RecoveryCode.objects.filter(device__user=user, used_at=None).count() if device else 0
    return TwoFactorState(
        enabled=device is not None,
        since=device.created_at if device else None,
        recovery_codes_left=left,
        required=second_factor_required(user=user),
    )


def two_factor_enabled(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(*, user: User) -> bool:
    """Whether the operator requires two-step sign-in of this person: with
    REQUIRE_2FA_FOR_STAFF, of professionals and HR admins. (The relations are the
    professionals' and hubs' apps', reached by name so accounts imports neither.)"""
    if not settings.REQUIRE_2FA_FOR_STAFF:
        return False
    return (
        User.objects.filter(pk=user.pk)
        .filter(Q(professional__isnull=False) | Q(administered_companies__isnull=False))
        .exists()
    )
