from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from tengja.accounts.models import User


class ProviderError(Exception):
    """A refusal or failure with a message meant for the person paying; `field`
    names the card form's field it is about ("number", "exp_month", "cvc"), if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CardDetails:
    provider_ref: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class ChargeStatus(StrEnum):
    """What a provider says of a charge it was asked for."""

    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # the bank wants the person to authenticate
    PENDING = "pending"  # the provider has not decided yet: its event will say
    FAILED = "failed"
    CANCELLED = "canceled"  # stopped before it was taken: it never will be


@dataclass(frozen=True)
class CardAuthentication:
    """Saving the card waits for its holder to authenticate (3-D Secure), at
    `action_url`; the card is saved once they have."""

    intent_id: str
    action_url: str


# Why a charge without the holder there was not taken (Stripe's
# `authentication_required`): said to the professional, who charged it.
AUTHENTICATION_REQUIRED = _(
    "The bank wants the card holder to confirm this payment, so it was not taken."
)


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    provider_ref: str = ""
    action_url: str = ""
    message: str = ""


class PaymentProvider(Protocol):
    name: str

    def card_save(self, *, user: User, data: dict) -> CardDetails | CardAuthentication:
        """Turn what the card form produced into a saved card (never a card number here
        for Stripe: its Elements send the number to Stripe and give us an id)."""

    def card_update_expiry(self, *, provider_ref: str, exp_month: int, exp_year: int) -> None: ...

    def card_remove(self, *, provider_ref: str) -> None: ...

    def charge(
        self,
        *,
        user: User,
        provider_ref: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str,
        off_session: bool = False,
    ) -> ChargeResult: ...

    def cancel(self, *, payment_ref: str, idempotency_key: str) -> ChargeResult:
        """Stop a charge that has not been taken (as Stripe's PaymentIntent cancel
        does): CANCELLED, or what it became if it was too late (SUCCEEDED; PENDING
        while the bank is still deciding and it cannot be stopped). `payment_ref`
        may be empty when the charge call's answer was lost; `idempotency_key` is
        the one the charge was asked with."""

    def refund(self, *, payment_ref: str, idempotency_key: str) -> str:
        """Give the whole payment back, once per idempotency key; the refund's reference."""

    def page_context(self, *, user: User) -> dict:
        """What the card form template needs (Stripe: publishable key, SetupIntent secret)."""
