"""Payment providers: Stripe, or the local test provider (the default), chosen by settings."""

from django.conf import settings

from tengja.billing.providers.base import (
    CardAuthentication,
    CardDetails,
    ChargeResult,
    ChargeStatus,
    PaymentProvider,
    ProviderError,
)


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or settings.PAYMENT_PROVIDER
    if name == "stripe":
        from tengja.billing.providers.stripe import StripeProvider

        return StripeProvider()
    if name == "local" and (settings.DEBUG or settings.DEMO_FAKE_PAYMENTS):
        from tengja.billing.providers.local import LocalProvider

        return LocalProvider()
    # Fail closed: never fake a payment in production (see tengja.billing.checks).
    raise ProviderError(f"The payment provider {name!r} is not available here.")


__all__ = [
    "CardAuthentication",
    "CardDetails",
    "ChargeResult",
    "ChargeStatus",
    "PaymentProvider",
    "ProviderError",
    "get_provider",
]
